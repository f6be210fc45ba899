package soap

import (
	"regexp"
	"strings"

	"github.com/beevik/etree"
)

// ProtocolVersion is the X-Road message protocol version a Client sends.
const ProtocolVersion = "4.0"

// protocolVersionRE matches every 4.x version, which security servers
// accept.
var protocolVersionRE = regexp.MustCompile(`^4\.[0-9]+$`)

// RepresentedParty is the party on whose behalf the client acts
// (repr:representedParty). Class is optional.
type RepresentedParty struct{ Class, Code string }

// Header is the X-Road header of a message as read. The element itself is
// kept as well, so that a response echoes it exactly: the same elements in
// the same order with the same values and whitespace, unknown ones too.
type Header struct {
	Client, Service  Identifier
	ID               string
	UserID           string
	Issue            string
	ProtocolVersion  string
	RepresentedParty *RepresentedParty

	raw *etree.Element // the SOAP Header element, detached
}

// Element returns a copy of the SOAP Header element as read, carrying the
// namespace declarations in scope where it was, or nil for a Header that
// was not read from a message.
func (h *Header) Element() *etree.Element {
	if h == nil || h.raw == nil {
		return nil
	}
	return h.raw.Copy()
}

// headerFields are the X-Road header elements a message may carry once.
var headerFields = map[string]bool{
	"client": true, "service": true, "id": true, "userId": true, "issue": true,
	"protocolVersion": true, "requestHash": true,
}

// readHeader reads and checks the X-Road header in the SOAP Header element
// el. The returned fault names the first problem found.
func readHeader(el *etree.Element) (*Header, *Fault) {
	h := &Header{raw: detach(el)}
	found := map[string]*etree.Element{}
	var stray []string
	for _, c := range el.ChildElements() {
		ns := c.NamespaceURI()
		key := "xrd:" + c.Tag
		switch {
		case ns == NSXRoad && headerFields[c.Tag]:
		case ns == NSRepresented && c.Tag == "representedParty":
			key = "repr:representedParty"
		default:
			if headerFields[c.Tag] {
				stray = append(stray, c.Tag+" in namespace "+quoteNS(ns))
			}
			continue
		}
		if found[key] != nil {
			return h, newFault(CodeDuplicateHeaderField, "header field %s appears twice", key)
		}
		found[key] = c
	}

	for _, name := range []string{"client", "service", "id", "protocolVersion"} {
		if found["xrd:"+name] == nil {
			s := "header field xrd:" + name + " (namespace " + NSXRoad + ") is missing"
			if len(stray) > 0 {
				s += "; found " + strings.Join(stray, ", ")
			}
			return h, &Fault{Code: CodeMissingHeaderField, String: s}
		}
	}

	var f *Fault
	if h.Client, f = readIdentifier(found["xrd:client"]); f != nil {
		return h, f
	}
	if h.Service, f = readIdentifier(found["xrd:service"]); f != nil {
		return h, f
	}
	h.ID = found["xrd:id"].Text()
	h.ProtocolVersion = found["xrd:protocolVersion"].Text()
	if e := found["xrd:userId"]; e != nil {
		h.UserID = e.Text()
	}
	if e := found["xrd:issue"]; e != nil {
		h.Issue = e.Text()
	}
	if e := found["repr:representedParty"]; e != nil {
		if h.RepresentedParty, f = readParty(e); f != nil {
			return h, f
		}
	}

	if f := h.check(); f != nil {
		return h, f
	}
	return h, nil
}

// check applies the rules of the X-Road schema that reading left open.
func (h *Header) check() *Fault {
	if strings.TrimSpace(h.ID) == "" {
		return newFault(CodeMissingHeaderField, "header field xrd:id is empty")
	}
	if !protocolVersionRE.MatchString(strings.TrimSpace(h.ProtocolVersion)) {
		return newFault(CodeInvalidProtocolVersion,
			"protocolVersion %q is not supported, want 4.x (4.0)", h.ProtocolVersion)
	}
	if f := checkClient(h.Client); f != nil {
		return f
	}
	return checkService(h.Service)
}

// checkClient checks the xrd:client identifier.
func checkClient(id Identifier) *Fault {
	switch id.ObjectType {
	case TypeMember:
		if id.SubsystemCode != "" {
			return newFault(CodeInvalidHeaderField,
				"xrd:client of objectType MEMBER has a subsystemCode; use SUBSYSTEM")
		}
	case TypeSubsystem:
		if id.SubsystemCode == "" {
			return newFault(CodeMissingHeaderField,
				"xrd:client of objectType SUBSYSTEM has no id:subsystemCode")
		}
	default:
		return newFault(CodeInvalidHeaderField,
			"xrd:client has objectType %q, want MEMBER or SUBSYSTEM", id.ObjectType)
	}
	return requireParts("client", id, "xRoadInstance", "memberClass", "memberCode")
}

// checkService checks the xrd:service identifier.
func checkService(id Identifier) *Fault {
	if id.ObjectType != TypeService {
		return newFault(CodeInvalidHeaderField,
			"xrd:service has objectType %q, want SERVICE", id.ObjectType)
	}
	return requireParts("service", id, "xRoadInstance", "memberClass", "memberCode", "serviceCode")
}

// requireParts returns a Client.MissingHeaderField fault for the first of
// names that id leaves empty.
func requireParts(field string, id Identifier, names ...string) *Fault {
	for _, n := range names {
		for _, f := range id.fields() {
			if f.name == n && *f.ptr == "" {
				return newFault(CodeMissingHeaderField, "xrd:%s has no id:%s", field, n)
			}
		}
	}
	return nil
}

// readParty reads repr:representedParty; partyCode is required.
func readParty(el *etree.Element) (*RepresentedParty, *Fault) {
	p := &RepresentedParty{}
	var code bool
	for _, c := range el.ChildElements() {
		if c.NamespaceURI() != NSRepresented {
			continue
		}
		switch c.Tag {
		case "partyClass":
			p.Class = strings.TrimSpace(c.Text())
		case "partyCode":
			p.Code = strings.TrimSpace(c.Text())
			code = true
		}
	}
	if !code || p.Code == "" {
		return nil, newFault(CodeMissingHeaderField,
			"repr:representedParty has no repr:partyCode")
	}
	return p, nil
}

// quoteNS names a namespace in a faultstring.
func quoteNS(ns string) string {
	if ns == "" {
		return "(none)"
	}
	return ns
}
