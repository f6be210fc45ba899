package soap

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/beevik/etree"
)

// Request is one incoming message whose header and body have been checked.
type Request struct {
	Header Header

	// Body is the single child of the SOAP Body, detached from the
	// envelope but carrying every namespace declaration in scope there.
	Body *etree.Element

	// Attachments are the message's MIME parts besides the envelope, in
	// message order. Their content is readable until ServeSOAP returns.
	Attachments []*Attachment

	// Multipart is set when the request came as multipart/related, and
	// MTOM when its root part was application/xop+xml; a Service may answer
	// in the form it was asked in.
	Multipart, MTOM bool

	inline []*Attachment // long base64 text moved out of the envelope
}

// Attachment returns the attachment that ref names (a Content-ID with or
// without angle brackets, or a cid: URL), or nil.
func (r *Request) Attachment(ref string) *Attachment {
	return findAttachment(r.Attachments, ref)
}

// Inline returns the long base64 texts that were moved out of Body while
// the message was read, in document order; Body holds a placeholder for
// each. Whoever needs the whole request, such as a digest that tells a
// retry from a new request, reads them here.
func (r *Request) Inline() []*Attachment { return r.inline }

// Content returns the binary content of el in whichever of the three forms
// it came: an xop:Include child (MTOM), a cid: reference as text (swaRef),
// or base64 text (inline). Long inline text was moved to a temporary file
// while the message was read (see Limits.InlineThreshold) and is decoded
// from there as it is read; short inline text is decoded into memory. The
// error is a Client.BadRequest fault that names el; el holding content in
// more than one form (two xop:Include children, an include beside text,
// another child element) gets one too.
func (r *Request) Content(el *etree.Element) (*Attachment, error) {
	return content(el, r.Attachments, r.inline)
}

// content implements Request.Content and Response.Content.
func content(el *etree.Element, atts, inline []*Attachment) (*Attachment, error) {
	cp, err := readContentParts(el)
	if err != nil {
		return nil, err
	}
	switch {
	case cp.spooled != nil:
		n, err := strconv.Atoi(cp.spooled.SelectAttrValue("n", ""))
		if err != nil || n < 0 || n >= len(inline) {
			return nil, NewFault(CodeBadRequest, "%s: unknown inline content", el.Tag)
		}
		return inline[n], nil
	case cp.include != nil:
		href := cp.include.SelectAttrValue("href", "")
		if a := findAttachment(atts, href); a != nil {
			return a, nil
		}
		return nil, NewFault(CodeBadRequest, "%s: xop:Include %q names no attachment", el.Tag, href)
	}

	text := strings.TrimSpace(cp.text)
	if len(text) > 4 && strings.EqualFold(text[:4], "cid:") {
		if a := findAttachment(atts, text); a != nil {
			return a, nil
		}
		return nil, NewFault(CodeBadRequest, "%s: %q names no attachment", el.Tag, text)
	}

	data, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, stripSpace(text)))
	if err != nil {
		return nil, NewFault(CodeBadRequest, "%s: content is not base64: %s", el.Tag, err)
	}
	return NewAttachment("", "", data), nil
}

// contentParts is what an element carrying binary content holds: at most
// one xop:Include or one placeholder of spooled base64 text, and its
// character data (all of it, as comments do not split XML text).
type contentParts struct {
	include, spooled *etree.Element
	text             string
}

