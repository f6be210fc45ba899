package soap

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/textproto"
	"strconv"

	"github.com/beevik/etree"
)

// outgoing is a message ready to be written: the envelope, and the
// attachments that make it multipart/related when there are any.
type outgoing struct {
	envelope    []segment // literal XML and base64 content streamed in between
	attachments []*Attachment
	mtom        bool   // the body holds xop:Include, so the root is application/xop+xml
	boundary    string // multipart boundary; "" for text/xml
	rootID      string
}

// segment is a piece of an outgoing envelope: literal bytes, or the base64
// text of an attachment's content.
type segment struct {
	lit []byte
	att *Attachment
}

// newOutgoing prepares doc and atts for writing; inline holds the content
// that pending placeholders in doc stand for.
func newOutgoing(doc *etree.Document, atts, inline []*Attachment) *outgoing {
	o := &outgoing{envelope: splitPending(doc, inline), attachments: atts}
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
		err := o.writeEnvelope(cw)
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
		err = o.writeEnvelope(pw)
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

// writeEnvelope writes the envelope, encoding inline content as it goes.
func (o *outgoing) writeEnvelope(w io.Writer) error {
	for _, s := range o.envelope {
		if s.att == nil {
			if _, err := w.Write(s.lit); err != nil {
				return err
			}
			continue
		}
		if err := writeBase64(w, s.att); err != nil {
			return err
		}
	}
	return nil
}

// writeBase64 writes a's content to w as base64 text.
func writeBase64(w io.Writer, a *Attachment) error {
	rc, err := a.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	enc := base64.NewEncoder(base64.StdEncoding, w)
	if _, err := io.Copy(enc, rc); err != nil {
		return fmt.Errorf("soap: write inline content: %w", err)
	}
	return enc.Close()
}

// pendingTag is the local name, in NSInline, of the placeholder that
// SetContent puts where content is to be streamed as base64.
const pendingTag = "pending"

// splitPending serialises doc, cutting it where pending placeholders stand
// so that the content they name is streamed in their place.
func splitPending(doc *etree.Document, inline []*Attachment) []segment {
	var marks []*etree.Element
	var walk func(*etree.Element)
	walk = func(e *etree.Element) {
		for _, c := range e.ChildElements() {
			if is(c, NSInline, pendingTag) {
				marks = append(marks, c)
				continue
			}
			walk(c)
		}
	}
	walk(&doc.Element)
	if len(marks) == 0 {
		return []segment{{lit: serialize(doc)}}
	}

	// Replace each placeholder by a token no content can contain, then cut
	// the serialised text at the tokens.
	token := "soap-pending-" + randomHex(8) + "-"
	var order []*Attachment
	for _, m := range marks {
		n, err := strconv.Atoi(m.SelectAttrValue("n", ""))
		if err != nil || n < 0 || n >= len(inline) {
			continue // not ours to fill: it is dropped
		}
		p := m.Parent()
		p.InsertChildAt(m.Index(), etree.NewText(token))
		order = append(order, inline[n])
		p.RemoveChild(m)
	}
	parts := bytes.Split(serialize(doc), []byte(token))
	segs := []segment{{lit: parts[0]}}
	for i, a := range order {
		segs = append(segs, segment{att: a}, segment{lit: parts[i+1]})
	}
	return segs
}

// setContent makes el's content the base64 text of a, recorded in inline.
func setContent(el *etree.Element, a *Attachment, inline *[]*Attachment) {
	for _, t := range append([]etree.Token(nil), el.Child...) {
		el.RemoveChild(t)
	}
	p := el.CreateElement("i:" + pendingTag)
	p.CreateAttr("xmlns:i", NSInline)
	p.CreateAttr("n", strconv.Itoa(len(*inline)))
	*inline = append(*inline, a)
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
