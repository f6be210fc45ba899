package soap

import (
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/textproto"
	"net/url"
	"strings"

	"github.com/beevik/etree"
)

// message is a SOAP message as read from the wire: the envelope and the
// attachments in message order.
type message struct {
	env         *envelope
	attachments []*Attachment
	inline      []*Attachment // base64 text moved out of the envelope
	spool       *spool
	multipart   bool // the message was multipart/related
	xop         bool // the root part was application/xop+xml
}

// readMessage reads a message of the given Content-Type from r within
// lim. It always returns a message, whose spool the caller removes; the
// message's envelope is set whenever its header could be located, even
// when a fault is returned, so that the fault can echo the header.
func readMessage(contentType string, r io.Reader, lim Limits) (*message, *Fault) {
	m := &message{spool: &spool{dir: lim.TempDir}}
	r = newLimitReader(r, lim.MaxMessageSize, "message size")
	mt, params, err := mime.ParseMediaType(contentType)
	switch {
	case strings.TrimSpace(contentType) == "":
		m.tryEnvelope(r, lim)
		return m, newFault(CodeInvalidContentType, "the request has no Content-Type; "+
			"want text/xml or multipart/related")
	case err != nil:
		m.tryEnvelope(r, lim)
		return m, newFault(CodeInvalidContentType, "Content-Type %q: %s", contentType, err)
	}

	switch mt {
	case "text/xml":
		return m, m.readEnvelope(r, params["charset"], lim)
	case "application/soap+xml":
		if f := m.readEnvelope(r, params["charset"], lim); f != nil {
			return m, f
		}
		return m, newFault(CodeInvalidSoap,
			"SOAP 1.2 (application/soap+xml) is not supported; send SOAP 1.1 as text/xml")
	case "multipart/related":
		m.multipart = true
		return m, m.readMultipart(r, params, lim)
	}
	if !strings.HasPrefix(mt, "multipart/") {
		m.tryEnvelope(r, lim)
	}
	return m, newFault(CodeInvalidContentType,
		"Content-Type %s is not supported; want text/xml or multipart/related", mt)
}

// tryEnvelope reads r as an envelope, if it is one, only so that a fault
// about the message's Content-Type can echo its header.
func (m *message) tryEnvelope(r io.Reader, lim Limits) {
	_ = m.readEnvelope(r, "", lim) // the fault about the Content-Type is the one to send

}

// readEnvelope reads the SOAP envelope from r.
func (m *message) readEnvelope(r io.Reader, charset string, lim Limits) *Fault {
	doc, inline, f := readXML(r, charset, lim, m.spool)
	m.inline = inline
	if f != nil {
		return f
	}
	m.env, f = splitEnvelope(doc)
	return f
}

// readMultipart reads a multipart/related message: SOAP with attachments
// (root part text/xml) or MTOM/XOP (root part application/xop+xml). The
// root part is the one the start parameter names, or else the first.
func (m *message) readMultipart(r io.Reader, params map[string]string, lim Limits) *Fault {
	boundary := params["boundary"]
	if boundary == "" {
		return newFault(CodeInvalidContentType, "multipart/related without a boundary parameter")
	}
	start := contentID(params["start"])
	mr := multipart.NewReader(r, boundary)

	var root bool
	for i := 1; ; i++ {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return partFault(i, err)
		}
		id := contentID(p.Header.Get("Content-ID"))
		if !root && (start == "" && i == 1 || start != "" && id == start) {
			root = true
			if f := m.readRoot(p, lim); f != nil {
				return f
			}
			continue
		}
		if f := m.readAttachment(i, p, lim); f != nil {
			return f
		}
	}

	switch {
	case !root && start != "":
		return newFault(CodeMimeParsingFailed, "no MIME part has the start Content-ID <%s>", start)
	case !root:
		return newFault(CodeMimeParsingFailed, "the multipart message has no parts")
	}
	return m.checkIncludes()
}

