package soap

import (
	"errors"
	"fmt"
	"strings"

	"github.com/beevik/etree"
)

// Fault codes the Handler sends. They follow the X-Road convention of an
// unprefixed "Client." or "Server." code followed by the problem's name.
const (
	CodeMissingHeader          = "Client.MissingHeader"
	CodeMissingHeaderField     = "Client.MissingHeaderField"
	CodeDuplicateHeaderField   = "Client.DuplicateHeaderField"
	CodeInvalidHeaderField     = "Client.InvalidHeaderField"
	CodeInvalidProtocolVersion = "Client.InvalidProtocolVersion"
	CodeInvalidBody            = "Client.InvalidBody"
	CodeInconsistentHeaders    = "Client.InconsistentHeaders"
	CodeInvalidXML             = "Client.InvalidXml"
	CodeInvalidContentType     = "Client.InvalidContentType"
	CodeMimeParsingFailed      = "Client.MimeParsingFailed"
	CodeInvalidSoap            = "Client.InvalidSoap"
	CodeInvalidSoapAction      = "Client.InvalidSoapAction"
	CodeInvalidHTTPMethod      = "Client.InvalidHttpMethod"
	CodeLimitExceeded          = "Client.LimitExceeded"
	CodeUnknownService         = "Client.UnknownService"
	CodeAccessDenied           = "Client.AccessDenied"
	CodeBadRequest             = "Client.BadRequest"
	CodeInternalError          = "Server.InternalError"

	// CodeMustUnderstand is SOAP 1.1's own code for a header element
	// with mustUnderstand="1" that was not understood. Unlike the X-Road
	// codes it is written qualified, as SOAP-ENV:MustUnderstand.
	CodeMustUnderstand = "MustUnderstand"
)

// Fault is a SOAP 1.1 fault. Its fields mirror the wire: faultcode,
// faultstring, faultactor and detail. Code is kept without a namespace
// prefix, as X-Road writes it ("Client.MissingHeader").
type Fault struct {
	Code   string
	String string
	Actor  string
	Detail *etree.Element // the detail element's single child, or nil

	// Header is the X-Road header of the message that carried the fault,
	// when a Client read one; nil otherwise.
	Header *Header
}

// Error returns "soap: fault <code>: <string>".
func (f *Fault) Error() string {
	return "soap: fault " + f.Code + ": " + f.String
}

// NewFault returns a fault with the given code and a faultstring formatted
// from format and args.
func NewFault(code, format string, args ...any) *Fault {
	return &Fault{Code: code, String: fmt.Sprintf(format, args...)}
}

// newFault is NewFault for use inside the package.
func newFault(code, format string, args ...any) *Fault {
	return NewFault(code, format, args...)
}

// AsFault returns the *Fault in err's chain, or nil when there is none.
func AsFault(err error) *Fault {
	var f *Fault
	if errors.As(err, &f) {
		return f
	}
	return nil
}

// FaultCode returns the fault code of the *Fault in err's chain, or "" when
// err carries no fault.
func FaultCode(err error) string {
	if f := AsFault(err); f != nil {
		return f.Code
	}
	return ""
}

// normCode reduces a fault code to lowercase letters and digits, so that
// "Server.ServerProxy.ServiceFailed" and the dotted lowercase spelling of
// X-Road 7.8 and later ("server.server_proxy.service_failed") compare equal.
func normCode(code string) string {
	if i := strings.LastIndexByte(code, ':'); i >= 0 {
		code = code[i+1:]
	}
	var b strings.Builder
	for _, r := range strings.ToLower(code) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// IsServiceFailed reports whether err is a fault by which a security server
// says that the provider's information system failed
// (Server.ServerProxy.ServiceFailed... in either spelling). Such faults
// come from the far side and are worth retrying later; others usually are
// not.
func IsServiceFailed(err error) bool {
	return strings.HasPrefix(normCode(FaultCode(err)), "server.serverproxy.servicefailed")
}

// Origin tells which party raised a fault, as far as its code tells.
type Origin int

// Fault origins, from the fault code's first two parts.
const (
	OriginUnknown     Origin = iota
	OriginClientProxy        // our own security server (Server.ClientProxy...)
	OriginServerProxy        // the provider's security server (Server.ServerProxy...)
	OriginService            // the provider's information system
)

// FaultOrigin classifies the fault in err by its code, accepting both the
// CamelCase spelling (Server.ClientProxy.NetworkError) and the lowercase
// dotted one of X-Road 7.8 and later. A fault that names neither proxy is
// taken to come from the provider's information system; err without a fault
// gives OriginUnknown.
func FaultOrigin(err error) Origin {
	f := AsFault(err)
	if f == nil {
		return OriginUnknown
	}
	c := normCode(f.Code)
	switch {
	case IsServiceFailed(err):
		return OriginService
	case strings.HasPrefix(c, "server.clientproxy.") || strings.HasPrefix(c, "client.clientproxy."):
		return OriginClientProxy
	case strings.HasPrefix(c, "server.serverproxy.") || strings.HasPrefix(c, "client.serverproxy."):
		return OriginServerProxy
	}
	return OriginService
}

// writeFault appends the SOAP-ENV:Fault element for f to body, whose
// SOAP-ENV prefix the caller has bound.
func writeFault(body *etree.Element, prefix string, f *Fault) {
	fe := body.CreateElement(prefix + ":Fault")
	code := f.Code
	if code == CodeMustUnderstand {
		code = prefix + ":" + code
	}
	fe.CreateElement("faultcode").SetText(code)
	fe.CreateElement("faultstring").SetText(f.String)
	if f.Actor != "" {
		fe.CreateElement("faultactor").SetText(f.Actor)
	}
	if f.Detail != nil {
		fe.CreateElement("detail").AddChild(detach(f.Detail))
	}
}

// readFault reads a SOAP 1.1 Fault element. The faultcode's prefix, if
// any, is dropped.
func readFault(el *etree.Element) *Fault {
	f := &Fault{}
	for _, c := range el.ChildElements() {
		switch c.Tag {
		case "faultcode":
			f.Code = strings.TrimSpace(c.Text())
			if i := strings.IndexByte(f.Code, ':'); i >= 0 {
				f.Code = f.Code[i+1:]
			}
		case "faultstring":
			f.String = c.Text()
		case "faultactor":
			f.Actor = c.Text()
		case "detail":
			if d := c.ChildElements(); len(d) > 0 {
				f.Detail = detach(d[0])
			}
		}
	}
	return f
}
