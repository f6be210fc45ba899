package endpoint

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"unicode/utf8"

	"github.com/beevik/etree"

	"github.com/tunduk/vehicle-adapter/adapter"
	"github.com/tunduk/vehicle-adapter/soap"
)

// Journal records the reply to each X-Road message that changes the
// registry. registry.DB implements it.
type Journal interface {
	// Once runs fn the first time d's client and message id are seen and
	// records the reply it returns, atomically with what fn does through
	// the store on the context it gets. A later delivery gets the recorded
	// reply with replayed true and fn does not run. The same pair with
	// another digest gets an error wrapping adapter.ErrConflict. When fn
	// fails nothing is recorded and fn's error is returned.
	Once(ctx context.Context, d adapter.Delivery,
		fn func(ctx context.Context) ([]byte, error)) (reply []byte, replayed bool, err error)
}

// journaled are the service codes whose replies are recorded: the ones that
// change the registry. Reads act on nothing, so answering a repeated read
// afresh is harmless, and their replies (photos among them) are large.
var journaled = map[string]bool{
	"initiateTransfer": true,
	"acceptTransfer":   true,
	"cancelTransfer":   true,
	"uploadVinPhotos":  true,
	"submitInspection": true,
	"confirmPayment":   true,
}

// maxMessageID is the longest X-Road message id the journal keeps; a UUID
// has 36 characters.
const maxMessageID = 255

// once serves a journaled request through the Journal: a message delivered
// again is answered with the first reply, and a message id reused for
// another request gets a Client.BadRequest fault.
func (s *Service) once(
	ctx context.Context, op operation, c adapter.Caller, req *soap.Request,
) (*soap.Response, error) {
	h := req.Header
	if n := utf8.RuneCountInString(h.ID); n > maxMessageID {
		return nil, &soap.Fault{Code: soap.CodeInvalidHeaderField, String: fmt.Sprintf(
			"the message id has %d characters; this service keeps ids of up to %d", n, maxMessageID)}
	}
	d := adapter.Delivery{
		Client: c.Client, ID: h.ID, Service: h.Service.ServiceCode, Digest: digest(req),
	}
	ran := false
	reply, replayed, err := s.Journal.Once(ctx, d, func(ctx context.Context) ([]byte, error) {
		ran = true
		resp, err := s.run(ctx, op, c, req)
		if err != nil {
			return nil, err
		}
		return encode(resp.Body)
	})
	if !ran && errors.Is(err, adapter.ErrConflict) {
		s.fields(h).Warn("message id reused for another request")
		return nil, &soap.Fault{Code: soap.CodeBadRequest, String: fmt.Sprintf(
			"message id %q of client %s was already used for a different request; "+
				"use a new id for a new request", h.ID, c.Client)}
	}
	if err != nil {
		if ran {
			return nil, err // run has logged what needed logging
		}
		s.fields(h).WithError(err).Error("internal error")
		return nil, err
	}
	el, err := decodeReply(reply)
	if err != nil {
		return nil, fmt.Errorf("endpoint: recorded reply to %s: %w", h.ID, err)
	}
	if replayed {
		s.fields(h).Info("repeated message answered with the recorded reply")
	}
	return &soap.Response{Body: el}, nil
}

// digest is the hex SHA-256 of what a request asks: its service, the user
// it acts for, its body as received and its attachments. A true retry
// repeats all of them byte for byte.
func digest(req *soap.Request) string {
	h := sha256.New()
	svc := req.Header.Service
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00", svc.ServiceCode, svc.ServiceVersion, req.Header.UserID)
	if b, err := encode(req.Body); err == nil {
		fmt.Fprintf(h, "%d\x00", len(b))
		h.Write(b)
	}
	// Long inline base64 left only a placeholder in the body; the content
	// itself must count, or a new photo under an old id would pass for a
	// retry.
	for _, a := range slices.Concat(req.Inline(), req.Attachments) {
		fmt.Fprintf(h, "\x00%s\x00%s\x00%d\x00", a.ContentID, a.ContentType, a.Size())
		if r, err := a.Open(); err == nil {
			_, _ = io.Copy(h, r)
			r.Close()
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// encode serialises an element with the namespace declarations it carries.
func encode(el *etree.Element) ([]byte, error) {
	doc := etree.NewDocument()
	doc.SetRoot(el.Copy())
	b, err := doc.WriteToBytes()
	if err != nil {
		return nil, fmt.Errorf("endpoint: encode %s: %w", el.Tag, err)
	}
	return b, nil
}

// decodeReply reads back a reply that encode wrote.
func decodeReply(b []byte) (*etree.Element, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		return nil, err
	}
	if doc.Root() == nil {
		return nil, errors.New("empty reply")
	}
	return doc.Root(), nil
}
