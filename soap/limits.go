package soap

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// Limits bounds what a Handler or Client reads from the network. The zero
// value of each field selects the default named beside it; a negative value
// is not "unlimited" but is treated like zero.
type Limits struct {
	// MaxMessageSize caps the bytes of a whole HTTP message body, as sent
	// (before transfer decoding). Default 64 MiB.
	MaxMessageSize int64

	// MaxEnvelopeSize caps the bytes of the SOAP envelope (the root part of
	// a multipart message), after transfer and charset decoding. The
	// envelope is held in memory as a tree. Default 8 MiB.
	MaxEnvelopeSize int64

	// MaxAttachments caps the number of attachments. Default 32.
	MaxAttachments int

	// MaxAttachmentSize caps the decoded bytes of one attachment.
	// Default 48 MiB.
	MaxAttachmentSize int64

	// MaxDepth caps the nesting depth of elements in the envelope.
	// Default 64.
	MaxDepth int

	// MaxElements caps the number of elements in the envelope.
	// Default 100000.
	MaxElements int

	// InlineThreshold is the length above which a run of base64 text in
	// the envelope (a photo sent inline, say) is moved to a temporary file
	// as it arrives and replaced in the tree by a placeholder element that
	// Request.Content reads; a longer run that is not base64 gets
	// Client.LimitExceeded. Such a run counts against MaxAttachmentSize,
	// not MaxEnvelopeSize. Default 1 MiB.
	InlineThreshold int64

	// SpoolThreshold is the size above which an attachment is written to a
	// temporary file instead of being kept in memory. Default 256 KiB.
	SpoolThreshold int64

	// TempDir is where attachments are spooled. Default os.TempDir().
	TempDir string
}

// Default limits; see Limits.
const (
	DefaultMaxMessageSize    = 64 << 20
	DefaultMaxEnvelopeSize   = 8 << 20
	DefaultMaxAttachments    = 32
	DefaultMaxAttachmentSize = 48 << 20
	DefaultMaxDepth          = 64
	DefaultMaxElements       = 100000
	DefaultSpoolThreshold    = 256 << 10
	DefaultInlineThreshold   = 1 << 20
)

// withDefaults returns l with every unset field at its default.
func (l Limits) withDefaults() Limits {
	if l.MaxMessageSize <= 0 {
		l.MaxMessageSize = DefaultMaxMessageSize
	}
	if l.MaxEnvelopeSize <= 0 {
		l.MaxEnvelopeSize = DefaultMaxEnvelopeSize
	}
	if l.MaxAttachments <= 0 {
		l.MaxAttachments = DefaultMaxAttachments
	}
	if l.MaxAttachmentSize <= 0 {
		l.MaxAttachmentSize = DefaultMaxAttachmentSize
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxElements <= 0 {
		l.MaxElements = DefaultMaxElements
	}
	if l.InlineThreshold <= 0 {
		l.InlineThreshold = DefaultInlineThreshold
	}
	if l.SpoolThreshold <= 0 {
		l.SpoolThreshold = DefaultSpoolThreshold
	}
	if l.TempDir == "" {
		l.TempDir = os.TempDir()
	}
	return l
}

// LimitError reports that a message exceeded one of its Limits.
type LimitError struct {
	What  string // "message size", "envelope size", ...
	Limit int64
}

// Error returns "soap: <what> exceeds the limit of <limit>".
func (e *LimitError) Error() string {
	return fmt.Sprintf("soap: %s exceeds the limit of %d", e.What, e.Limit)
}

// limitFault turns err into a Client.LimitExceeded fault when it carries a
// *LimitError, and returns nil otherwise.
func limitFault(err error) *Fault {
	var le *LimitError
	if errors.As(err, &le) {
		return newFault(CodeLimitExceeded, "%s exceeds the limit of %d", le.What, le.Limit)
	}
	return nil
}

// limitReader reads from r and fails with a *LimitError once more than n
// bytes have come.
type limitReader struct {
	r    io.Reader
	n    int64 // bytes still allowed
	what string
	max  int64
}

func newLimitReader(r io.Reader, n int64, what string) *limitReader {
	return &limitReader{r: r, n: n, what: what, max: n}
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n < 0 {
		return 0, &LimitError{What: l.what, Limit: l.max}
	}
	// Read one byte more than allowed, so that exactly n bytes pass.
	if int64(len(p)) > l.n+1 {
		p = p[:l.n+1]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if l.n < 0 {
		return n + int(l.n), &LimitError{What: l.what, Limit: l.max}
	}
	return n, err
}

// elementCounter passes bytes through and fails with a *LimitError once
// the XML it carries has opened more than max elements. It counts every
// '<' that starts a tag which is not an end tag, comment, declaration or
// processing instruction; a '<' inside CDATA is counted too, which errs on
// the safe side.
type elementCounter struct {
	r     io.Reader
	n     int
	max   int
	after bool // the last byte seen was '<'
}

func (c *elementCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for _, b := range p[:n] {
		if c.after && b != '/' && b != '!' && b != '?' {
			c.n++
		}
		c.after = b == '<'
	}
	if c.n > c.max {
		return n, &LimitError{What: "element count", Limit: int64(c.max)}
	}
	return n, err
}
