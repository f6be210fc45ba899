package soap

import (
	"testing"

	"github.com/beevik/etree"
)

// TestContentForms checks that Request.Content reads each form of binary
// content and refuses an element holding content in more than one form,
// rather than silently taking the first.
func TestContentForms(t *testing.T) {
	const decl = `xmlns:xop="` + NSXOP + `" xmlns:i="` + NSInline + `"`
	atts := []*Attachment{
		NewAttachment("a", "image/jpeg", []byte("first")),
		NewAttachment("b", "image/jpeg", []byte("second")),
	}
	inline := []*Attachment{NewAttachment("", "", []byte("spooled"))}
	tests := []struct {
		name string
		xml  string
		want string // content read; "" for a Client.BadRequest fault
	}{
		{"base64", `<photo>Zmlyc3Q=</photo>`, "first"},
		{"base64 split by a comment", `<photo>Zmly<!-- x -->c3Q=</photo>`, "first"},
		{"swaRef", `<photo> cid:b </photo>`, "second"},
		{"xop:Include", `<photo ` + decl + `> <xop:Include href="cid:a"/> </photo>`, "first"},
		{"spooled base64", `<photo ` + decl + `><i:spooled n="0"/></photo>`, "spooled"},
		{"two includes", `<photo ` + decl + `><xop:Include href="cid:a"/>` +
			`<xop:Include href="cid:b"/></photo>`, ""},
		{"include and base64 text", `<photo ` + decl + `><xop:Include href="cid:a"/>` +
			`c2Vjb25k</photo>`, ""},
		{"text and include", `<photo ` + decl + `>cid:b<xop:Include href="cid:a"/></photo>`, ""},
		{"include and spooled text", `<photo ` + decl + `><xop:Include href="cid:a"/>` +
			`<i:spooled n="0"/></photo>`, ""},
		{"spooled and more text", `<photo ` + decl + `><i:spooled n="0"/>QUJD</photo>`, ""},
		{"other element", `<photo><x>Zmlyc3Q=</x></photo>`, ""},
		{"include and other element", `<photo ` + decl + `><xop:Include href="cid:a"/>` +
			`<x/></photo>`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := etree.NewDocument()
			if err := doc.ReadFromString(tt.xml); err != nil {
				t.Fatal(err)
			}
			req := &Request{Attachments: atts, inline: inline}
			a, err := req.Content(doc.Root())
			if tt.want == "" {
				if FaultCode(err) != CodeBadRequest {
					t.Fatalf("got %v, want a %s fault", err, CodeBadRequest)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v, want content %q", err, tt.want)
			}
			b, err := a.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("got content %q, want %q", b, tt.want)
			}
		})
	}
}
