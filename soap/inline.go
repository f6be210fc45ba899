package soap

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/beevik/etree"
)

// NSInline is the namespace of the placeholder element that stands, in a
// received envelope, for a long run of base64 text moved to a temporary
// file (see Limits.InlineThreshold). Request.Content and Response.Content
// read it; Unmarshal sees the element empty.
const NSInline = "urn:x-tunduk-vehicle-adapter:soap-inline"

// inlineTag is the placeholder's local name; its attribute n numbers the
// moved runs from 0.
const inlineTag = "spooled"

// isBase64Text reports whether c may appear in base64 text in XML.
func isBase64Text(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
		c == '+' || c == '/' || c == '=' || c == ' ' || c == '\t' || c == '\r' || c == '\n'
}

// Lexical states of the diverter.
const (
	inText = iota
	inTag
	inComment
	inCDATA
	inPI
)

// diverter passes XML through, except that a run of character data longer
// than threshold that consists of base64 text goes to a temporary file and
// is replaced by a placeholder element. It tracks just enough of the XML
// syntax (tags with quoted attributes, comments, CDATA, processing
// instructions) to know where character data is. A long run that turns
// out not to be base64 fails with a *LimitError.
type diverter struct {
	br        *bufio.Reader
	threshold int64
	max       int64
	spool     *spool

	state   int
	quote   byte
	tainted bool    // the current text holds a character base64 does not use
	recent  [3]byte // last bytes, to find the end of comments, CDATA and PIs

	run     []byte   // the current text run while it is short
	file    *os.File // the current run's file once it is long
	fw      *bufio.Writer
	fsize   int64
	symbols int64 // base64 symbols (not padding or space) in the run

	out    []byte
	err    error
	inline []*Attachment
}

func newDiverter(r io.Reader, threshold, max int64, s *spool) *diverter {
	return &diverter{br: bufio.NewReaderSize(r, 32<<10), threshold: threshold, max: max, spool: s}
}

func (d *diverter) Read(p []byte) (int, error) {
	for len(d.out) == 0 && d.err == nil {
		d.err = d.fill()
	}
	if len(d.out) > 0 {
		n := copy(p, d.out)
		d.out = d.out[n:]
		return n, nil
	}
	return 0, d.err
}

// fill processes up to 32 KiB of input into d.out.
func (d *diverter) fill() error {
	d.out = d.out[:0]
	for i := 0; i < 32<<10; i++ {
		c, err := d.br.ReadByte()
		if err == io.EOF {
			return d.endRun(io.EOF)
		}
		if err != nil {
			return err
		}
		if err := d.byte(c); err != nil {
			return err
		}
	}
	return nil
}

// byte processes one input byte.
func (d *diverter) byte(c byte) error {
	switch d.state {
	case inText:
		if c == '<' {
			if err := d.endRun(nil); err != nil {
				return err
			}
			d.out = append(d.out, c)
			d.state = d.markup()
			return nil
		}
		return d.text(c)
	case inTag:
		d.out = append(d.out, c)
		switch {
		case d.quote == 0 && (c == '"' || c == '\''):
			d.quote = c
		case c == d.quote:
			d.quote = 0
		case d.quote == 0 && c == '>':
			d.state = inText
		}
		return nil
	}

	d.out = append(d.out, c)
	d.recent = [3]byte{d.recent[1], d.recent[2], c}
	r := d.recent[:]
	switch {
	case d.state == inComment && string(r) == "-->",
		d.state == inCDATA && string(r) == "]]>",
		d.state == inPI && string(r[1:]) == "?>":
		d.state = inText
	}
	return nil
}

// markup decides, after a '<', what kind of markup begins.
func (d *diverter) markup() int {
	d.recent = [3]byte{}
	d.tainted = false
	switch b, _ := d.br.Peek(8); {
	case bytes.HasPrefix(b, []byte("!--")):
		return inComment
	case bytes.HasPrefix(b, []byte("![CDATA[")):
		return inCDATA
	case bytes.HasPrefix(b, []byte("?")):
		return inPI
	}
	return inTag
}

// text processes one byte of character data.
func (d *diverter) text(c byte) error {
	if d.tainted {
		d.out = append(d.out, c)
		return nil
	}
	if !isBase64Text(c) {
		if d.file != nil {
			return &LimitError{What: "text that is not base64", Limit: d.threshold}
		}
		d.tainted = true
		d.out = append(d.out, d.run...)
		d.out = append(d.out, c)
		d.run = d.run[:0]
		d.symbols = 0
		return nil
	}
	if c > ' ' && c != '=' {
		d.symbols++
	}
	if d.file == nil {
		d.run = append(d.run, c)
		if int64(len(d.run)) <= d.threshold {
			return nil
		}
		return d.startFile()
	}
	d.fsize++
	if d.fsize > d.max {
		return &LimitError{What: "inline base64 content", Limit: d.max}
	}
	return d.fw.WriteByte(c)
}

// startFile moves the current run into a new temporary file.
func (d *diverter) startFile() error {
	f, err := os.CreateTemp(d.spool.dir, "soap-inline-*")
	if err != nil {
		return fmt.Errorf("soap: spool inline content: %w", err)
	}
	d.spool.files = append(d.spool.files, f.Name())
	d.file, d.fw = f, bufio.NewWriterSize(f, 32<<10)
	d.fsize = int64(len(d.run))
	_, err = d.fw.Write(d.run)
	d.run = d.run[:0]
	return err
}

// endRun ends the current text run: a short one is passed through, a long
// one is closed and replaced by the placeholder. err is returned when
// nothing fails.
func (d *diverter) endRun(err error) error {
	if d.file == nil {
		d.out = append(d.out, d.run...)
		d.run = d.run[:0]
		d.symbols = 0
		return err
	}
	ferr := d.fw.Flush()
	if cerr := d.file.Close(); ferr == nil {
		ferr = cerr
	}
	if ferr != nil {
		return ferr
	}
	path := d.file.Name()
	a := &Attachment{ContentType: "application/octet-stream", size: d.symbols * 6 / 8,
		open: func() (io.ReadCloser, error) { return openBase64File(path) }}
	d.out = append(d.out, `<i:`+inlineTag+` xmlns:i="`+NSInline+`" n="`+
		strconv.Itoa(len(d.inline))+`"/>`...)
	d.inline = append(d.inline, a)
	d.file, d.fw, d.symbols = nil, nil, 0
	return err
}

// openBase64File returns a reader of the decoded content of a file of
// base64 text with whitespace.
func openBase64File(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("soap: open inline content: %w", err)
	}
	dec := base64.NewDecoder(base64.StdEncoding, &spaceFilter{r: bufio.NewReader(f)})
	return struct {
		io.Reader
		io.Closer
	}{dec, f}, nil
}

// spaceFilter drops spaces, tabs and line ends.
type spaceFilter struct{ r io.Reader }

func (s *spaceFilter) Read(p []byte) (int, error) {
	for {
		n, err := s.r.Read(p)
		k := 0
		for _, c := range p[:n] {
			if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
				p[k] = c
				k++
			}
		}
		if k > 0 || err != nil {
			return k, err
		}
	}
}

// hasInline reports whether a placeholder sits anywhere under el.
func hasInline(el *etree.Element) bool {
	if is(el, NSInline, inlineTag) {
		return true
	}
	for _, c := range el.ChildElements() {
		if hasInline(c) {
			return true
		}
	}
	return false
}
