package registry_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/tunduk/vehicle-adapter/adapter"
	"github.com/tunduk/vehicle-adapter/registry"
	"github.com/tunduk/vehicle-adapter/registry/registrytest"
)

// pattern returns n bytes that differ from chunk to chunk, so a chunk
// stored twice or out of order changes the digest.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31 + i>>12)
	}
	return b
}

// trickle reads at most 1000 bytes per call, as a network or file reader
// may, so that AddPhoto must fill its chunks from several reads.
type trickle struct{ r io.Reader }

func (t trickle) Read(p []byte) (int, error) { return t.r.Read(p[:min(len(p), 1000)]) }

// opener returns an Open function over content and a counter of its calls.
func opener(content []byte, fail error) (func() (io.ReadCloser, error), *int) {
	n := new(int)
	return func() (io.ReadCloser, error) {
		*n++
		var r io.Reader = trickle{bytes.NewReader(content)}
		if fail != nil {
			r = io.MultiReader(io.LimitReader(r, registry.PhotoChunkSize+5), iotestErr{fail})
		}
		return io.NopCloser(r), nil
	}, n
}

type iotestErr struct{ err error }

func (e iotestErr) Read([]byte) (int, error) { return 0, e.err }

// TestAddPhotoStreamsInChunks stores a photo of several chunks through
// Open and checks the chunks, the digest and size, and the content read
// back; then that every inconsistency between the declared and the real
// content is refused and leaves nothing behind.
func TestAddPhotoStreamsInChunks(t *testing.T) {
	t.Parallel()
	db, demo := seeded(t)
	tr := newTransfer(demo, "stream-transfer")
	inTx(t, db, func(ctx context.Context, tx adapter.Tx) error { return tx.CreateTransfer(ctx, tr) })

	content := pattern(3*registry.PhotoChunkSize + 17)
	sum := sha256.Sum256(content)
	digest := hex.EncodeToString(sum[:])
	open, calls := opener(content, nil)
	inTx(t, db, func(ctx context.Context, tx adapter.Tx) error {
		return tx.AddPhoto(ctx, adapter.Photo{TransferID: tr.ID, Kind: adapter.PhotoVINPlate,
			ContentType: "image/jpeg", Size: int64(len(content)), SHA256: strings.ToUpper(digest),
			Open: open, UploadedAt: at})
	})
	if *calls != 1 {
		t.Errorf("got Open called %d times, want 1", *calls)
	}
	var chunks, largest int
	err := db.SQL().QueryRow(`SELECT count(*), max(octet_length(data)) FROM vin_photo_chunks c
		JOIN vin_photos p ON p.id = c.photo_id WHERE p.transfer_id = $1`, tr.ID).Scan(&chunks, &largest)
	if err != nil || chunks != 4 || largest != registry.PhotoChunkSize {
		t.Errorf("got %d chunks of at most %d bytes (%v), want 4 of at most %d",
			chunks, largest, err, registry.PhotoChunkSize)
	}
	inTx(t, db, func(ctx context.Context, tx adapter.Tx) error {
		ps, err := tx.Photos(ctx, tr.ID)
		if err != nil || len(ps) != 1 {
			t.Fatalf("Photos: got %d, %v; want 1", len(ps), err)
		}
		p := ps[0]
		if !bytes.Equal(p.Content, content) || p.SHA256 != digest || p.Size != int64(len(content)) {
			t.Errorf("got %d bytes, size %d, sha256 %s; want %d bytes, sha256 %s",
				len(p.Content), p.Size, p.SHA256, len(content), digest)
		}
		return nil
	})

	readFailure := errors.New("disk gone")
	tests := []struct {
		name    string
		photo   func(p *adapter.Photo)
		wantErr string
	}{
		{"declared size differs", func(p *adapter.Photo) { p.Size = 10 }, "declared 10"},
		{"declared digest differs", func(p *adapter.Photo) { p.SHA256 = strings.Repeat("0", 64) },
			"does not match"},
		{"empty content", func(p *adapter.Photo) { p.Open, _ = opener(nil, nil) }, "is empty"},
		{"content fails after a chunk", func(p *adapter.Photo) {
			p.Open, _ = opener(content, readFailure)
		}, "disk gone"},
		{"content cannot be opened", func(p *adapter.Photo) {
			p.Open = func() (io.ReadCloser, error) { return nil, readFailure }
		}, "disk gone"},
		{"unknown transfer", func(p *adapter.Photo) { p.TransferID = "nope" }, "not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := adapter.Photo{TransferID: tr.ID, Kind: adapter.PhotoFront,
				ContentType: "image/png", Content: content}
			tc.photo(&p)
			err := db.InTx(context.Background(), func(tx adapter.Tx) error {
				return tx.AddPhoto(context.Background(), p)
			})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("got error %v, want one saying %q", err, tc.wantErr)
			}
			if got := count(t, db, `SELECT count(*) FROM vin_photo_chunks`); got != chunks {
				t.Errorf("got %d chunks after the failure, want the %d stored before", got, chunks)
			}
		})
	}

	inTx(t, db, func(ctx context.Context, tx adapter.Tx) error { return tx.DeletePhotos(ctx, tr.ID) })
	if got := count(t, db, `SELECT count(*) FROM vin_photo_chunks`); got != 0 {
		t.Errorf("got %d chunks after DeletePhotos, want 0", got)
	}
}

