package wsdl

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/tunduk/vehicle-adapter/wsdl/bank"
	"github.com/tunduk/vehicle-adapter/wsdl/vehicle"
)

// bodies lists every request and response type of both contracts; the test
// checks the list against the WSDL messages so a new operation is not missed.
var bodies = map[string][]any{
	Vehicle: {
		&vehicle.CheckVehicle{}, &vehicle.CheckVehicleResponse{},
		&vehicle.InitiateTransfer{}, &vehicle.InitiateTransferResponse{},
		&vehicle.AcceptTransfer{}, &vehicle.AcceptTransferResponse{},
		&vehicle.CancelTransfer{}, &vehicle.CancelTransferResponse{},
		&vehicle.UploadVinPhotos{}, &vehicle.UploadVinPhotosResponse{},
		&vehicle.ListPendingInspections{}, &vehicle.ListPendingInspectionsResponse{},
		&vehicle.GetVinPhotos{}, &vehicle.GetVinPhotosResponse{},
		&vehicle.SubmitInspection{}, &vehicle.SubmitInspectionResponse{},
		&vehicle.ConfirmPayment{}, &vehicle.ConfirmPaymentResponse{},
		&vehicle.GetTransferStatus{}, &vehicle.GetTransferStatusResponse{},
		&vehicle.GetRegistrationCertificate{}, &vehicle.GetRegistrationCertificateResponse{},
	},
	Bank: {
		&bank.CreatePaymentOrder{}, &bank.CreatePaymentOrderResponse{},
		&bank.GetPaymentOrder{}, &bank.GetPaymentOrderResponse{},
		&bank.CancelPaymentOrder{}, &bank.CancelPaymentOrderResponse{},
		&bank.RefundPayment{}, &bank.RefundPaymentResponse{},
	},
}

// fill sets every field of the value v points to, recursively, to something
// non-zero, so that omitempty drops nothing and every element is exercised.
func fill(v reflect.Value, name string) {
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), name)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[xml.Name]() {
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).Name == "XMLName" {
				continue
			}
			fill(v.Field(i), v.Type().Field(i).Name)
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			v.SetBytes([]byte{0, 1, 2, 0xfe, 0xff, '<', '&'})
			return
		}
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(v.Index(i), fmt.Sprintf("%s%d", name, i))
		}
	case reflect.String:
		if name == "Lang" {
			v.SetString("ky")
			return
		}
		v.SetString(name + " <&> Кыргызча")
	case reflect.Int32, reflect.Int64:
		v.SetInt(int64(len(name)))
	case reflect.Bool:
		v.SetBool(true)
	default:
		panic("fill: unhandled kind " + v.Kind().String() + " of " + name)
	}
}

// model is the element structure of a target namespace's schema: for each
// complex type (a named one, or a global element's own) the names of its
// child elements in schema order, and the complex type of each child.
type model struct {
	order map[string][]string
	child map[string]map[string]string
}

func schemaModel(t testing.TB, root *etree.Element, tns string) model {
	t.Helper()
	m := model{order: map[string][]string{}, child: map[string]map[string]string{}}
	var schema *etree.Element
	for _, s := range children(children(root, nsWSDL, "types")[0], nsSchema, "schema") {
		if s.SelectAttrValue("targetNamespace", "") == tns {
			schema = s
		}
	}
	if schema == nil {
		t.Fatalf("no schema for %s", tns)
	}
	complex := map[string]bool{}
	for _, ct := range children(schema, nsSchema, "complexType") {
		complex[ct.SelectAttrValue("name", "")] = true
	}
	add := func(key string, ct *etree.Element) {
		m.child[key] = map[string]string{}
		m.order[key] = []string{}
		walk(ct, func(e *etree.Element) {
			if e == ct || e.NamespaceURI() != nsSchema || e.Tag != "element" {
				return
			}
			name := e.SelectAttrValue("name", "")
			m.order[key] = append(m.order[key], name)
			typ := e.SelectAttrValue("type", "")
			if resolve(e, typ) == tns && complex[local(typ)] {
				m.child[key][name] = "type:" + local(typ)
			}
		})
	}
	for _, ct := range children(schema, nsSchema, "complexType") {
		add("type:"+ct.SelectAttrValue("name", ""), ct)
	}
	for _, el := range children(schema, nsSchema, "element") {
		if ct := children(el, nsSchema, "complexType"); len(ct) == 1 {
			add("element:"+el.SelectAttrValue("name", ""), ct[0])
		}
	}
	return m
}

