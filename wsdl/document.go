package wsdl

import (
	"embed"
	"errors"
	"fmt"
	"net/url"
	"path"

	"github.com/beevik/etree"
)

// Names of the documents [Document] and [Handler] know.
const (
	// Vehicle is the vehicle re-registration service the adapter provides.
	Vehicle = "vehicle.wsdl"
	// Bank is the payment service the adapter consumes from partner banks.
	Bank = "bank.wsdl"
)

// Namespaces the documents are built from.
const (
	nsWSDL   = "http://schemas.xmlsoap.org/wsdl/"
	nsSOAP   = "http://schemas.xmlsoap.org/wsdl/soap/"
	nsSchema = "http://www.w3.org/2001/XMLSchema"
)

var (
	// ErrUnknownDocument is returned for a name other than Vehicle or Bank.
	ErrUnknownDocument = errors.New("wsdl: unknown document")
	// ErrInvalidAddress is returned when the public address is not an
	// absolute http or https URL.
	ErrInvalidAddress = errors.New("wsdl: invalid service address")
)

//go:embed vehicle.wsdl bank.wsdl xsd/*.xsd
var files embed.FS

// Document returns the WSDL called name (Vehicle or Bank), made
// self-contained for security servers: the X-Road schemas it imports are
// inlined into wsdl:types, no schemaLocation is left, and every soap:address
// location is set to address, the public URL of the service. It fails with
// ErrUnknownDocument, ErrInvalidAddress, or an error describing a broken
// embedded file.
func Document(name, address string) ([]byte, error) {
	if name != Vehicle && name != Bank {
		return nil, fmt.Errorf("%w: %q", ErrUnknownDocument, name)
	}
	if err := checkAddress(address); err != nil {
		return nil, err
	}

	doc, err := readXML(name)
	if err != nil {
		return nil, err
	}
	if err := inlineSchemas(doc, name); err != nil {
		return nil, err
	}
	setAddress(doc.Root(), address)

	out, err := doc.WriteToBytes()
	if err != nil {
		return nil, fmt.Errorf("wsdl: write %s: %w", name, err)
	}
	return out, nil
}

// checkAddress refuses what a consumer could not post to.
func checkAddress(address string) error {
	u, err := url.Parse(address)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidAddress, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: %q is not an absolute http(s) URL", ErrInvalidAddress, address)
	}
	return nil
}

func readXML(name string) (*etree.Document, error) {
	data, err := files.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("wsdl: read %s: %w", name, err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(data); err != nil {
		return nil, fmt.Errorf("wsdl: parse %s: %w", name, err)
	}
	if doc.Root() == nil {
		return nil, fmt.Errorf("wsdl: parse %s: no root element", name)
	}
	return doc, nil
}

// inlineSchemas appends every schema reachable through xs:import
// schemaLocation to wsdl:types and drops the locations. The order is
// depth-first, imports before importers, which is the order gowsdl reads
// them in, so the inlined document generates the same Go code as the source.
func inlineSchemas(doc *etree.Document, name string) error {
	types := childNS(doc.Root(), nsWSDL, "types")
	if types == nil {
		return fmt.Errorf("wsdl: %s has no wsdl:types", name)
	}

	seen := map[string]bool{}
	var inlined []*etree.Element
	var visit func(schema *etree.Element, file string) error
	visit = func(schema *etree.Element, file string) error {
		for _, imp := range schema.ChildElements() {
			if imp.NamespaceURI() != nsSchema || (imp.Tag != "import" && imp.Tag != "include") {
				continue
			}
			loc := imp.SelectAttrValue("schemaLocation", "")
			if loc == "" {
				continue
			}
			if imp.Tag == "include" {
				return fmt.Errorf("wsdl: %s: xs:include of %s is not supported", file, loc)
			}
			imp.RemoveAttr("schemaLocation")

			target := path.Join(path.Dir(file), loc)
			if seen[target] {
				continue
			}
			seen[target] = true
			sub, err := readXML(target)
			if err != nil {
				return err
			}
			if err := visit(sub.Root(), target); err != nil {
				return err
			}
			inlined = append(inlined, sub.Root())
		}
		return nil
	}

	for _, schema := range types.ChildElements() {
		if schema.NamespaceURI() != nsSchema || schema.Tag != "schema" {
			continue
		}
		if err := visit(schema, name); err != nil {
			return err
		}
	}
	for _, schema := range inlined {
		types.AddChild(schema)
	}
	return nil
}

// setAddress points every SOAP 1.1 port of the document at address.
func setAddress(root *etree.Element, address string) {
	for _, svc := range root.ChildElements() {
		if svc.NamespaceURI() != nsWSDL || svc.Tag != "service" {
			continue
		}
		for _, port := range svc.ChildElements() {
			if a := childNS(port, nsSOAP, "address"); a != nil {
				a.CreateAttr("location", address)
			}
		}
	}
}

// childNS returns the first child element of e with the namespace and local
// name given, or nil.
func childNS(e *etree.Element, space, local string) *etree.Element {
	for _, c := range e.ChildElements() {
		if c.Tag == local && c.NamespaceURI() == space {
			return c
		}
	}
	return nil
}
