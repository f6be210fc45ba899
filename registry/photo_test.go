package registry_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/tunduk/vehicle-adapter/adapter"
)

func TestPhotosAndInspections(t *testing.T) {
	t.Parallel()
	db, demo := seeded(t)
	tr := newTransfer(demo, "photo-transfer")
	photos := []adapter.Photo{
		{TransferID: tr.ID, Kind: adapter.PhotoVINPlate, ContentType: "image/jpeg",
			Content: []byte("\xff\xd8vin plate\xff\xd9"), UploadedBy: demo.Owner.PIN.Masked(), UploadedAt: at},
		{TransferID: tr.ID, Kind: adapter.PhotoFront, ContentType: "image/png",
			Content: []byte("\x89PNG front"), UploadedAt: at.Add(time.Second)},
	}

	inTx(t, db, func(ctx context.Context, tx adapter.Tx) error {
		if err := tx.CreateTransfer(ctx, tr); err != nil {
			return err
		}
		for _, p := range photos {
			if err := tx.AddPhoto(ctx, p); err != nil {
				return err
			}
		}
		got, err := tx.Photos(ctx, tr.ID)
		if err != nil || len(got) != len(photos) {
			t.Fatalf("Photos: got %d, %v; want %d", len(got), err, len(photos))
		}
		for i, g := range got {
			sum := sha256.Sum256(photos[i].Content)
			w := photos[i]
			if g.ID == 0 || g.Kind != w.Kind || g.ContentType != w.ContentType ||
				!bytes.Equal(g.Content, w.Content) || g.SHA256 != hex.EncodeToString(sum[:]) ||
				g.UploadedBy != w.UploadedBy || !g.UploadedAt.Equal(w.UploadedAt) {
				t.Errorf("photo %d: got %+v, want %+v with its digest", i, g, w)
			}
		}

		bad := photos[0]
		bad.SHA256 = hex.EncodeToString(make([]byte, 32))
		if err := tx.AddPhoto(ctx, bad); err == nil {
			t.Error("a photo whose digest does not match its content was stored")
		}
		return nil
	})

	t.Run("pending inspections", func(t *testing.T) {
		var before int
		inTx(t, db, func(ctx context.Context, tx adapter.Tx) error {
			ps, err := tx.PendingInspections(ctx, 10)
			before = len(ps)
			if err != nil {
				return err
			}
			tr.State = adapter.AwaitingInspection
			tr.UpdatedAt = at.Add(time.Minute)
			return tx.UpdateTransfer(ctx, tr)
		})
		if before != 0 {
			t.Errorf("got %d pending before, want 0", before)
		}
		inTx(t, db, func(ctx context.Context, tx adapter.Tx) error {
			ps, err := tx.PendingInspections(ctx, 10)
			if err != nil || len(ps) != 1 {
				t.Fatalf("got %+v, %v; want one", ps, err)
			}
			p := ps[0]
			if p.Transfer.ID != tr.ID || p.Vehicle != demo.Vehicle || p.PhotoCount != 2 ||
				!p.Since.Equal(tr.UpdatedAt) || p.Transfer.VIN != demo.Vehicle.VIN {
				t.Errorf("got %+v, want transfer %s of %+v with 2 photos since %v",
					p, tr.ID, demo.Vehicle, tr.UpdatedAt)
			}
			return nil
		})
	})

	t.Run("inspection and retake", func(t *testing.T) {
		inTx(t, db, func(ctx context.Context, tx adapter.Tx) error {
			err := tx.AddInspection(ctx, adapter.Inspection{
				TransferID: tr.ID, InspectorID: "insp-7", Decision: adapter.Retake,
				ObservedVIN: demo.Vehicle.VIN, Comment: "blurred", At: at,
			})
			if err != nil {
				return err
			}
			if err := tx.DeletePhotos(ctx, tr.ID); err != nil {
				return err
			}
			ps, err := tx.Photos(ctx, tr.ID)
			if err != nil || len(ps) != 0 {
				t.Errorf("after DeletePhotos: got %d, %v; want none", len(ps), err)
			}
			return nil
		})
		var n int
		var decision string
		err := db.SQL().QueryRow(`SELECT count(*), min(decision) FROM inspections WHERE transfer_id = $1`,
			tr.ID).Scan(&n, &decision)
		if err != nil || n != 1 || decision != "RETAKE" {
			t.Errorf("got %d inspections, %q, %v; want 1 RETAKE", n, decision, err)
		}
		err = db.InTx(context.Background(), func(tx adapter.Tx) error {
			return tx.AddInspection(context.Background(), adapter.Inspection{
				TransferID: "nope", InspectorID: "insp-7", Decision: adapter.Approve})
		})
		if !errors.Is(err, adapter.ErrNotFound) {
			t.Errorf("inspection of an unknown transfer: got %v, want ErrNotFound", err)
		}
	})
}
