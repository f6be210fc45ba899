package soap

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/textproto"

	"github.com/beevik/etree"
)

// outgoing is a message ready to be written: the envelope, and the
// attachments that make it multipart/related when there are any.
type outgoing struct {
	envelope    []byte
	attachments []*Attachment
	mtom        bool   // the body holds xop:Include, so the root is application/xop+xml
	boundary    string // multipart boundary; "" for text/xml
	rootID      string
}

// newOutgoing prepares doc and atts for writing.
func newOutgoing(doc *etree.Document, atts []*Attachment) *outgoing {
	o := &outgoing{envelope: serialize(doc), attachments: atts}
	if len(atts) == 0 {
		return o
	}
	tag := randomHex(12)
	o.boundary = "MIME_boundary_" + tag
	o.rootID = "soap-envelope-" + tag + "@vehicle-adapter"
	o.mtom = len(includes(doc.Root())) > 0
	return o
}

// randomHex returns n random bytes in hexadecimal.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail
	return hex.EncodeToString(b)
}

// contentType returns the HTTP Content-Type of the message.
func (o *outgoing) contentType() string {
	if o.boundary == "" {
		return "text/xml; charset=UTF-8"
	}
	params := map[string]string{"boundary": o.boundary, "start": "<" + o.rootID + ">",
		"type": "text/xml"}
	if o.mtom {
		params["type"] = "application/xop+xml"
		params["start-info"] = "text/xml"
	}
	return mime.FormatMediaType("multipart/related", params)
}

// WriteTo writes the message body, streaming each attachment from its
// source.
func (o *outgoing) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	if o.boundary == "" {
		_, err := cw.Write(o.envelope)
		return cw.n, err
	}

	mw := multipart.NewWriter(cw)
	if err := mw.SetBoundary(o.boundary); err != nil {
		return cw.n, fmt.Errorf("soap: %w", err)
	}
	rootType := "text/xml; charset=UTF-8"
	if o.mtom {
		rootType = mime.FormatMediaType("application/xop+xml",
			map[string]string{"charset": "UTF-8", "type": "text/xml"})
	}
	pw, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {rootType},
		"Content-Transfer-Encoding": {"8bit"},
		"Content-Id":                {"<" + o.rootID + ">"},
	})
	if err == nil {
		_, err = pw.Write(o.envelope)
	}
	for i, a := range o.attachments {
		if err != nil {
			break
		}
		err = writePart(mw, i, a)
	}
	if err == nil {
		err = mw.Close()
	}
	return cw.n, err
}

// writePart writes attachment a as the next part of mw.
func writePart(mw *multipart.Writer, i int, a *Attachment) error {
	id := a.ContentID
	if id == "" {
		id = fmt.Sprintf("attachment-%d-%s@vehicle-adapter", i+1, randomHex(6))
	}
	ct := a.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	pw, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {ct},
		"Content-Transfer-Encoding": {"binary"},
		"Content-Id":                {"<" + id + ">"},
	})
	if err != nil {
		return err
	}
	rc, err := a.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	if _, err := io.Copy(pw, rc); err != nil {
		return fmt.Errorf("soap: write attachment %q: %w", id, err)
	}
	return nil
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
