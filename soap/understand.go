package soap

import (
	"strings"

	"github.com/beevik/etree"
)

// NSActorNext is the SOAP 1.1 actor URI that names the first recipient
// of a header element, which for a message reaching this package is us.
const NSActorNext = "http://schemas.xmlsoap.org/soap/actor/next"

// understood reports whether el, an immediate child of the SOAP Header,
// is one of the X-Road header elements this package reads.
func understood(el *etree.Element) bool {
	switch el.NamespaceURI() {
	case NSXRoad:
		return headerFields[el.Tag]
	case NSRepresented:
		return el.Tag == "representedParty"
	}
	return false
}

// checkMustUnderstand applies SOAP 1.1 section 4.2.3: a header element
// addressed to us with SOAP-ENV:mustUnderstand="1" that we do not process
// must not be ignored, so the message is refused with a MustUnderstand
// fault. Elements addressed to another actor are not ours to process. A
// mustUnderstand value other than 0 or 1 (or true, false, which SOAP 1.2
// senders write) is refused as Client.InvalidSoap.
func checkMustUnderstand(hdr *etree.Element) *Fault {
	var missed []string
	for _, c := range hdr.ChildElements() {
		a := attrNS(c, NSEnvelope, "mustUnderstand")
		if a == nil {
			continue
		}
		var must bool
		switch strings.TrimSpace(a.Value) {
		case "1", "true":
			must = true
		case "0", "false":
		default:
			return newFault(CodeInvalidSoap,
				"header element %s has mustUnderstand %q; want 0 or 1", c.Tag, a.Value)
		}
		if !must || understood(c) || !forUs(c) {
			continue
		}
		missed = append(missed, "{"+c.NamespaceURI()+"}"+c.Tag)
	}
	if len(missed) == 0 {
		return nil
	}
	what := "header element " + missed[0] + " has"
	if len(missed) > 1 {
		what = "header elements " + strings.Join(missed, ", ") + " have"
	}
	return newFault(CodeMustUnderstand, "%s mustUnderstand=\"1\" but this service "+
		"understands only the X-Road header fields (xrd and repr namespaces)", what)
}

// forUs reports whether a header element is addressed to us: it names no
// actor, or the next one.
func forUs(el *etree.Element) bool {
	a := attrNS(el, NSEnvelope, "actor")
	if a == nil {
		return true
	}
	v := strings.TrimSpace(a.Value)
	return v == "" || v == NSActorNext
}
