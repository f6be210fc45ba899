package soap

import (
	"net/http"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// utf16 returns s in UTF-16 of the given byte order, led by a byte-order
// mark.
func utf16(t testing.TB, order unicode.Endianness, s string) []byte {
	t.Helper()
	b, err := unicode.UTF16(order, unicode.UseBOM).NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// simpleWith returns corpus/simple.query with each old string replaced by
// the new one that follows it.
func simpleWith(t *testing.T, oldNew ...string) []byte {
	t.Helper()
	s := string(readTestdata(t, "corpus/simple.query"))
	for i := 0; i+1 < len(oldNew); i += 2 {
		if !strings.Contains(s, oldNew[i]) {
			t.Fatalf("simple.query has no %q", oldNew[i])
		}
		s = strings.Replace(s, oldNew[i], oldNew[i+1], 1)
	}
	return []byte(s)
}

// TestEnvelopeChecks sends variants of a valid message and checks the
// outcome: 200 when the service is reached, or the fault.
func TestEnvelopeChecks(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		want string // fault code; "" for success
		echo bool
	}{
		{"valid", simpleWith(t), "", true},
		{"protocol version 4.1", simpleWith(t, ">4.0<", ">4.1<"), "", true},
		{"protocol version with spaces", simpleWith(t, ">4.0<", "> 4.0 <"), "", true},
		{"fields reordered, unknown kept", simpleWith(t,
			"<xroad:userId>EE37702211234</xroad:userId>",
			"<x:trace xmlns:x=\"urn:x\"> a </x:trace>",
			"<xroad:protocolVersion>4.0</xroad:protocolVersion>",
			"<xroad:protocolVersion>4.0</xroad:protocolVersion><xroad:userId/><xroad:issue></xroad:issue>"),
			"", true},
		{"request suffix", simpleWith(t, "ns1:testQuery ", "ns1:testQueryRequest ",
			"</ns1:testQuery>", "</ns1:testQueryRequest>"), "", true},
		{"SOAP namespace as default", []byte(`<Envelope xmlns="` + NSEnvelope + `"
			xmlns:x="` + NSXRoad + `" xmlns:i="` + NSIdentifiers + `"><Header>
			<x:client i:objectType="MEMBER"><i:xRoadInstance>EE</i:xRoadInstance>
			<i:memberClass>BUSINESS</i:memberClass><i:memberCode>c</i:memberCode></x:client>
			<x:service i:objectType="SERVICE"><i:xRoadInstance>EE</i:xRoadInstance>
			<i:memberClass>BUSINESS</i:memberClass><i:memberCode>producer</i:memberCode>
			<i:serviceCode>q</i:serviceCode></x:service><x:id>1</x:id>
			<x:protocolVersion>4.0</x:protocolVersion></Header>
			<Body><q xmlns="urn:q"><a>1</a></q></Body></Envelope>`), "", true},
		{"SOAP 1.2", simpleWith(t, "http://schemas.xmlsoap.org/soap/envelope/",
			"http://www.w3.org/2003/05/soap-envelope"), CodeInvalidSoap, false},
		{"not an envelope", []byte(`<testQuery xmlns="urn:x"/>`), CodeInvalidSoap, false},
		{"DTD", append([]byte(`<!DOCTYPE x [<!ENTITY a "b">]>`), simpleWith(t)[39:]...),
			CodeInvalidXML, false},
		{"undeclared prefix", simpleWith(t, "<ns1:testQuery ", "<nsX:testQuery "),
			CodeInvalidXML, false},
		{"two roots", append(simpleWith(t), "<x/>"...), CodeInvalidXML, false},
		{"truncated", simpleWith(t)[:600], CodeInvalidXML, false},
		{"https namespace", simpleWith(t, `"http://x-road.eu/xsd/xroad.xsd"`,
			`"https://x-road.eu/xsd/xroad.xsd"`), CodeMissingHeaderField, true},
		{"client of type SERVICE", simpleWith(t, `<xroad:client id:objectType="MEMBER">`,
			`<xroad:client id:objectType="SERVICE">`), CodeInvalidHeaderField, true},
		{"subsystem client without code", simpleWith(t, `<xroad:client id:objectType="MEMBER">`,
			`<xroad:client id:objectType="SUBSYSTEM">`), CodeMissingHeaderField, true},
		{"duplicate memberCode", simpleWith(t, "<id:memberCode>consumer</id:memberCode>",
			"<id:memberCode>a</id:memberCode><id:memberCode>b</id:memberCode>"),
			CodeDuplicateHeaderField, true},
		{"service without serviceCode", simpleWith(t, "<id:serviceCode>testQuery</id:serviceCode>", ""),
			CodeMissingHeaderField, true},
		{"empty id", simpleWith(t, "<xroad:id>1234567890</xroad:id>", "<xroad:id> </xroad:id>"),
			CodeMissingHeaderField, true},
		{"duplicate id", simpleWith(t, "<xroad:id>1234567890</xroad:id>",
			"<xroad:id>1</xroad:id><xroad:id>2</xroad:id>"), CodeDuplicateHeaderField, true},
		{"party without code", simpleWith(t, "<xroad:id>",
			`<r:representedParty xmlns:r="`+NSRepresented+`"><r:partyClass>COM</r:partyClass>`+
				`</r:representedParty><xroad:id>`), CodeMissingHeaderField, true},
		{"text in Body", simpleWith(t, "<SOAP-ENV:Body>", "<SOAP-ENV:Body>oops"),
			CodeInvalidBody, true},
		{"encodingStyle on body element", simpleWith(t, "<ns1:testQuery ",
			`<ns1:testQuery SOAP-ENV:encodingStyle="`+NSEncoding+`" `), CodeInvalidSoap, true},
		{"element after Body allowed", simpleWith(t, "</SOAP-ENV:Body>",
			`</SOAP-ENV:Body><x:trailer xmlns:x="urn:x"/>`), "", true},
		{"two Bodies", simpleWith(t, "</SOAP-ENV:Body>",
			`</SOAP-ENV:Body><SOAP-ENV:Body/>`), CodeInvalidSoap, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &Handler{Service: &echoService{}, Provider: producer}
			r := post(t, h, "text/xml; charset=utf-8", tt.body)
			wantStatus := http.StatusOK
			if tt.want != "" {
				wantStatus = http.StatusInternalServerError
			}
			if r.status != wantStatus || r.fault() != tt.want {
				t.Fatalf("got %d %q, want %d %q\n%s", r.status, r.fault(), wantStatus, tt.want, r.body)
			}
			if got := r.header() != nil; got != tt.echo {
				t.Fatalf("got header echoed %v, want %v", got, tt.echo)
			}
			if tt.echo {
				if d := sameTree(requestHeader(t, tt.body), r.header()); d != "" {
					t.Errorf("echo differs: %s", d)
				}
			}
		})
	}
}