// TestPhotoChunksMigration runs migration 00040 over a photo stored the
// old way, as bytea in vin_photos, and back.
func TestPhotoChunksMigration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := registrytest.New(t)
	p, err := goose.NewProvider(goose.DialectPostgres, db.SQL(), os.DirFS("migrations"),
		goose.WithDisableGlobalRegistry(true), goose.WithSlog(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 1); err != nil {
		t.Fatalf("down to 1: %v", err)
	}
	if _, err := registry.SeedDemo(ctx, db, 1); err != nil {
		t.Fatalf("SeedDemo: %v", err)
	}
	var vehicle int64
	var seller, buyer string
	err = db.SQL().QueryRow(`SELECT r.vehicle_id, r.owner_pin, (SELECT pin FROM persons
		WHERE pin <> r.owner_pin LIMIT 1) FROM registrations r WHERE until IS NULL LIMIT 1`).
		Scan(&vehicle, &seller, &buyer)
	if err != nil {
		t.Fatal(err)
	}
	content := pattern(1000)
	sum := sha256.Sum256(content)
	exec(t, db.SQL(), `INSERT INTO transfers (id, vehicle_id, seller_pin, buyer_pin, price,
			seller_bank_code, seller_account, state)
		VALUES ('old', $1, $2, $3, 100, 'PILOT', '1', 'AWAITING_INSPECTION')`,
		vehicle, seller, buyer)
	exec(t, db.SQL(), `INSERT INTO vin_photos (transfer_id, kind, content_type, sha256, content)
		VALUES ('old', 'FRONT', 'image/png', $1, $2)`, hex.EncodeToString(sum[:]), content)

	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("up: %v", err)
	}
	inTx(t, db, func(ctx context.Context, tx adapter.Tx) error {
		ps, err := tx.Photos(ctx, "old")
		if err != nil || len(ps) != 1 || !bytes.Equal(ps[0].Content, content) ||
			ps[0].Size != int64(len(content)) {
			t.Errorf("after the migration: got %d photos, %v; want the one with its content",
				len(ps), err)
		}
		return nil
	})

	if _, err := p.DownTo(ctx, 1); err != nil {
		t.Fatalf("down to 1 again: %v", err)
	}
	var back []byte
	if err := db.SQL().QueryRow(`SELECT content FROM vin_photos`).Scan(&back); err != nil ||
		!bytes.Equal(back, content) {
		t.Errorf("after the down migration: got %d bytes (%v), want the %d stored",
			len(back), err, len(content))
	}
}

func exec(t *testing.T, db *sql.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatal(fmt.Errorf("%s: %w", query, err))
	}
}
