package endpoint_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/beevik/etree"

	"github.com/tunduk/vehicle-adapter/adapter"
	"github.com/tunduk/vehicle-adapter/soap"
)

// Photos in the three forms X-Road carries binary content in, over HTTP on
// PostgreSQL: inline base64, swaRef (a cid: contentRef naming a SOAP with
// attachments part) and MTOM (an xop:Include in content).

// sample reads a photo from testdata.
func sample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("sample photo: %v", err)
	}
	return b
}

// sentTypes records the Content-Type of each request and response.
type sentTypes struct {
	mu       sync.Mutex
	request  []string
	response []string
}

func (s *sentTypes) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := http.DefaultTransport.RoundTrip(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.request = append(s.request, r.Header.Get("Content-Type"))
	if res != nil {
		s.response = append(s.response, res.Header.Get("Content-Type"))
	}
	return res, err
}

func (s *sentTypes) last() (string, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.request[len(s.request)-1], s.response[len(s.response)-1]
}

// attClient is a consumer calling srv as client, recording content types.
func attClient(srv *server, client soap.Identifier) (*soap.Client, *sentTypes) {
	types := &sentTypes{}
	return &soap.Client{URL: srv.url, Client: client, HTTP: &http.Client{Transport: types}},
		types
}

// awaitingPhotos takes the demo vehicle's sale to AWAITING_PHOTOS and
// returns the transfer id and the seller's userId.
func awaitingPhotos(t *testing.T, srv *server) (string, string) {
	t.Helper()
	d := srv.demo
	seller, buyer := "KG"+string(d.Owner.PIN), "KG"+string(d.Buyer.PIN)
	b := map[string]string{
		"vin": d.Vehicle.VIN, "certificate": d.CertificateNumber,
		"seller": string(d.Owner.PIN), "buyer": string(d.Buyer.PIN), "transfer": transferID(1),
	}
	exchange(t, srv, request{File: "initiateTransfer", Client: portal, UserID: seller,
		ID: "att-initiate", Version: "v1", B: b}, adapter.OK)
	exchange(t, srv, request{File: "acceptTransfer", Client: portal, UserID: buyer,
		ID: "att-accept", Version: "v1", B: b}, adapter.OK)
	return transferID(1), seller
}

// photoPart is one photo of an upload.
type photoPart struct {
	kind, contentType, cid string
	data                   []byte
}

// uploadCall builds an uploadVinPhotos call carrying photos in form.
func uploadCall(transfer, userID, form string, photos []photoPart) soap.Call {
	body := etree.NewElement("v:uploadVinPhotos")
	body.CreateAttr("xmlns:v", nsVehicle)
	body.CreateElement("v:transferId").SetText(transfer)
	call := soap.Call{Service: provider.Service("uploadVinPhotos", "v1"), UserID: userID,
		Body: body}
	for _, p := range photos {
		el := body.CreateElement("v:photo")
		el.CreateElement("v:kind").SetText(p.kind)
		el.CreateElement("v:contentType").SetText(p.contentType)
		switch form {
		case "inline":
			el.CreateElement("v:content").SetText(base64.StdEncoding.EncodeToString(p.data))
		case "swaRef":
			el.CreateElement("v:contentRef").SetText("cid:" + p.cid)
		case "MTOM":
			inc := el.CreateElement("v:content").CreateElement("xop:Include")
			inc.CreateAttr("xmlns:xop", soap.NSXOP)
			inc.CreateAttr("href", "cid:"+p.cid)
		}
		if form != "inline" {
			call.Attachments = append(call.Attachments,
				soap.NewAttachment(p.cid, p.contentType, p.data))
		}
	}
	return call
}

// storedPhoto is a row of vin_photos with its content.
type storedPhoto struct {
	kind, sha256 string
	size         int64
	content      []byte
}

// storedPhotos reads a transfer's photos straight from the database.
func storedPhotos(t *testing.T, srv *server, transfer string) []storedPhoto {
	t.Helper()
	rows, err := srv.db.SQL().Query(`SELECT kind, sha256, size,
			(SELECT string_agg(data, ''::bytea ORDER BY seq) FROM vin_photo_chunks c
				WHERE c.photo_id = p.id)
		FROM vin_photos p WHERE transfer_id = $1 ORDER BY id`, transfer)
	if err != nil {
		t.Fatalf("stored photos: %v", err)
	}
	defer rows.Close()
	var out []storedPhoto
	for rows.Next() {
		var p storedPhoto
		if err := rows.Scan(&p.kind, &p.sha256, &p.size, &p.content); err != nil {
			t.Fatalf("stored photos: %v", err)
		}
		out = append(out, p)
	}
	return out
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestUploadForms uploads the two sample photos in each form and checks
// what the database holds, then reads them back with getVinPhotos: in the
// envelope as base64 for a text/xml request, as swaRef attachments for a
// multipart one.
func TestUploadForms(t *testing.T) {
	t.Parallel()
	photos := []photoPart{
		{adapter.PhotoVINPlate, "image/jpeg", "vin-plate@portal.example", sample(t, "vin-plate.jpg")},
		{adapter.PhotoFront, "image/png", "front@portal.example", sample(t, "front.png")},
	}
	wantRequest := map[string]string{
		"inline": "text/xml", "swaRef": "multipart/related", "MTOM": "multipart/related",
	}
	for _, form := range []string{"inline", "swaRef", "MTOM"} {
		t.Run(form, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			transfer, seller := awaitingPhotos(t, srv)
			c, types := attClient(srv, portal)
			resp, err := c.Do(context.Background(), uploadCall(transfer, seller, form, photos))
			if err != nil {
				t.Fatalf("uploadVinPhotos: %v", err)
			}
			reqType, _ := types.last()
			if !strings.HasPrefix(reqType, wantRequest[form]) ||
				(form == "MTOM") != strings.Contains(reqType, "application/xop+xml") {
				t.Errorf("sent Content-Type %q, want %s", reqType, wantRequest[form])
			}
			checkResult(t, resp.Body, adapter.OK)
			if got := child(resp.Body, "photoCount"); got != "2" {
				t.Errorf("got photoCount %s, want 2", got)
			}

			got := storedPhotos(t, srv, transfer)
			if len(got) != len(photos) {
				t.Fatalf("got %d stored photos, want %d", len(got), len(photos))
			}
			for i, p := range photos {
				g := got[i]
				if g.kind != p.kind || g.sha256 != hexSum(p.data) || g.size != int64(len(p.data)) ||
					!bytes.Equal(g.content, p.data) {
					t.Errorf("photo %d: got %s of %d bytes, sha256 %s; want %s of %d, sha256 %s",
						i+1, g.kind, g.size, g.sha256, p.kind, len(p.data), hexSum(p.data))
				}
			}

			testGetVinPhotos(t, srv, transfer, photos)
		})
	}
}

