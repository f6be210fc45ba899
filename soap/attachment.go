package soap

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"os"
)

// Attachment is one MIME part of a message besides the SOAP envelope. A
// received attachment is held in memory when small and in a temporary file
// otherwise (see Limits.SpoolThreshold); the file lives until the Handler's
// Service returns, or until the Client's Response is closed.
type Attachment struct {
	ContentID   string // without angle brackets; may be empty
	ContentType string

	// Header holds the part's MIME headers as received (nil for an
	// attachment built with NewAttachment).
	Header textproto.MIMEHeader

	data []byte
	path string
	size int64
	open func() (io.ReadCloser, error)
}

// NewAttachment returns an attachment holding data.
func NewAttachment(contentID, contentType string, data []byte) *Attachment {
	return &Attachment{ContentID: contentID, ContentType: contentType, data: data,
		size: int64(len(data))}
}

// NewAttachmentFunc returns an attachment of size bytes whose content is
// read from what open returns each time the attachment is sent, so that a
// large file or database object need not be held in memory.
func NewAttachmentFunc(contentID, contentType string, size int64,
	open func() (io.ReadCloser, error)) *Attachment {
	return &Attachment{ContentID: contentID, ContentType: contentType, size: size, open: open}
}

// Open returns a reader of the attachment's decoded content. The caller
// closes it.
func (a *Attachment) Open() (io.ReadCloser, error) {
	switch {
	case a.open != nil:
		return a.open()
	case a.path != "":
		f, err := os.Open(a.path)
		if err != nil {
			return nil, fmt.Errorf("soap: open attachment %q: %w", a.ContentID, err)
		}
		return f, nil
	}
	return io.NopCloser(bytes.NewReader(a.data)), nil
}

// Size returns the length of the decoded content in bytes.
func (a *Attachment) Size() int64 { return a.size }

// Bytes reads the whole content into memory. Use Open for large content.
func (a *Attachment) Bytes() ([]byte, error) {
	if a.path == "" && a.open == nil {
		return a.data, nil
	}
	rc, err := a.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// spool holds the temporary files of one message, to be removed together.
type spool struct {
	dir   string
	files []string
}

// store reads r into a new attachment, in memory up to threshold bytes and
// in a temporary file beyond, failing with a *LimitError past max bytes.
func (s *spool) store(r io.Reader, threshold, max int64) (*Attachment, error) {
	r = newLimitReader(r, max, "attachment size")
	buf := make([]byte, 0, min(threshold, 32<<10)+1)
	b := bytes.NewBuffer(buf)
	n, err := io.CopyN(b, r, threshold+1)
	if err == io.EOF {
		return &Attachment{data: b.Bytes(), size: n}, nil
	}
	if err != nil {
		return nil, err
	}

	f, err := os.CreateTemp(s.dir, "soap-attachment-*")
	if err != nil {
		return nil, fmt.Errorf("soap: spool attachment: %w", err)
	}
	s.files = append(s.files, f.Name())
	m, err := io.Copy(f, io.MultiReader(b, r))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return &Attachment{path: f.Name(), size: m}, nil
}

// remove deletes the spooled files.
func (s *spool) remove() error {
	var errs []error
	for _, p := range s.files {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	s.files = nil
	return errors.Join(errs...)
}
