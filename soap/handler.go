package soap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/beevik/etree"
)

// Handler is the provider side: an http.Handler for POST /xroad that reads
// X-Road SOAP messages, checks them, hands them to Service and writes the
// response or fault with the request's header echoed. GET with a "wsdl"
// query parameter is delegated to WSDL. Every other request is answered
// with a SOAP fault and HTTP status 500, never with 4xx, because security
// servers turn other statuses into errors of their own.
type Handler struct {
	// Service handles the requests that pass the checks.
	Service Service

	// Provider is our member or subsystem. A request whose service names
	// another instance, class, member or subsystem gets
	// Client.UnknownService. It must be set: with the zero value every
	// request gets Server.InternalError.
	Provider Identifier

	// WSDL serves GET ?wsdl; nil answers those with a fault too.
	WSDL http.Handler

	// Limits bounds what is read; the zero value selects safe defaults
	// (see Limits).
	Limits Limits

	// Observe, when set, is called after each message exchange (not for
	// WSDL requests). The package itself never logs.
	Observe func(Exchange)

	// Now is the clock measuring Exchange.Duration; nil means time.Now.
	Now func() time.Time
}

var _ http.Handler = (*Handler)(nil)

// Exchange describes one handled message, for logging and metrics.
type Exchange struct {
	// Header is the request's X-Road header when it could be read and
	// passed the header checks; nil otherwise.
	Header *Header

	FaultCode   string // fault code sent; "" for a normal response
	FaultString string
	Status      int // HTTP status sent
	Duration    time.Duration

	// Err is the internal error behind a Server.InternalError fault, or
	// an error met while writing the response; nil otherwise.
	Err error
}

// ServeHTTP answers one HTTP request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if (r.Method == http.MethodGet || r.Method == http.MethodHead) && wantsWSDL(r.URL) &&
		h.WSDL != nil {
		h.WSDL.ServeHTTP(w, r)
		return
	}
	now := h.Now
	if now == nil {
		now = time.Now
	}
	start := now()
	ex := h.exchange(w, r)
	ex.Duration = now().Sub(start)
	if h.Observe != nil {
		h.Observe(ex)
	}
}

// wantsWSDL reports whether u asks for the WSDL (?wsdl, any case).
func wantsWSDL(u *url.URL) bool {
	for k := range u.Query() {
		if strings.EqualFold(k, "wsdl") {
			return true
		}
	}
	return false
}

// exchange reads, checks and answers one message.
func (h *Handler) exchange(w http.ResponseWriter, r *http.Request) Exchange {
	if r.Method != http.MethodPost {
		return sendFault(w, nil, nil, newFault(CodeInvalidHTTPMethod,
			"HTTP method %s is not supported here; POST SOAP messages", r.Method))
	}
	lim := h.Limits.withDefaults()
	m, f := readMessage(r.Header.Get("Content-Type"), r.Body, lim)
	defer m.spool.remove()

	// Read what is left of the body (within bounds), so that the security
	// server, which may still be sending, receives the answer instead of a
	// reset connection.
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, lim.MaxMessageSize))

	var echo *etree.Element
	if m.env != nil && m.env.header != nil {
		if hasInline(m.env.header) {
			return sendFault(w, nil, nil, newFault(CodeLimitExceeded,
				"a header field holds more than %d bytes of text", lim.InlineThreshold))
		}
		echo = detach(m.env.header)
	}
	if f != nil {
		return sendFault(w, echo, nil, f)
	}
	req, hdr, f := h.check(r, m)
	if f != nil {
		return sendFault(w, echo, hdr, f)
	}
	if h.Provider.XRoadInstance == "" {
		return sendInternal(w, echo, &req.Header, errors.New("soap: Handler.Provider is not set"))
	}
	if !sameSubsystem(req.Header.Service, h.Provider) {
		return sendFault(w, echo, &req.Header, newFault(CodeUnknownService,
			"service %s is not provided here; this is %s", req.Header.Service, h.Provider))
	}

	resp, err := h.serve(r.Context(), req)
	if err != nil {
		if f := AsFault(err); f != nil {
			return sendFault(w, echo, &req.Header, f)
		}
		return sendInternal(w, echo, &req.Header, err)
	}
	if err := checkResponse(req, resp); err != nil {
		return sendInternal(w, echo, &req.Header, err)
	}
	return sendResponse(w, echo, &req.Header, resp)
}

