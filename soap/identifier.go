package soap

import (
	"fmt"
	"strings"

	"github.com/beevik/etree"
)

// Object types of an X-Road identifier (the id:objectType attribute).
const (
	TypeMember      = "MEMBER"
	TypeSubsystem   = "SUBSYSTEM"
	TypeService     = "SERVICE"
	TypeServer      = "SERVER"
	TypeGlobalGroup = "GLOBALGROUP"
	TypeLocalGroup  = "LOCALGROUP"
)

// Identifier is an X-Road identifier (client, service, ...). Its fields are
// the children of the identifier element, listed in schema order.
type Identifier struct {
	ObjectType     string // MEMBER, SUBSYSTEM, SERVICE, SERVER, GLOBALGROUP, LOCALGROUP
	XRoadInstance  string
	MemberClass    string
	MemberCode     string
	SubsystemCode  string
	GroupCode      string
	ServiceCode    string
	ServiceVersion string
	ServerCode     string
}

// identifierFields names the identifier children in schema order, each
// with a pointer into id, so that reading and writing share one table.
func (id *Identifier) fields() []struct {
	name string
	ptr  *string
} {
	return []struct {
		name string
		ptr  *string
	}{
		{"xRoadInstance", &id.XRoadInstance},
		{"memberClass", &id.MemberClass},
		{"memberCode", &id.MemberCode},
		{"subsystemCode", &id.SubsystemCode},
		{"groupCode", &id.GroupCode},
		{"serviceCode", &id.ServiceCode},
		{"serviceVersion", &id.ServiceVersion},
		{"serverCode", &id.ServerCode},
	}
}

// String returns the identifier in path form, for example
// "central-server/GOV/70000005/vehicles-service" for a subsystem or
// "central-server/GOV/70000005/vehicles-service/checkVehicle/v1" for a
// service. Empty optional parts are left out.
func (id Identifier) String() string {
	var parts []string
	switch id.ObjectType {
	case TypeGlobalGroup:
		parts = []string{id.XRoadInstance, id.GroupCode}
	case TypeLocalGroup:
		parts = []string{id.GroupCode}
	case TypeServer:
		parts = []string{id.XRoadInstance, id.MemberClass, id.MemberCode, id.ServerCode}
	default:
		parts = []string{id.XRoadInstance, id.MemberClass, id.MemberCode}
		for _, p := range []string{id.SubsystemCode, id.ServiceCode, id.ServiceVersion} {
			if p != "" {
				parts = append(parts, p)
			}
		}
	}
	return strings.Join(parts, "/")
}

// ParseSubsystem parses "instance/class/code" into a MEMBER identifier and
// "instance/class/code/subsystem" into a SUBSYSTEM identifier. It returns an
// error for any other number of parts or an empty part.
func ParseSubsystem(path string) (Identifier, error) {
	parts := strings.Split(path, "/")
	for _, p := range parts {
		if strings.TrimSpace(p) == "" {
			return Identifier{}, fmt.Errorf("soap: identifier %q has an empty part", path)
		}
	}
	switch len(parts) {
	case 3:
		return Identifier{ObjectType: TypeMember, XRoadInstance: parts[0],
			MemberClass: parts[1], MemberCode: parts[2]}, nil
	case 4:
		return Identifier{ObjectType: TypeSubsystem, XRoadInstance: parts[0],
			MemberClass: parts[1], MemberCode: parts[2], SubsystemCode: parts[3]}, nil
	}
	return Identifier{}, fmt.Errorf(
		"soap: identifier %q: want instance/class/code[/subsystem]", path)
}

// Service returns the SERVICE identifier for code and version (which may
// be empty) under the member or subsystem of id.
func (id Identifier) Service(code, version string) Identifier {
	s := id.Subsystem()
	s.ObjectType = TypeService
	s.ServiceCode = code
	s.ServiceVersion = version
	return s
}

// Subsystem returns the member or subsystem that id belongs to: service
// code and version (and group and server codes) dropped, object type
// SUBSYSTEM when a subsystem code is present and MEMBER otherwise.
func (id Identifier) Subsystem() Identifier {
	s := Identifier{XRoadInstance: id.XRoadInstance, MemberClass: id.MemberClass,
		MemberCode: id.MemberCode, SubsystemCode: id.SubsystemCode, ObjectType: TypeMember}
	if s.SubsystemCode != "" {
		s.ObjectType = TypeSubsystem
	}
	return s
}

// sameSubsystem reports whether a and b name the same member or subsystem.
func sameSubsystem(a, b Identifier) bool {
	return a.XRoadInstance == b.XRoadInstance && a.MemberClass == b.MemberClass &&
		a.MemberCode == b.MemberCode && a.SubsystemCode == b.SubsystemCode
}

// readIdentifier reads the identifier element el (xrd:client, xrd:service).
// Unknown children are ignored; a known child given twice is a
// Client.DuplicateHeaderField fault and a missing objectType attribute a
// Client.MissingHeaderField fault.
func readIdentifier(el *etree.Element) (Identifier, *Fault) {
	var id Identifier
	name := "xrd:" + el.Tag
	ot := attrNS(el, NSIdentifiers, "objectType")
	if ot == nil {
		return id, newFault(CodeMissingHeaderField,
			"%s has no id:objectType attribute (namespace %s)", name, NSIdentifiers)
	}
	id.ObjectType = strings.TrimSpace(ot.Value)

	seen := map[string]bool{}
	fields := id.fields()
	for _, c := range el.ChildElements() {
		if c.NamespaceURI() != NSIdentifiers {
			continue
		}
		for _, f := range fields {
			if f.name != c.Tag {
				continue
			}
			if seen[f.name] {
				return id, newFault(CodeDuplicateHeaderField,
					"%s has id:%s twice", name, f.name)
			}
			seen[f.name] = true
			*f.ptr = strings.TrimSpace(c.Text())
		}
	}
	return id, nil
}

// writeIdentifier appends the identifier element for id to parent, with
// prefixes xrd and id that the caller declares.
func writeIdentifier(parent *etree.Element, tag string, id Identifier) {
	el := parent.CreateElement("xrd:" + tag)
	el.CreateAttr("id:objectType", id.ObjectType)
	for _, f := range id.fields() {
		if *f.ptr != "" {
			el.CreateElement("id:" + f.name).SetText(*f.ptr)
		}
	}
}
