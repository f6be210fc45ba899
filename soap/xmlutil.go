package soap

import "github.com/beevik/etree"

// Namespaces of the SOAP 1.1 / X-Road message protocol.
const (
	NSEnvelope     = "http://schemas.xmlsoap.org/soap/envelope/"
	NSEnvelope12   = "http://www.w3.org/2003/05/soap-envelope"
	NSEncoding     = "http://schemas.xmlsoap.org/soap/encoding/"
	NSXRoad        = "http://x-road.eu/xsd/xroad.xsd"
	NSIdentifiers  = "http://x-road.eu/xsd/identifiers"
	NSRepresented  = "http://x-road.eu/xsd/representation.xsd"
	NSXOP          = "http://www.w3.org/2004/08/xop/include"
	nsXMLNS        = "xmlns"
	prefixEnvelope = "SOAP-ENV"
)

// detach returns a copy of el that carries, as its own attributes, every
// namespace declaration in scope at el, so that the copy resolves its
// prefixes the same way wherever it is put.
func detach(el *etree.Element) *etree.Element {
	c := el.Copy()
	declared := map[string]bool{}
	for _, a := range c.Attr {
		if p, ok := nsDecl(a); ok {
			declared[p] = true
		}
	}
	for p := el.Parent(); p != nil; p = p.Parent() {
		for _, a := range p.Attr {
			prefix, ok := nsDecl(a)
			if !ok || declared[prefix] {
				continue
			}
			declared[prefix] = true
			c.CreateAttr(a.FullKey(), a.Value)
		}
	}
	return c
}

// adopt takes el out of its tree without copying it, declaring on it the
// namespaces that were in scope there. It is detach for an element whose
// tree is not needed any more, and costs nothing per descendant.
func adopt(el *etree.Element) *etree.Element {
	declared := map[string]bool{}
	for _, a := range el.Attr {
		if p, ok := nsDecl(a); ok {
			declared[p] = true
		}
	}
	var inherited []etree.Attr
	for p := el.Parent(); p != nil; p = p.Parent() {
		for _, a := range p.Attr {
			if prefix, ok := nsDecl(a); ok && !declared[prefix] {
				declared[prefix] = true
				inherited = append(inherited, a)
			}
		}
	}
	if p := el.Parent(); p != nil {
		p.RemoveChild(el)
	}
	for _, a := range inherited {
		el.CreateAttr(a.FullKey(), a.Value)
	}
	return el
}

// nsDecl reports whether a declares a namespace, and which prefix ("" for
// the default namespace).
func nsDecl(a etree.Attr) (prefix string, ok bool) {
	switch {
	case a.Space == nsXMLNS:
		return a.Key, true
	case a.Space == "" && a.Key == nsXMLNS:
		return "", true
	}
	return "", false
}

// attrNS returns el's attribute with the given namespace and local name,
// or nil.
func attrNS(el *etree.Element, ns, local string) *etree.Attr {
	for i := range el.Attr {
		a := &el.Attr[i]
		if a.Key == local && a.Space != "" && a.Space != nsXMLNS && a.NamespaceURI() == ns {
			return a
		}
	}
	return nil
}

// is reports whether el has namespace ns and local name local.
func is(el *etree.Element, ns, local string) bool {
	return el.Tag == local && el.NamespaceURI() == ns
}

// nonBlankText reports whether el has character data directly inside it
// that is not whitespace.
func nonBlankText(el *etree.Element) bool {
	for _, t := range el.Child {
		if cd, ok := t.(*etree.CharData); ok && !cd.IsWhitespace() {
			return true
		}
	}
	return false
}

// checkPrefixes returns the first element or attribute prefix under el
// (included) that no declaration binds, or "" when all are bound.
func checkPrefixes(el *etree.Element) string {
	if el.Space != "" && el.Space != "xml" && el.NamespaceURI() == "" {
		return el.Space + ":" + el.Tag
	}
	for _, a := range el.Attr {
		if a.Space != "" && a.Space != nsXMLNS && a.Space != "xml" && a.NamespaceURI() == "" {
			return a.Space + ":" + a.Key
		}
	}
	for _, c := range el.ChildElements() {
		if s := checkPrefixes(c); s != "" {
			return s
		}
	}
	return ""
}
