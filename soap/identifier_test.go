package soap

import (
	"encoding/xml"
	"testing"

	"github.com/beevik/etree"
)

func TestIdentifierString(t *testing.T) {
	tests := []struct {
		id   Identifier
		want string
	}{
		{ourProvider, "central-server/GOV/70000005/vehicles-service"},
		{ourProvider.Service("checkVehicle", "v1"), "central-server/GOV/70000005/vehicles-service/checkVehicle/v1"},
		{ourProvider.Service("checkVehicle", ""), "central-server/GOV/70000005/vehicles-service/checkVehicle"},
		{Identifier{ObjectType: TypeMember, XRoadInstance: "central-server", MemberClass: "COM",
			MemberCode: "10000001"}, "central-server/COM/10000001"},
		{Identifier{ObjectType: TypeServer, XRoadInstance: "i", MemberClass: "c", MemberCode: "m",
			ServerCode: "ss1"}, "i/c/m/ss1"},
		{Identifier{ObjectType: TypeGlobalGroup, XRoadInstance: "i", GroupCode: "g"}, "i/g"},
		{Identifier{ObjectType: TypeLocalGroup, GroupCode: "g"}, "g"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.id.String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseSubsystem(t *testing.T) {
	tests := []struct {
		in      string
		want    Identifier
		wantErr bool
	}{
		{"central-server/GOV/70000005/vehicles-service", ourProvider, false},
		{"central-server/COM/10000001", Identifier{ObjectType: TypeMember,
			XRoadInstance: "central-server", MemberClass: "COM", MemberCode: "10000001"}, false},
		{"central-server/GOV", Identifier{}, true},
		{"a/b/c/d/e", Identifier{}, true},
		{"a//c", Identifier{}, true},
		{"", Identifier{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSubsystem(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("got %+v, %v; want %+v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestSubsystemAndService(t *testing.T) {
	svc := ourProvider.Service("getVinPhotos", "v1")
	if svc.ObjectType != TypeService || svc.ServiceCode != "getVinPhotos" || svc.ServiceVersion != "v1" {
		t.Errorf("got %+v", svc)
	}
	if got := svc.Subsystem(); got != ourProvider {
		t.Errorf("got %+v, want %+v", got, ourProvider)
	}
	member := Identifier{ObjectType: TypeService, XRoadInstance: "i", MemberClass: "c",
		MemberCode: "m", ServiceCode: "s"}
	if got := member.Subsystem(); got.ObjectType != TypeMember || got.ServiceCode != "" {
		t.Errorf("got %+v, want a MEMBER", got)
	}
}

// TestCodec checks Marshal and Unmarshal, with the request element still
// inside its envelope and its namespace declared on an ancestor.
func TestCodec(t *testing.T) {
	type item struct {
		XMLName xml.Name `xml:"urn:v checkVehicle"`
		VIN     string   `xml:"urn:v vin"`
		Plate   string   `xml:"urn:v plate,omitempty"`
	}
	doc := etree.NewDocument()
	err := doc.ReadFromString(`<e xmlns:v="urn:v"><b><v:checkVehicle><v:vin>X1</v:vin>` +
		`</v:checkVehicle></b></e>`)
	if err != nil {
		t.Fatal(err)
	}
	var got item
	if err := Unmarshal(doc.FindElement("//checkVehicle"), &got); err != nil {
		t.Fatal(err)
	}
	if got.VIN != "X1" {
		t.Errorf("got VIN %q, want X1", got.VIN)
	}

	el, err := Marshal(item{VIN: "X2", Plate: "01KG"})
	if err != nil {
		t.Fatal(err)
	}
	if el.Parent() != nil || el.Tag != "checkVehicle" || el.NamespaceURI() != "urn:v" {
		t.Errorf("got %s in %q (parent %v)", el.Tag, el.NamespaceURI(), el.Parent())
	}
	var back item
	if err := Unmarshal(el, &back); err != nil || back.VIN != "X2" || back.Plate != "01KG" {
		t.Errorf("got %+v, %v", back, err)
	}
	if _, err := Marshal(make(chan int)); err == nil {
		t.Errorf("got no error marshalling a channel")
	}
	if err := Unmarshal(el, &struct {
		XMLName xml.Name `xml:"urn:other x"`
	}{}); err == nil {
		t.Errorf("got no error unmarshalling into the wrong element")
	}
}
