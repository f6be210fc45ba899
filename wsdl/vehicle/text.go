package vehicle

import (
	"encoding/base64"
	"encoding/xml"
	"fmt"
)

// xmlNamespace is the namespace the xml: prefix is bound to.
const xmlNamespace = "http://www.w3.org/XML/1998/namespace"

// NewLocalizedText returns text in the language lang ("ky", "ru" or "en").
func NewLocalizedText(lang, text string) *LocalizedText {
	v := Text(text)
	return &LocalizedText{Value: &v, Lang: lang}
}

// String returns the text, or "" when it has none.
func (t LocalizedText) String() string {
	if t.Value == nil {
		return ""
	}
	return string(*t.Value)
}

// MarshalXML writes t with its language as xml:lang. The tag gowsdl generates
// would write an unqualified lang attribute, which no consumer reads as the
// language of the text. An empty Lang writes no attribute.
func (t LocalizedText) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if t.Lang != "" {
		start.Attr = append(start.Attr, xml.Attr{
			Name:  xml.Name{Space: xmlNamespace, Local: "lang"},
			Value: t.Lang,
		})
	}
	return e.EncodeElement(t.String(), start)
}

// MarshalText encodes b in standard base64, as xs:base64Binary requires;
// encoding/xml would otherwise write the raw bytes.
func (b Base64) MarshalText() ([]byte, error) {
	out := make([]byte, base64.StdEncoding.EncodedLen(len(b)))
	base64.StdEncoding.Encode(out, b)
	return out, nil
}

// UnmarshalText decodes standard base64, ignoring the line breaks and
// spaces senders put into long values. It fails on anything else that is
// not base64.
func (b *Base64) UnmarshalText(text []byte) error {
	clean := make([]byte, 0, len(text))
	for _, c := range text {
		switch c {
		case ' ', '\t', '\r', '\n':
		default:
			clean = append(clean, c)
		}
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
	n, err := base64.StdEncoding.Decode(out, clean)
	if err != nil {
		return fmt.Errorf("vehicle: base64 content: %w", err)
	}
	*b = out[:n]
	return nil
}
