package soap

import (
	"io"
	"net/http"
	"time"

	"github.com/beevik/etree"
)

// Misrouted is an http.Handler for the requests of an X-Road listener that
// do not go to the Handler: a POST to a path other than the one taking
// messages, say. Security servers turn a 404 or 405 page into an error of
// their own, so every request is answered with a Client.UnknownService
// fault and HTTP 500 that names Path, echoing the X-Road header when the
// body carries one.
type Misrouted struct {
	// Path is where messages are taken ("/xroad"), named in the fault.
	Path string

	// Limits bounds what is read of the body; the zero value selects safe
	// defaults (see Limits).
	Limits Limits

	// Observe, when set, is called after each answer.
	Observe func(Exchange)

	// Now is the clock measuring Exchange.Duration; nil means time.Now.
	Now func() time.Time
}

var _ http.Handler = (*Misrouted)(nil)

// maxPathShown bounds how much of the requested path a fault repeats.
const maxPathShown = 200

// ServeHTTP answers r with the fault.
func (h *Misrouted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := h.Now
	if now == nil {
		now = time.Now
	}
	start := now()
	lim := h.Limits.withDefaults()

	// The body is read only to echo its header, and drained (within
	// bounds) so that the sender receives the answer, not a reset.
	var echo *etree.Element
	var hdr *Header
	m, _ := readMessage(r.Header.Get("Content-Type"), r.Body, lim)
	defer m.spool.remove()
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, lim.MaxMessageSize))
	if m.env != nil && m.env.header != nil && !hasInline(m.env.header) {
		echo = detach(m.env.header)
		if rh, f := readHeader(m.env.header); f == nil {
			hdr = rh
		}
	}

	path := r.URL.Path
	if len(path) > maxPathShown {
		path = path[:maxPathShown] + "..."
	}
	ex := sendFault(w, echo, hdr, newFault(CodeUnknownService,
		"%s %q takes no messages; send X-Road messages with POST to %s",
		r.Method, path, h.Path))
	ex.Duration = now().Sub(start)
	if h.Observe != nil {
		h.Observe(ex)
	}
}
