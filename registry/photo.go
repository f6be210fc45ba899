package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
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
	Content     []byte    `db:"content"`
	UploadedBy  string    `db:"uploaded_by"`
	UploadedAt  time.Time `db:"uploaded_at"`
}

// AddPhoto stores p. The SHA-256 digest is computed from the content when
// p.SHA256 is empty and checked against it otherwise, so the index that
// spots reused photos can be trusted. A zero upload time becomes the
// transaction's time. It returns an error wrapping ErrNotFound when the
// transfer does not exist.
func (t *tx) AddPhoto(ctx context.Context, p adapter.Photo) error {
	sum := sha256.Sum256(p.Content)
	digest := hex.EncodeToString(sum[:])
	if p.SHA256 != "" && !strings.EqualFold(p.SHA256, digest) {
		return fmt.Errorf("registry: photo of transfer %s: sha256 %s does not match its content",
			p.TransferID, p.SHA256)
	}
	_, err := t.exec(ctx, `INSERT INTO vin_photos
			(transfer_id, kind, content_type, sha256, content, uploaded_by, uploaded_at)
		VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7, now()))`,
		p.TransferID, p.Kind, p.ContentType, digest, p.Content, p.UploadedBy, nullTime(p.UploadedAt))
	return wrap(err, "add photo to transfer %s", p.TransferID)
}

// Photos returns a transfer's photos with their content, in upload order.
func (t *tx) Photos(ctx context.Context, transferID string) ([]adapter.Photo, error) {
	var rows []photoRow
	err := t.list(ctx, &rows, `SELECT id, transfer_id, kind, content_type, sha256, content,
			uploaded_by, uploaded_at
		FROM vin_photos WHERE transfer_id = $1 ORDER BY id`, transferID)
	if err != nil {
		return nil, wrap(err, "photos of transfer %s", transferID)
	}
	ps := make([]adapter.Photo, len(rows))
	for i, r := range rows {
		ps[i] = adapter.Photo{
			ID: r.ID, TransferID: r.TransferID, Kind: r.Kind, ContentType: r.ContentType,
			SHA256: r.SHA256, Content: r.Content, UploadedBy: r.UploadedBy,
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
}

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
			(SELECT count(*) FROM vin_photos ph WHERE ph.transfer_id = t.id) AS photo_count
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
			PhotoCount: r.PhotoCount,
			Since:      tr.UpdatedAt,
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
