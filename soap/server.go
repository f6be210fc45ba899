package soap

import (
	"net/http"
	"time"
)

// Server timeouts of NewServer. Reading allows a message of
// DefaultMaxMessageSize to arrive over a slow internal link; writing
// outlasts the security server's default service timeout of 60 seconds.
const (
	ServerReadHeaderTimeout = 10 * time.Second
	ServerReadTimeout       = 2 * time.Minute
	ServerWriteTimeout      = 2 * time.Minute
	ServerIdleTimeout       = 2 * time.Minute
	ServerMaxHeaderBytes    = 64 << 10
)

// NewServer returns an http.Server for addr serving h with read-header,
// read, write and idle timeouts and a cap on header size, so that a slow
// or stuck peer cannot hold connections open. The caller may change any
// field before starting it.
func NewServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: ServerReadHeaderTimeout,
		ReadTimeout:       ServerReadTimeout,
		WriteTimeout:      ServerWriteTimeout,
		IdleTimeout:       ServerIdleTimeout,
		MaxHeaderBytes:    ServerMaxHeaderBytes,
	}
}