// readRoot reads the root part, which must hold the SOAP envelope.
func (m *message) readRoot(p *multipart.Part, lim Limits) *Fault {
	ct := p.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "text/xml" && mt != "application/xop+xml" {
		return newFault(CodeInvalidContentType, "the root MIME part has Content-Type %q; "+
			"want text/xml (SOAP with attachments) or application/xop+xml (MTOM)", ct)
	}
	m.xop = mt == "application/xop+xml"
	r, f := transferDecoder(p.Header, p)
	if f != nil {
		return f
	}
	if f := m.readEnvelope(r, params["charset"], lim); f != nil {
		return f
	}
	// Read to the part's end, so that broken framing after the XML is seen.
	if _, err := io.Copy(io.Discard, r); err != nil {
		return partFault(1, err)
	}
	return nil
}

// readAttachment stores the i'th MIME part as an attachment.
func (m *message) readAttachment(i int, p *multipart.Part, lim Limits) *Fault {
	if len(m.attachments) >= lim.MaxAttachments {
		return newFault(CodeLimitExceeded, "more than %d attachments", lim.MaxAttachments)
	}
	ct := p.Header.Get("Content-Type")
	if ct == "" {
		return newFault(CodeInvalidContentType, "MIME part %d has no Content-Type header", i)
	}
	r, f := transferDecoder(p.Header, p)
	if f != nil {
		return f
	}
	a, err := m.spool.store(r, lim.SpoolThreshold, lim.MaxAttachmentSize)
	if err != nil {
		return partFault(i, err)
	}
	a.ContentID = contentID(p.Header.Get("Content-ID"))
	a.ContentType = ct
	a.Header = p.Header
	m.attachments = append(m.attachments, a)
	return nil
}

// partFault turns an error met while reading MIME part i into a fault.
func partFault(i int, err error) *Fault {
	if f := limitFault(err); f != nil {
		return f
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return newFault(CodeMimeParsingFailed,
			"broken multipart message: it ends inside part %d, before the closing boundary", i)
	}
	return newFault(CodeMimeParsingFailed, "broken multipart message at part %d: %s", i, err)
}

// transferDecoder returns a reader that undoes the part's
// Content-Transfer-Encoding.
func transferDecoder(h textproto.MIMEHeader, r io.Reader) (io.Reader, *Fault) {
	cte := strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding")))
	switch cte {
	case "", "7bit", "8bit", "binary":
		return r, nil
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, r), nil
	case "quoted-printable":
		return quotedprintable.NewReader(r), nil
	}
	return nil, newFault(CodeInvalidContentType, "unsupported Content-Transfer-Encoding %q", cte)
}

// contentID normalises a Content-ID header value, a start parameter or a
// cid: URL to the bare id: spaces, angle brackets and the cid: scheme
// dropped, %-escapes of a URL undone.
func contentID(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 4 && strings.EqualFold(s[:4], "cid:") {
		s = s[4:]
		if u, err := url.PathUnescape(s); err == nil {
			s = u
		}
	}
	s = strings.TrimPrefix(s, "<")
	return strings.TrimSuffix(s, ">")
}

// attachment returns the attachment a cid: reference names, or nil.
func (m *message) attachment(ref string) *Attachment {
	return findAttachment(m.attachments, ref)
}

// findAttachment returns the attachment in as that ref (a Content-ID or a
// cid: URL) names, or nil.
func findAttachment(as []*Attachment, ref string) *Attachment {
	id := contentID(ref)
	if id == "" {
		return nil
	}
	for _, a := range as {
		if a.ContentID == id {
			return a
		}
	}
	return nil
}

// checkIncludes checks that every xop:Include in the envelope names an
// attachment of the message.
func (m *message) checkIncludes() *Fault {
	if m.env == nil {
		return nil
	}
	for _, inc := range includes(m.env.root) {
		href := inc.SelectAttrValue("href", "")
		if m.attachment(href) == nil {
			return newFault(CodeInvalidBody, "xop:Include href %q names no MIME part", href)
		}
	}
	return nil
}

// includes returns the xop:Include elements under el, in document order.
func includes(el *etree.Element) []*etree.Element {
	var out []*etree.Element
	var walk func(*etree.Element)
	walk = func(e *etree.Element) {
		for _, c := range e.ChildElements() {
			if is(c, NSXOP, "Include") {
				out = append(out, c)
				continue
			}
			walk(c)
		}
	}
	walk(el)
	return out
}
