package wsdl

import (
	"net/http"
	"path"
	"strconv"
	"strings"
)

// Handler returns an http.Handler serving [Document](name, address) to
// GET and HEAD requests whose query is "wsdl" (as in /xroad?wsdl) or whose
// path ends in /wsdl. Other paths get 404 and other methods 405, so mount it
// only where GETs for the description arrive; SOAP POSTs are the soap
// package's. The document is built once, here, and Handler fails as
// Document does.
func Handler(name, address string) (http.Handler, error) {
	doc, err := Document(name, address)
	if err != nil {
		return nil, err
	}
	return &handler{doc: doc}, nil
}

type handler struct {
	doc []byte
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !wantsWSDL(r) {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "wsdl: only GET and HEAD are served here", http.StatusMethodNotAllowed)
		return
	}

	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(h.doc)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(h.doc)
}

// wantsWSDL reports whether r asks for the service description, the two
// ways X-Road tooling does: a bare "wsdl" query or a path ending in /wsdl.
func wantsWSDL(r *http.Request) bool {
	if strings.EqualFold(r.URL.RawQuery, "wsdl") {
		return true
	}
	return path.Base(r.URL.Path) == "wsdl"
}