// conforms reports, through t, every element below e that is not in the
// target namespace, not declared by the schema type key, or out of order.
func (m model) conforms(t testing.TB, e *etree.Element, key, tns string) {
	t.Helper()
	order, ok := m.order[key]
	if !ok {
		t.Errorf("%s: no schema type %s", e.GetPath(), key)
		return
	}
	last := -1
	for _, c := range e.ChildElements() {
		if c.NamespaceURI() != tns {
			t.Errorf("%s: got namespace %q, want %q", c.GetPath(), c.NamespaceURI(), tns)
		}
		idx := -1
		for i, name := range order {
			if name == c.Tag && i >= last {
				idx = i
				break
			}
		}
		if idx < 0 {
			t.Errorf("%s: element %s is undeclared or out of order (schema order %v)",
				e.GetPath(), c.Tag, order)
			continue
		}
		last = idx
		if sub, ok := m.child[key][c.Tag]; ok {
			m.conforms(t, c, sub, tns)
		}
	}
}

func TestBodiesMatchSchemaAndRoundTrip(t *testing.T) {
	for _, d := range documents {
		src, err := files.ReadFile(d.name)
		if err != nil {
			t.Fatal(err)
		}
		root := parse(t, src)
		m := schemaModel(t, root, d.tns)

		covered := map[string]bool{}
		for _, body := range bodies[d.name] {
			typ := reflect.TypeOf(body).Elem()
			t.Run(typ.String(), func(t *testing.T) {
				want := reflect.New(typ)
				fill(want.Elem(), typ.Name())
				data, err := xml.Marshal(want.Interface())
				if err != nil {
					t.Fatalf("marshal: %v", err)
				}

				e := parse(t, data)
				covered[e.Tag] = true
				if e.NamespaceURI() != d.tns {
					t.Errorf("got root {%s}%s, want namespace %s", e.NamespaceURI(), e.Tag, d.tns)
				}
				m.conforms(t, e, "element:"+e.Tag, d.tns)
				walk(e, func(x *etree.Element) {
					for _, a := range x.Attr {
						if a.FullKey() != "xml:lang" && a.Space != "xmlns" && a.Key != "xmlns" {
							t.Errorf("%s: unexpected attribute %s", x.GetPath(), a.FullKey())
						}
					}
				})

				got := reflect.New(typ)
				if err := xml.Unmarshal(data, got.Interface()); err != nil {
					t.Fatalf("unmarshal: %v", err)
				}
				got.Elem().FieldByName("XMLName").Set(reflect.Zero(reflect.TypeFor[xml.Name]()))
				if !reflect.DeepEqual(got.Interface(), want.Interface()) {
					t.Errorf("round trip changed the value:\ngot  %+v\nwant %+v\nxml %s",
						got.Elem(), want.Elem(), data)
				}
			})
		}

		for _, msg := range children(root, nsWSDL, "message") {
			for _, p := range children(msg, nsWSDL, "part") {
				el := p.SelectAttrValue("element", "")
				if resolve(p, el) == d.tns && !covered[local(el)] {
					t.Errorf("%s: body element %s has no Go type in the test table", d.name, el)
				}
			}
		}
	}
}

// TestMessagesCarryXMLLang checks the wire form of a result: every message
// element carries xml:lang bound to the XML namespace, in both packages.
func TestMessagesCarryXMLLang(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    any
	}{
		{"vehicle", &vehicle.CancelTransferResponse{Result: &vehicle.Result{
			Code: "OK",
			Message: []*vehicle.LocalizedText{
				vehicle.NewLocalizedText("ky", "Жокко чыгарылды"),
				vehicle.NewLocalizedText("ru", "Отменено"),
				vehicle.NewLocalizedText("en", "Cancelled"),
			},
		}}},
		{"bank", &bank.GetPaymentOrderResponse{Result: &bank.Result{
			Code: "OK",
			Message: []*bank.LocalizedText{
				bank.NewLocalizedText("ky", "Табылды"),
				bank.NewLocalizedText("ru", "Найдено"),
				bank.NewLocalizedText("en", "Found"),
			},
		}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := xml.Marshal(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			// encoding/xml resolves the predeclared xml prefix, which etree
			// leaves unresolved, so the namespace check reads tokens.
			var langs []string
			dec := xml.NewDecoder(bytes.NewReader(data))
			for {
				tok, err := dec.Token()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("read back: %v", err)
				}
				se, ok := tok.(xml.StartElement)
				if !ok || se.Name.Local != "message" {
					continue
				}
				found := false
				for _, a := range se.Attr {
					if a.Name == (xml.Name{Space: nsXML, Local: "lang"}) {
						langs = append(langs, a.Value)
						found = true
					}
				}
				if !found {
					t.Errorf("message: got attributes %v, want xml:lang", se.Attr)
				}
			}
			if got := strings.Join(langs, ","); got != "ky,ru,en" {
				t.Errorf("got languages %s, want ky,ru,en\n%s", got, data)
			}
		})
	}
}