// TestCharsets checks that the charset parameter, or else the XML
// declaration, decides how the text is decoded.
func TestCharsets(t *testing.T) {
	encode := func(t *testing.T, cm *charmap.Charmap, s string) []byte {
		b, err := cm.NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cyr := "Бишкек, улица Чуй"
	lat := "Müller, Çağrı"
	tests := []struct {
		name string
		ct   string
		body func(t *testing.T) []byte
		want string // the request/name text the service sees; "" for a fault
	}{
		{"windows-1251 by parameter", "text/xml; charset=windows-1251", func(t *testing.T) []byte {
			return encode(t, charmap.Windows1251, string(simpleWith(t, "<name>foo", "<name>"+cyr,
				`encoding="utf-8"`, `encoding="windows-1251"`)))
		}, cyr},
		{"windows-1251 by declaration", "text/xml", func(t *testing.T) []byte {
			return encode(t, charmap.Windows1251, string(simpleWith(t, "<name>foo", "<name>"+cyr,
				`encoding="utf-8"`, `encoding="windows-1251"`)))
		}, cyr},
		{"parameter wins over declaration", "text/xml; charset=CP1251", func(t *testing.T) []byte {
			return encode(t, charmap.Windows1251, string(simpleWith(t, "<name>foo", "<name>"+cyr)))
		}, cyr},
		{"ISO-8859-1", "text/xml; charset=ISO-8859-1", func(t *testing.T) []byte {
			return encode(t, charmap.ISO8859_1, string(simpleWith(t, "<name>foo", "<name>Müller")))
		}, "Müller"},
		{"UTF-8 with BOM", "text/xml; charset=UTF-8", func(t *testing.T) []byte {
			return append([]byte{0xEF, 0xBB, 0xBF}, simpleWith(t, "<name>foo", "<name>"+lat)...)
		}, lat},
		{"UTF-8 with BOM, no charset", "text/xml", func(t *testing.T) []byte {
			return append([]byte{0xEF, 0xBB, 0xBF}, simpleWith(t, "<name>foo", "<name>"+lat)...)
		}, lat},
		{"UTF-16LE by BOM, no charset", "text/xml", func(t *testing.T) []byte {
			return utf16(t, unicode.LittleEndian, string(simpleWith(t, "<name>foo", "<name>"+cyr,
				`encoding="utf-8"`, `encoding="UTF-16"`)))
		}, cyr},
		{"UTF-16BE by BOM, no charset", "text/xml", func(t *testing.T) []byte {
			return utf16(t, unicode.BigEndian, string(simpleWith(t, "<name>foo", "<name>"+cyr,
				`encoding="utf-8"`, `encoding="UTF-16"`)))
		}, cyr},
		{"UTF-16LE by BOM, declaration silent", "text/xml", func(t *testing.T) []byte {
			return utf16(t, unicode.LittleEndian, string(simpleWith(t, "<name>foo", "<name>"+lat,
				` encoding="utf-8"`, ``)))
		}, lat},
		{"UTF-16 by parameter", "text/xml; charset=UTF-16", func(t *testing.T) []byte {
			return utf16(t, unicode.LittleEndian, string(simpleWith(t, "<name>foo", "<name>"+cyr,
				`encoding="utf-8"`, `encoding="UTF-16"`)))
		}, cyr},
		{"unknown charset", "text/xml; charset=x-klingon", func(t *testing.T) []byte {
			return simpleWith(t)
		}, ""},
		{"invalid UTF-8", "text/xml; charset=utf-8", func(t *testing.T) []byte {
			return simpleWith(t, "<name>foo", "<name>\xff\xfe")
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &echoService{}
			h := &Handler{Service: svc, Provider: producer}
			r := post(t, h, tt.ct, tt.body(t))
			if tt.want == "" {
				if r.status != 500 || r.fault() == "" {
					t.Fatalf("got %d %q, want a fault", r.status, r.fault())
				}
				return
			}
			if r.status != http.StatusOK {
				t.Fatalf("got %d %s, want 200\n%s", r.status, r.fault(), r.body)
			}
			if got := svc.got[0].Body.FindElement("request/name").Text(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