// check applies the message-level checks and builds the Request. The
// header is returned with a fault when it was valid, for Observe.
func (h *Handler) check(r *http.Request, m *message) (*Request, *Header, *Fault) {
	if f := checkSOAPAction(r.Header); f != nil {
		return nil, nil, f
	}
	if m.env.header == nil {
		return nil, nil, newFault(CodeMissingHeader,
			"the SOAP message has no Header; X-Road requires client, service, id and "+
				"protocolVersion there")
	}
	hdr, f := readHeader(m.env.header)
	// A header element we must understand and do not comes first: SOAP
	// forbids processing such a message at all (SOAP 1.1 section 4.2.3).
	if mf := checkMustUnderstand(m.env.header); mf != nil {
		if f != nil {
			hdr = nil
		}
		return nil, hdr, mf
	}
	if f != nil {
		return nil, nil, f
	}
	el, f := m.env.bodyElement()
	if f != nil {
		return nil, hdr, f
	}
	if code := hdr.Service.ServiceCode; el.Tag != code && el.Tag != code+"Request" {
		return nil, hdr, newFault(CodeInconsistentHeaders,
			"the body element %s does not match the serviceCode %s in the header", el.Tag, code)
	}
	req := &Request{Header: *hdr, Body: adopt(el), Attachments: m.attachments,
		Multipart: m.multipart, MTOM: m.xop, inline: m.inline}
	return req, &req.Header, nil
}

// serve calls the Service, turning a panic into an error so that the
// security server still gets a SOAP fault.
func (h *Handler) serve(ctx context.Context, req *Request) (resp *Response, err error) {
	if h.Service == nil {
		return nil, errors.New("soap: Handler.Service is not set")
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("soap: service %s panicked: %v", req.Header.Service.ServiceCode, p)
		}
	}()
	return h.Service.ServeSOAP(ctx, req)
}

// checkSOAPAction accepts an absent or empty SOAPAction header and one
// holding a quoted URI.
func checkSOAPAction(hd http.Header) *Fault {
	vals := hd.Values("SOAPAction")
	switch len(vals) {
	case 0:
		return nil
	case 1:
	default:
		return newFault(CodeInvalidSoapAction, "the SOAPAction header is given %d times", len(vals))
	}
	v := strings.TrimSpace(vals[0])
	if v == "" {
		return nil
	}
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return newFault(CodeInvalidSoapAction,
			"SOAPAction %q must be empty or a URI in double quotes", v)
	}
	u := v[1 : len(v)-1]
	if _, err := url.Parse(u); err != nil || strings.ContainsAny(u, " \t\"<>\\") {
		return newFault(CodeInvalidSoapAction, "SOAPAction %q does not hold a URI", v)
	}
	return nil
}

// sendFault writes f as a SOAP fault with HTTP status 500, echoing the
// header element echo when there is one.
func sendFault(w http.ResponseWriter, echo *etree.Element, hdr *Header, f *Fault) Exchange {
	doc, body := newEnvelope(echo)
	writeFault(body, prefixEnvelope, f)
	b := serialize(doc)
	ex := Exchange{Header: hdr, FaultCode: f.Code, FaultString: f.String,
		Status: http.StatusInternalServerError}
	w.Header().Set("Content-Type", "text/xml; charset=UTF-8")
	w.WriteHeader(ex.Status)
	if _, err := w.Write(b); err != nil {
		ex.Err = fmt.Errorf("soap: write fault: %w", err)
	}
	return ex
}

// sendInternal sends Server.InternalError for err without revealing it.
func sendInternal(w http.ResponseWriter, echo *etree.Element, hdr *Header, err error) Exchange {
	ex := sendFault(w, echo, hdr, newFault(CodeInternalError,
		"the service failed to process the request"))
	if ex.Err != nil {
		err = errors.Join(err, ex.Err)
	}
	ex.Err = err
	return ex
}

// sendResponse writes resp with HTTP status 200.
func sendResponse(w http.ResponseWriter, echo *etree.Element, hdr *Header,
	resp *Response) Exchange {
	doc, body := newEnvelope(echo)
	body.AddChild(detach(resp.Body))
	o := newOutgoing(doc, resp.Attachments, resp.pending)
	ex := Exchange{Header: hdr, Status: http.StatusOK}
	w.Header().Set("Content-Type", o.contentType())
	w.WriteHeader(ex.Status)
	if _, err := o.WriteTo(w); err != nil {
		ex.Err = fmt.Errorf("soap: write response: %w", err)
	}
	return ex
}
