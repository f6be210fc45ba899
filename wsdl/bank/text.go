package bank

import "encoding/xml"

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
