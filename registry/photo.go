package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tunduk/vehicle-adapter/adapter"
)

type photoRow struct {
	ID          int64     `db:"id"`
	TransferID  string    `db:"transfer_id"`
	Kind        string    `db:"kind"`
	ContentType string    `db:"content_type"`
	SHA256      string    `db:"sha256"`
	Size        int64     `db:"size"`
	Content     []byte    `db:"content"`
	UploadedBy  string    `db:"uploaded_by"`
	UploadedAt  time.Time `db:"uploaded_at"`
}

// PhotoChunkSize is the most bytes of a photo's content one row of
// vin_photo_chunks holds; AddPhoto's memory is bounded by a few times it.
const PhotoChunkSize = 256 << 10

// AddPhoto stores p, reading its content from p.Open (or p.Content when
// Open is nil) in pieces of PhotoChunkSize, each written as a row of
// vin_photo_chunks, and computing the SHA-256 digest on the way. The
// photo's own row, which holds the digest and size, follows its chunks;
// their foreign key is deferred to the commit for that. A p.SHA256 or a
// p.Size other than zero must match the content, so the index that spots
// reused photos can be trusted. A zero upload time becomes the
// transaction's time. It returns an error wrapping ErrNotFound when the
// transfer does not exist.
func (t *tx) AddPhoto(ctx context.Context, p adapter.Photo) error {
	var id int64
	err := t.get(ctx, &id, `SELECT nextval(pg_get_serial_sequence('vin_photos', 'id'))`)
	if err != nil {
		return wrap(err, "photo id for transfer %s", p.TransferID)
	}
	size, digest, err := t.addChunks(ctx, id, p)
	if err == nil {
		err = checkContent(p, size, digest)
	}
	if err != nil {
		// Chunks without their photo would fail the commit of a
		// transaction that goes on after this refusal.
		_, _ = t.exec(ctx, `DELETE FROM vin_photo_chunks WHERE photo_id = $1`, id)
		return fmt.Errorf("registry: photo of transfer %s: %w", p.TransferID, err)
	}
	_, err = t.exec(ctx, `INSERT INTO vin_photos
			(id, transfer_id, kind, content_type, sha256, size, uploaded_by, uploaded_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, COALESCE($8, now()))`,
		id, p.TransferID, p.Kind, p.ContentType, digest, size, p.UploadedBy,
		nullTime(p.UploadedAt))
	return wrap(err, "add photo to transfer %s", p.TransferID)
}

// checkContent compares what p declares with the content stored.
func checkContent(p adapter.Photo, size int64, digest string) error {
	switch {
	case size == 0:
		return errors.New("the content is empty")
	case p.Size != 0 && p.Size != size:
		return fmt.Errorf("%d bytes, declared %d", size, p.Size)
	case p.SHA256 != "" && !strings.EqualFold(p.SHA256, digest):
		return fmt.Errorf("sha256 %s does not match its content", p.SHA256)
	}
	return nil
}

