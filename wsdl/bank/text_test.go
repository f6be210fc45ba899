package bank

import (
	"encoding/xml"
	"strings"
	"testing"
)

func TestLocalizedText(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   LocalizedText
		want string
	}{
		{"with language", *NewLocalizedText("ky", "Табылды"),
			`<message xml:lang="ky">Табылды</message>`},
		{"no language writes no attribute", *NewLocalizedText("", "x"), `<message>x</message>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := xml.Marshal(struct {
				XMLName xml.Name      `xml:"r"`
				M       LocalizedText `xml:"message"`
			}{M: tc.in})
			if err != nil {
				t.Fatal(err)
			}
			got := strings.TrimSuffix(strings.TrimPrefix(string(data), "<r>"), "</r>")
			if got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestLocalizedTextReadsXMLLang(t *testing.T) {
	var r Result
	in := `<result xmlns="urn:x"><code>OK</code><message xml:lang="en">Found</message></result>`
	if err := xml.Unmarshal([]byte(in), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Message) != 1 || r.Message[0].Lang != "en" || r.Message[0].String() != "Found" {
		t.Errorf("got %+v, want one English message Found", r.Message)
	}
}
