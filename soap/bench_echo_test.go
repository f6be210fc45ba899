package soap

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// benchEnvelope is a request for ourProvider whose body carries payload
// bytes of base64 text, as an inline photo does.
func benchEnvelope(payload int) []byte {
	content := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xa5, 0x5a, 0x3c}, payload/4+1))
	content = content[:payload]
	return fmt.Appendf(nil, `<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"
 xmlns:xrd="http://x-road.eu/xsd/xroad.xsd" xmlns:id="http://x-road.eu/xsd/identifiers">
<SOAP-ENV:Header>
<xrd:client id:objectType="SUBSYSTEM"><id:xRoadInstance>central-server</id:xRoadInstance>
<id:memberClass>GOV</id:memberClass><id:memberCode>70000001</id:memberCode>
<id:subsystemCode>tunduk-portal</id:subsystemCode></xrd:client>
<xrd:service id:objectType="SERVICE"><id:xRoadInstance>central-server</id:xRoadInstance>
<id:memberClass>GOV</id:memberClass><id:memberCode>70000005</id:memberCode>
<id:subsystemCode>vehicles-service</id:subsystemCode><id:serviceCode>uploadVinPhotos</id:serviceCode>
<id:serviceVersion>v1</id:serviceVersion></xrd:service>
<xrd:id>4894e35d-bf0f-44a6-867a-8e51f1daa7e0</xrd:id><xrd:userId>KG21503199512345</xrd:userId>
<xrd:protocolVersion>4.0</xrd:protocolVersion>
</SOAP-ENV:Header>
<SOAP-ENV:Body><v:uploadVinPhotos xmlns:v="http://mvd.gov.kg/xroad/vehicle">
<v:transferId>0b5d8a52-2f44-4a57-9d1e-5d0f3f9b1c11</v:transferId>
<v:photo><v:kind>VIN_PLATE</v:kind><v:contentType>image/jpeg</v:contentType>
<v:content>%s</v:content></v:photo></v:uploadVinPhotos></SOAP-ENV:Body></SOAP-ENV:Envelope>`,
		content)
}

// mirror answers with a response element holding a copy of the request
// body's children, so the benchmark pays for parsing, checking, echoing
// the header and serialising everything it read.
var mirror = ServiceFunc(func(_ context.Context, req *Request) (*Response, error) {
	el := NewResponseElement(req)
	for _, c := range req.Body.ChildElements() {
		el.AddChild(c.Copy())
	}
	return &Response{Body: el}, nil
})

// BenchmarkHandlerEchoPhoto measures the SOAP layer alone per message: parse,
// validate, echo and serialise, with no network and no database. Run it
// with: go test -run '^$' -bench HandlerEchoPhoto -benchmem ./soap/
func BenchmarkHandlerEchoPhoto(b *testing.B) {
	for _, size := range []struct {
		name    string
		payload int
	}{{"small", 64}, {"1MB", 1 << 20}} {
		b.Run(size.name, func(b *testing.B) {
			env := benchEnvelope(size.payload)
			h := &Handler{Service: mirror, Provider: ourProvider}
			b.SetBytes(int64(len(env)))
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/xroad", bytes.NewReader(env))
				req.Header.Set("Content-Type", "text/xml; charset=UTF-8")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("got status %d: %s", rec.Code, rec.Body.Bytes())
				}
			}
		})
	}
}