// readContentParts splits el into its contentParts. Content in two forms
// at once (two xop:Include children, an include beside text, a placeholder
// beside more text, any other child element) is refused with a
// Client.BadRequest fault: picking one of them would silently drop the
// rest, and sender and receiver might not agree on which one counts.
func readContentParts(el *etree.Element) (contentParts, error) {
	var cp contentParts
	var refs int
	var b strings.Builder
	for _, t := range el.Child {
		switch t := t.(type) {
		case *etree.CharData:
			b.WriteString(t.Data)
		case *etree.Element:
			switch {
			case is(t, NSXOP, "Include"):
				cp.include = t
			case is(t, NSInline, inlineTag):
				cp.spooled = t
			default:
				return cp, NewFault(CodeBadRequest, "%s: holds the element %s; want base64 "+
					"text, a cid: reference or one xop:Include", el.Tag, t.Tag)
			}
			refs++
		}
	}
	cp.text = b.String()
	switch {
	case refs > 1:
		return cp, NewFault(CodeBadRequest, "%s: holds %d binary contents (xop:Include or "+
			"long base64 text); want exactly one", el.Tag, refs)
	case refs == 1 && strings.TrimSpace(cp.text) != "" && cp.include != nil:
		return cp, NewFault(CodeBadRequest, "%s: holds both an xop:Include and text; "+
			"want one of them", el.Tag)
	case refs == 1 && strings.TrimSpace(cp.text) != "":
		return cp, NewFault(CodeBadRequest, "%s: base64 text is split by markup; "+
			"send it as one run of text", el.Tag)
	}
	return cp, nil
}

// stripSpace returns a reader of s without whitespace, which base64 text in
// XML may carry between its characters.
func stripSpace(s string) io.Reader {
	return strings.NewReader(strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s))
}

// Response is what a Service answers.
type Response struct {
	// Body is the response element: the service code plus "Response", in
	// the request element's namespace.
	Body *etree.Element

	// Attachments are sent as multipart/related after the envelope: SOAP
	// with attachments, or MTOM/XOP when Body holds an xop:Include.
	Attachments []*Attachment

	// Header is the X-Road header of a response a Client received; the
	// Handler ignores it and echoes the request's.
	Header *Header

	inline []*Attachment
	spool  *spool

	pending []*Attachment // content SetContent put in Body
}

// SetContent makes el, an element of r.Body, hold a's content as base64
// text, encoded while the response is written, so that a large photo is
// never held in memory as text. Anything el held before is removed.
func (r *Response) SetContent(el *etree.Element, a *Attachment) {
	setContent(el, a, &r.pending)
}

// Content returns the binary content of el, an element of a response a
// Client received, as Request.Content does.
func (r *Response) Content(el *etree.Element) (*Attachment, error) {
	return content(el, r.Attachments, r.inline)
}

// Close removes the temporary files holding the attachments of a response
// a Client received. It is safe to call on any Response, more than once.
func (r *Response) Close() error {
	if r == nil || r.spool == nil {
		return nil
	}
	return r.spool.remove()
}

// Service handles a request that has passed the Handler's checks. An error
// that is (errors.As) a *Fault is sent as that fault; any other error is
// sent as Server.InternalError, without its message, and reported through
// Handler.Observe.
type Service interface {
	ServeSOAP(ctx context.Context, req *Request) (*Response, error)
}

// ServiceFunc adapts a function to the Service interface.
type ServiceFunc func(ctx context.Context, req *Request) (*Response, error)

// ServeSOAP calls f(ctx, req).
func (f ServiceFunc) ServeSOAP(ctx context.Context, req *Request) (*Response, error) {
	return f(ctx, req)
}

var _ Service = ServiceFunc(nil)

// ResponseName returns the element name of the response to serviceCode.
func ResponseName(serviceCode string) string { return serviceCode + "Response" }

// NewResponseElement returns an empty response element for req: named
// after the service code plus "Response", in the namespace of the request
// element, declared on it as the default namespace.
func NewResponseElement(req *Request) *etree.Element {
	el := etree.NewElement(ResponseName(req.Header.Service.ServiceCode))
	if ns := req.Body.NamespaceURI(); ns != "" {
		el.CreateAttr("xmlns", ns)
	}
	return el
}

// checkResponse checks that resp answers req as X-Road requires.
func checkResponse(req *Request, resp *Response) error {
	if resp == nil || resp.Body == nil {
		return fmt.Errorf("soap: service %s returned no response body",
			req.Header.Service.ServiceCode)
	}
	want := ResponseName(req.Header.Service.ServiceCode)
	wantNS := req.Body.NamespaceURI()
	if resp.Body.Tag != want || resp.Body.NamespaceURI() != wantNS {
		return fmt.Errorf("soap: service answered {%s}%s, want {%s}%s",
			resp.Body.NamespaceURI(), resp.Body.Tag, wantNS, want)
	}
	return nil
}
