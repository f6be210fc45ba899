package soap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/beevik/etree"
	"github.com/google/uuid"
)

// Errors a Client returns for a response that breaks the protocol.
var (
	// ErrHeaderMismatch means the response header does not echo the
	// request's client, service, id, userId, issue or representedParty.
	ErrHeaderMismatch = errors.New("soap: response header does not echo the request")

	// ErrInvalidResponse means the response is not a well-formed X-Road
	// SOAP response (wrong status, content type, envelope or body).
	ErrInvalidResponse = errors.New("soap: invalid response")
)

// defaultHTTPClient is shared by every Client without an HTTP client of
// its own, so that connections to the security server are pooled. Its
// timeouts sit above the security server's default service timeout of 60
// seconds.
var defaultHTTPClient = &http.Client{
	Timeout: 75 * time.Second,
	Transport: &http.Transport{
		Proxy: nil, // the security server is reached directly
		DialContext: (&net.Dialer{Timeout: 10 * time.Second,
			KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 70 * time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   16,
		ExpectContinueTimeout: time.Second,
	},
}

// Client is the consumer side: it posts X-Road requests to our own security
// server and checks the responses.
type Client struct {
	URL    string        // the security server's URL
	HTTP   *http.Client  // nil: a shared pooled client with timeouts
	Client Identifier    // our member or subsystem, sent as xrd:client
	NewID  func() string // message ids; nil: a random UUID per call
	Limits Limits        // bounds on responses; zero value: defaults
}

// Call is one request for Client.Do.
type Call struct {
	Service          Identifier        // the SERVICE called, version included
	UserID, Issue    string            // optional; sent when not empty
	RepresentedParty *RepresentedParty // optional
	Body             *etree.Element    // the request element; copied, not changed
	Attachments      []*Attachment     // sent as SwA, or MTOM when Body has xop:Include

	pending []*Attachment // content SetContent put in Body
}

// SetContent makes el, an element of c.Body, hold a's content as base64
// text, encoded while the call is sent. Anything el held before is removed.
func (c *Call) SetContent(el *etree.Element, a *Attachment) {
	setContent(el, a, &c.pending)
}

// Do sends call and returns the response. A SOAP fault comes back as a
// *Fault error; a response whose header does not echo ours wraps
// ErrHeaderMismatch, any other protocol breach ErrInvalidResponse. ctx
// cancels the call. The caller closes the Response when it may have
// attachments.
func (c *Client) Do(ctx context.Context, call Call) (*Response, error) {
	if call.Body == nil {
		return nil, errors.New("soap: call without a body")
	}
	sent := c.header(call)
	o := newOutgoing(requestEnvelope(sent, call.Body), call.Attachments, call.pending)

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bodyReader(o))
	if err != nil {
		return nil, fmt.Errorf("soap: call %s: %w", call.Service.ServiceCode, err)
	}
	req.Header.Set("Content-Type", o.contentType())
	req.Header.Set("SOAPAction", `""`)
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTPClient
	}
	res, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("soap: call %s: %w", call.Service.ServiceCode, err)
	}
	defer res.Body.Close()

	resp, err := readResponse(res, sent, c.Limits.withDefaults())
	if err != nil {
		return nil, fmt.Errorf("soap: call %s %s: %w", call.Service, sent.ID, err)
	}
	return resp, nil
}

// header returns the header Do sends for call.
func (c *Client) header(call Call) *Header {
	id := ""
	if c.NewID != nil {
		id = c.NewID()
	} else {
		id = uuid.NewString()
	}
	return &Header{Client: c.Client, Service: call.Service, ID: id, UserID: call.UserID,
		Issue: call.Issue, ProtocolVersion: ProtocolVersion,
		RepresentedParty: call.RepresentedParty}
}

// bodyReader returns the request body: in memory for a plain envelope,
// through a pipe for a multipart message so that attachments stream.
func bodyReader(o *outgoing) io.Reader {
	if o.boundary == "" && len(o.envelope) == 1 {
		return &onlyReader{b: o.envelope[0].lit}
	}
	pr, pw := io.Pipe()
	go func() {
		_, err := o.WriteTo(pw)
		pw.CloseWithError(err)
	}()
	return pr
}

// onlyReader reads a byte slice; unlike bytes.Reader it is not recognised
// by net/http, which is fine: the body is sent chunked like a security
// server's.
type onlyReader struct{ b []byte }

