package soap

import (
	"bytes"
	"errors"
	"io"
	"strings"

	"github.com/beevik/etree"
)

// envelope is a SOAP 1.1 envelope as read, with its parts located.
type envelope struct {
	doc    *etree.Document
	root   *etree.Element
	header *etree.Element // SOAP Header, nil when absent
	body   *etree.Element // SOAP Body, nil when absent
}

// readXML reads one XML document from r within lim. charset is the
// transport's charset parameter ("" when it named none). Long base64 text
// goes to sp, and the returned attachments hold it. The error is a *Fault.
func readXML(r io.Reader, charset string, lim Limits, sp *spool) (*etree.Document,
	[]*Attachment, *Fault) {
	dr, converted, err := decodeCharset(r, charset)
	if err != nil {
		return nil, nil, newFault(CodeInvalidContentType, "%s",
			strings.TrimPrefix(err.Error(), "soap: "))
	}
	div := newDiverter(dr, lim.InlineThreshold, lim.MaxAttachmentSize, sp)
	dr = newLimitReader(div, lim.MaxEnvelopeSize, "envelope size")
	dr = &elementCounter{r: dr, max: lim.MaxElements}

	doc := etree.NewDocument()
	doc.ReadSettings.CharsetReader = xmlCharsetReader(converted)
	doc.ReadSettings.MaxDepth = lim.MaxDepth
	if _, err := doc.ReadFrom(dr); err != nil {
		if f := limitFault(err); f != nil {
			return nil, nil, f
		}
		if errors.Is(err, etree.ErrMaxDepth) {
			return nil, nil, newFault(CodeLimitExceeded,
				"XML nesting depth exceeds the limit of %d", lim.MaxDepth)
		}
		return nil, nil, newFault(CodeInvalidXML, "malformed XML: %s", err)
	}
	return doc, div.inline, nil
}

// splitEnvelope checks that doc is one SOAP 1.1 envelope in the
// document/literal style and locates its header and body. The envelope is
// returned even with a fault whenever its header could be located, so that
// the fault can echo it.
func splitEnvelope(doc *etree.Document) (*envelope, *Fault) {
	if f := checkDocument(doc); f != nil {
		return nil, f
	}
	root := doc.Root()
	env := &envelope{doc: doc, root: root}
	if p := checkPrefixes(root); p != "" {
		return nil, newFault(CodeInvalidXML, "namespace prefix of %s is not declared", p)
	}
	switch {
	case root.Tag == "Envelope" && root.NamespaceURI() == NSEnvelope12:
		return nil, newFault(CodeInvalidSoap,
			"SOAP 1.2 envelopes are not supported; send SOAP 1.1 (%s)", NSEnvelope)
	case !is(root, NSEnvelope, "Envelope"):
		return nil, newFault(CodeInvalidSoap,
			"root element %s (namespace %s) is not a SOAP 1.1 Envelope (%s)",
			root.Tag, quoteNS(root.NamespaceURI()), NSEnvelope)
	}

	var fault *Fault
	for _, c := range root.ChildElements() {
		if c.NamespaceURI() != NSEnvelope {
			continue // SOAP 1.1 allows further elements after the Body.
		}
		switch {
		case c.Tag == "Header" && env.header == nil && env.body == nil:
			env.header = c
		case c.Tag == "Body" && env.body == nil:
			env.body = c
		case fault == nil:
			fault = newFault(CodeInvalidSoap, "unexpected or repeated SOAP-ENV:%s", c.Tag)
		}
	}
	if fault == nil && nonBlankText(root) {
		fault = newFault(CodeInvalidSoap, "text directly inside the SOAP Envelope")
	}
	if fault == nil {
		fault = checkEncodingStyle(env)
	}
	return env, fault
}

// checkDocument checks the document around the root element: one root, no
// DTD (SOAP forbids it), no stray text.
func checkDocument(doc *etree.Document) *Fault {
	var roots int
	for _, t := range doc.Child {
		switch t := t.(type) {
		case *etree.Element:
			roots++
		case *etree.Directive:
			return newFault(CodeInvalidXML, "a SOAP message must not contain a DTD")
		case *etree.CharData:
			if !t.IsWhitespace() && strings.TrimSpace(t.Data) != "" {
				return newFault(CodeInvalidXML, "text outside the root element")
			}
		}
	}
	switch {
	case roots == 0:
		return newFault(CodeInvalidXML, "the message contains no XML element")
	case roots > 1:
		return newFault(CodeInvalidXML, "the message has %d root elements, want one", roots)
	}
	return nil
}

// checkEncodingStyle refuses SOAP encoding (rpc/encoded style), which a
// document/literal service cannot read.
func checkEncodingStyle(env *envelope) *Fault {
	els := []*etree.Element{env.root, env.header, env.body}
	if env.body != nil {
		els = append(els, env.body.ChildElements()...)
	}
	for _, el := range els {
		if el == nil {
			continue
		}
		if a := attrNS(el, NSEnvelope, "encodingStyle"); a != nil && strings.TrimSpace(a.Value) != "" {
			return newFault(CodeInvalidSoap,
				"SOAP encoding (encodingStyle %q) is not supported; "+
					"the service is document/literal", a.Value)
		}
	}
	return nil
}

// bodyElement returns the single element in the SOAP Body.
func (env *envelope) bodyElement() (*etree.Element, *Fault) {
	if env.body == nil {
		return nil, newFault(CodeInvalidSoap, "the SOAP Envelope has no Body")
	}
	if nonBlankText(env.body) {
		return nil, newFault(CodeInvalidBody, "the SOAP Body contains text; want one element")
	}
	kids := env.body.ChildElements()
	switch len(kids) {
	case 1:
		return kids[0], nil
	case 0:
		return nil, newFault(CodeInvalidBody,
			"the SOAP Body is empty; want one element named after the serviceCode")
	}
	return nil, newFault(CodeInvalidBody,
		"the SOAP Body has %d child elements; want exactly one", len(kids))
}

// newEnvelope builds a response envelope holding a copy of the header
// element hdr (which may be nil) and a Body for the caller to fill.
func newEnvelope(hdr *etree.Element) (*etree.Document, *etree.Element) {
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	env := doc.CreateElement(prefixEnvelope + ":Envelope")
	env.CreateAttr("xmlns:"+prefixEnvelope, NSEnvelope)
	if hdr != nil {
		env.AddChild(hdr.Copy())
	}
	return doc, env.CreateElement(prefixEnvelope + ":Body")
}

// serialize writes doc as bytes.
func serialize(doc *etree.Document) []byte {
	var b bytes.Buffer
	_, _ = doc.WriteTo(&b) // writing to a bytes.Buffer does not fail
	return b.Bytes()
}