// addChunks writes the content of p as the chunks of photo id and returns
// its size and hex SHA-256 digest.
func (t *tx) addChunks(ctx context.Context, id int64, p adapter.Photo) (int64, string, error) {
	rc := io.NopCloser(bytes.NewReader(p.Content))
	if p.Open != nil {
		var err error
		if rc, err = p.Open(); err != nil {
			return 0, "", fmt.Errorf("open content: %w", err)
		}
	}
	defer rc.Close()

	h := sha256.New()
	buf := make([]byte, PhotoChunkSize)
	var size int64
	for seq := 0; ; seq++ {
		n, err := io.ReadFull(rc, buf)
		if n > 0 {
			h.Write(buf[:n])
			size += int64(n)
			_, xerr := t.exec(ctx, `INSERT INTO vin_photo_chunks (photo_id, seq, data)
				VALUES ($1, $2, $3)`, id, seq, buf[:n])
			if xerr != nil {
				return 0, "", wrap(xerr, "chunk %d", seq)
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return 0, "", fmt.Errorf("read content: %w", err)
		}
	}
	return size, hex.EncodeToString(h.Sum(nil)), nil
}

// Photos returns a transfer's photos with their content, in upload order.
// The content of each is assembled in memory from its chunks.
//
// TODO: getVinPhotos holds every photo of a transfer in memory at once
// (up to Photos.MaxCount times Photos.MaxBytes); a reader over the chunks,
// outside the transaction, would let the endpoint stream them out.
func (t *tx) Photos(ctx context.Context, transferID string) ([]adapter.Photo, error) {
	var rows []photoRow
	err := t.list(ctx, &rows, `SELECT id, transfer_id, kind, content_type, sha256, size,
			COALESCE((SELECT string_agg(c.data, ''::bytea ORDER BY c.seq)
				FROM vin_photo_chunks c WHERE c.photo_id = p.id), ''::bytea) AS content,
			uploaded_by, uploaded_at
		FROM vin_photos p WHERE transfer_id = $1 ORDER BY id`, transferID)
	if err != nil {
		return nil, wrap(err, "photos of transfer %s", transferID)
	}
	ps := make([]adapter.Photo, len(rows))
	for i, r := range rows {
		ps[i] = adapter.Photo{
			ID: r.ID, TransferID: r.TransferID, Kind: r.Kind, ContentType: r.ContentType,
			SHA256: r.SHA256, Size: r.Size, Content: r.Content, UploadedBy: r.UploadedBy,
			UploadedAt: r.UploadedAt.UTC(),
		}
	}
	return ps, nil
}

// DeletePhotos drops a transfer's photos, for a retake. Deleting none is
// not an error.
func (t *tx) DeletePhotos(ctx context.Context, transferID string) error {
	_, err := t.exec(ctx, `DELETE FROM vin_photos WHERE transfer_id = $1`, transferID)
	return wrap(err, "delete photos of transfer %s", transferID)
}

// MaxPendingInspections bounds one PendingInspections answer.
const MaxPendingInspections = 1000

// pendingRow is a transfer awaiting inspection with its vehicle and the
// number of its photos.
type pendingRow struct {
	transferRow
	VehicleBody  string `db:"body_number"`
	VehicleMake  string `db:"make"`
	VehicleModel string `db:"model"`
	VehicleYear  int    `db:"year"`
	VehicleColor string `db:"color"`
	PhotoCount   int    `db:"photo_count"`

	// Facts behind the inspector's risk signals.
	LastOwnerChange sql.NullTime `db:"last_owner_change"`
	ReusedPhotos    int          `db:"reused_photos"`
	ObservedVIN     string       `db:"observed_vin"`
}

// pendingFacts are the columns of pendingRow's risk facts: when the vehicle
// last changed owner (a registration closed), how many of the transfer's
// photos appear, by hash, in another transfer (vin_photos_sha256_idx), and
// the VIN the latest RETAKE decision recorded.
const pendingFacts = `
	(SELECT max(r.until) FROM registrations r WHERE r.vehicle_id = t.vehicle_id)
		AS last_owner_change,
	(SELECT count(*) FROM vin_photos ph WHERE ph.transfer_id = t.id AND EXISTS (
		SELECT 1 FROM vin_photos o WHERE o.sha256 = ph.sha256 AND o.transfer_id <> t.id))
		AS reused_photos,
	COALESCE((SELECT i.observed_vin FROM inspections i
		WHERE i.transfer_id = t.id AND i.decision = 'RETAKE'
		ORDER BY i.at DESC, i.id DESC LIMIT 1), '') AS observed_vin`

// PendingInspections lists transfers in AwaitingInspection, the longest
// waiting first. Since is the transfer's last update, which is when it
// entered that state. limit is capped at MaxPendingInspections; a limit
// of zero or less means the cap.
func (t *tx) PendingInspections(
	ctx context.Context, limit int,
) ([]adapter.PendingInspection, error) {
	if limit <= 0 || limit > MaxPendingInspections {
		limit = MaxPendingInspections
	}
	var rows []pendingRow
	err := t.list(ctx, &rows, `SELECT `+transferColumns+`,
			COALESCE(v.body_number, '') AS body_number, v.make, v.model, v.year, v.color,
			(SELECT count(*) FROM vin_photos ph WHERE ph.transfer_id = t.id) AS photo_count,
			`+pendingFacts+`
		FROM transfers t JOIN vehicles v ON v.id = t.vehicle_id
		WHERE t.state = $1
		ORDER BY t.updated_at, t.id
		LIMIT $2`, string(adapter.AwaitingInspection), limit)
	if err != nil {
		return nil, wrap(err, "pending inspections")
	}
	ps := make([]adapter.PendingInspection, len(rows))
	for i, r := range rows {
		tr := r.transfer()
		ps[i] = adapter.PendingInspection{
			Transfer: tr,
			Vehicle: adapter.Vehicle{
				ID: r.VehicleID, VIN: r.VIN, BodyNumber: r.VehicleBody, Plate: r.Plate,
				Make: r.VehicleMake, Model: r.VehicleModel, Year: r.VehicleYear,
				Color: r.VehicleColor,
			},
			PhotoCount:      r.PhotoCount,
			Since:           tr.UpdatedAt,
			LastOwnerChange: timeOf(r.LastOwnerChange),
			ReusedPhotos:    r.ReusedPhotos,
			ObservedVIN:     r.ObservedVIN,
		}
	}
	return ps, nil
}

// AddInspection records an inspector's decision; a zero At becomes the
// transaction's time. It returns an error wrapping ErrNotFound when the
// transfer does not exist.
func (t *tx) AddInspection(ctx context.Context, in adapter.Inspection) error {
	_, err := t.exec(ctx, `INSERT INTO inspections
			(transfer_id, inspector_id, decision, observed_vin, comment, at)
		VALUES ($1, $2, $3, $4, $5, COALESCE($6, now()))`,
		in.TransferID, in.InspectorID, string(in.Decision), in.ObservedVIN, in.Comment,
		nullTime(in.At))
	return wrap(err, "add inspection of transfer %s", in.TransferID)
}