func (r *onlyReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// requestEnvelope builds the request envelope for header h and body.
func requestEnvelope(h *Header, body *etree.Element) *etree.Document {
	hdr := etree.NewElement(prefixEnvelope + ":Header")
	hdr.CreateAttr("xmlns:xrd", NSXRoad)
	hdr.CreateAttr("xmlns:id", NSIdentifiers)
	writeIdentifier(hdr, "client", h.Client)
	writeIdentifier(hdr, "service", h.Service)
	if p := h.RepresentedParty; p != nil {
		rp := hdr.CreateElement("repr:representedParty")
		rp.CreateAttr("xmlns:repr", NSRepresented)
		if p.Class != "" {
			rp.CreateElement("repr:partyClass").SetText(p.Class)
		}
		rp.CreateElement("repr:partyCode").SetText(p.Code)
	}
	hdr.CreateElement("xrd:id").SetText(h.ID)
	if h.UserID != "" {
		hdr.CreateElement("xrd:userId").SetText(h.UserID)
	}
	if h.Issue != "" {
		hdr.CreateElement("xrd:issue").SetText(h.Issue)
	}
	hdr.CreateElement("xrd:protocolVersion").SetText(h.ProtocolVersion)

	doc, b := newEnvelope(hdr)
	b.AddChild(detach(body))
	return doc
}

// readResponse reads and checks the response to the request with header
// sent.
func readResponse(res *http.Response, sent *Header, lim Limits) (*Response, error) {
	if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusInternalServerError {
		return nil, fmt.Errorf("%w: HTTP status %s", ErrInvalidResponse, res.Status)
	}
	m, f := readMessage(res.Header.Get("Content-Type"), res.Body, lim)
	resp := &Response{Attachments: m.attachments, inline: m.inline, spool: m.spool}
	err := checkReply(m, f, sent, resp)
	if err != nil {
		_ = m.spool.remove()
		return nil, err
	}
	return resp, nil
}

// checkReply checks a response message and fills resp from it.
func checkReply(m *message, f *Fault, sent *Header, resp *Response) error {
	if f != nil {
		return fmt.Errorf("%w: %s: %s", ErrInvalidResponse, f.Code, f.String)
	}
	if m.env.body == nil {
		return fmt.Errorf("%w: no SOAP Body", ErrInvalidResponse)
	}
	var hdr *Header
	if m.env.header != nil {
		hdr, f = readHeader(m.env.header)
		if f != nil {
			hdr = nil
		}
	}
	for _, c := range m.env.body.ChildElements() {
		if is(c, NSEnvelope, "Fault") {
			fault := readFault(c)
			fault.Header = hdr
			return fault
		}
	}
	if f != nil {
		return fmt.Errorf("%w: response header: %s", ErrInvalidResponse, f.String)
	}
	if hdr == nil {
		return fmt.Errorf("%w: no X-Road header", ErrInvalidResponse)
	}
	if err := compareHeaders(sent, hdr); err != nil {
		return err
	}
	el, f := m.env.bodyElement()
	if f != nil {
		return fmt.Errorf("%w: %s", ErrInvalidResponse, f.String)
	}
	if want := ResponseName(sent.Service.ServiceCode); el.Tag != want {
		return fmt.Errorf("%w: body element %s, want %s", ErrInvalidResponse, el.Tag, want)
	}
	resp.Body = adopt(el)
	resp.Header = hdr
	return nil
}

// compareHeaders checks that got echoes the fields of sent that security
// servers compare.
func compareHeaders(sent, got *Header) error {
	switch {
	case got.Client != sent.Client:
		return fmt.Errorf("%w: client %s, want %s", ErrHeaderMismatch, got.Client, sent.Client)
	case got.Service != sent.Service:
		return fmt.Errorf("%w: service %s, want %s", ErrHeaderMismatch, got.Service, sent.Service)
	case got.ID != sent.ID:
		return fmt.Errorf("%w: id %q, want %q", ErrHeaderMismatch, got.ID, sent.ID)
	case got.UserID != sent.UserID:
		return fmt.Errorf("%w: userId %q, want %q", ErrHeaderMismatch, got.UserID, sent.UserID)
	case got.Issue != sent.Issue:
		return fmt.Errorf("%w: issue %q, want %q", ErrHeaderMismatch, got.Issue, sent.Issue)
	case !sameParty(got.RepresentedParty, sent.RepresentedParty):
		return fmt.Errorf("%w: representedParty differs", ErrHeaderMismatch)
	}
	return nil
}

// sameParty compares two optional represented parties.
func sameParty(a, b *RepresentedParty) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
