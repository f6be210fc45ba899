package soap

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/unicode"
)

// lookupCharset returns the decoder for a charset name, nil for UTF-8
// (which needs none), or an error for a charset it does not know.
func lookupCharset(name string) (encoding.Encoding, error) {
	name = strings.TrimSpace(strings.Trim(name, `"`))
	switch strings.ToLower(name) {
	case "", "utf-8", "utf8":
		return nil, nil
	}
	// IANA names first: the WHATWG index maps ISO-8859-1 to windows-1252.
	e, err := ianaindex.IANA.Encoding(name)
	if err != nil || e == nil {
		e, err = htmlindex.Get(name)
	}
	if err != nil || e == nil {
		return nil, fmt.Errorf("soap: unsupported charset %q", name)
	}
	if e == unicode.UTF8 {
		return nil, nil
	}
	return e, nil
}

// decodeCharset returns a reader of r's text as UTF-8, with a leading
// byte-order mark removed. Without a charset parameter a UTF-16 byte-order
// mark (either byte order) selects UTF-16, as the XML specification
// requires of UTF-16 documents; converted then reports that the text no
// longer is in the encoding an XML declaration may name.
func decodeCharset(r io.Reader, charset string) (dr io.Reader, converted bool, err error) {
	e, err := lookupCharset(charset)
	if err != nil {
		return nil, false, err
	}
	if charset == "" {
		br := bufio.NewReader(r)
		e, r = bomEncoding(br), br
	}
	if e != nil {
		r = e.NewDecoder().Reader(r)
	}
	return skipBOM(r), charset != "" || e != nil, nil
}

// utf8BOM is the UTF-8 encoding of U+FEFF.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// bomEncoding returns UTF-16 in the byte order of a UTF-16 byte-order mark
// at the start of br, which its decoder drops, or nil for no such mark.
func bomEncoding(br *bufio.Reader) encoding.Encoding {
	b, _ := br.Peek(2)
	switch {
	case bytes.Equal(b, []byte{0xFE, 0xFF}):
		return unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM)
	case bytes.Equal(b, []byte{0xFF, 0xFE}):
		return unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM)
	}
	return nil
}

// skipBOM drops a UTF-8 byte-order mark at the start of r.
func skipBOM(r io.Reader) io.Reader {
	br := bufio.NewReader(r)
	if b, err := br.Peek(len(utf8BOM)); err == nil && bytes.Equal(b, utf8BOM) {
		_, _ = br.Discard(len(utf8BOM))
	}
	return br
}

// xmlCharsetReader decodes the charset named by an XML declaration when
// the transport named none. Once the transport's charset has been applied
// the text is UTF-8 whatever the declaration says, so converted is true
// and the reader is passed through.
func xmlCharsetReader(converted bool) func(string, io.Reader) (io.Reader, error) {
	return func(charset string, r io.Reader) (io.Reader, error) {
		if converted {
			return r, nil
		}
		e, err := lookupCharset(charset)
		if err != nil || e == nil {
			return r, err
		}
		return e.NewDecoder().Reader(r), nil
	}
}