// testGetVinPhotos reads the photos back as the inspection subsystem, once
// without attachments in the request and once with one.
func testGetVinPhotos(t *testing.T, srv *server, transfer string, photos []photoPart) {
	for _, multipart := range []bool{false, true} {
		name := map[bool]string{false: "get without attachments", true: "get with attachments"}
		t.Run(name[multipart], func(t *testing.T) {
			c, types := attClient(srv, inspection)
			body := etree.NewElement("v:getVinPhotos")
			body.CreateAttr("xmlns:v", nsVehicle)
			body.CreateElement("v:transferId").SetText(transfer)
			call := soap.Call{Service: provider.Service("getVinPhotos", "v1"), Body: body}
			if multipart {
				call.Attachments = []*soap.Attachment{
					soap.NewAttachment("note@inspection.example", "text/plain", []byte("reader"))}
			}
			resp, err := c.Do(context.Background(), call)
			if err != nil {
				t.Fatalf("getVinPhotos: %v", err)
			}
			defer resp.Close()
			_, resType := types.last()
			wantType := map[bool]string{false: "text/xml", true: "multipart/related"}[multipart]
			if !strings.HasPrefix(resType, wantType) {
				t.Errorf("got response Content-Type %q, want %s", resType, wantType)
			}
			checkResult(t, resp.Body, adapter.OK)
			if n := len(resp.Attachments); multipart != (n == len(photos)) || !multipart && n != 0 {
				t.Errorf("got %d attachments, want %d", n, map[bool]int{true: len(photos)}[multipart])
			}
			els := resp.Body.SelectElements("photo")
			if len(els) != len(photos) {
				t.Fatalf("got %d photos, want %d", len(els), len(photos))
			}
			for i, el := range els {
				ref := el.SelectElement("contentRef")
				if multipart != (ref != nil) || multipart == (el.SelectElement("content") != nil) {
					t.Errorf("photo %d: got content %v, contentRef %v; want %s",
						i+1, el.SelectElement("content") != nil, ref != nil,
						map[bool]string{false: "content", true: "contentRef"}[multipart])
				}
				if ref == nil {
					ref = el.SelectElement("content")
				}
				a, err := resp.Content(ref)
				if err != nil {
					t.Fatalf("photo %d: %v", i+1, err)
				}
				b, err := a.Bytes()
				if err != nil || !bytes.Equal(b, photos[i].data) ||
					child(el, "sha256") != hexSum(photos[i].data) {
					t.Errorf("photo %d: got %d bytes (%v), sha256 %s; want the %d uploaded",
						i+1, len(b), err, child(el, "sha256"), len(photos[i].data))
				}
				if multipart && a.ContentType != photos[i].contentType {
					t.Errorf("photo %d: got attachment type %q, want %s", i+1, a.ContentType,
						photos[i].contentType)
				}
			}
		})
	}
}

// TestUploadBadReference sends content references that name no part: a
// swaRef gets Client.BadRequest from the endpoint, an xop:Include
// Client.InvalidBody from the soap layer; neither stores anything.
func TestUploadBadReference(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	transfer, seller := awaitingPhotos(t, srv)
	jpeg := sample(t, "vin-plate.jpg")
	tests := []struct {
		form, want, says string
	}{
		{"swaRef", soap.CodeBadRequest, "names no attachment"},
		{"MTOM", soap.CodeInvalidBody, "names no"},
	}
	for _, tc := range tests {
		t.Run(tc.form, func(t *testing.T) {
			call := uploadCall(transfer, seller, tc.form, []photoPart{
				{adapter.PhotoVINPlate, "image/jpeg", "vin@portal.example", jpeg}})
			// The part is there, under another Content-ID.
			call.Attachments = []*soap.Attachment{
				soap.NewAttachment("other@portal.example", "image/jpeg", jpeg)}
			c, _ := attClient(srv, portal)
			_, err := c.Do(context.Background(), call)
			var f *soap.Fault
			if !errors.As(err, &f) {
				t.Fatalf("got %v, want a SOAP fault", err)
			}
			if f.Code != tc.want && !strings.HasSuffix(f.Code, ":"+tc.want) ||
				!strings.Contains(f.String, tc.says) || !strings.Contains(f.String, "vin@portal") {
				t.Errorf("got fault %s %q, want %s saying the reference %q", f.Code, f.String,
					tc.want, tc.says)
			}
			if got := storedPhotos(t, srv, transfer); len(got) != 0 {
				t.Errorf("got %d stored photos, want none", len(got))
			}
		})
	}
}
