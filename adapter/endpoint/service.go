package endpoint

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/tunduk/vehicle-adapter/adapter"
	"github.com/tunduk/vehicle-adapter/soap"
	"github.com/tunduk/vehicle-adapter/wsdl/vehicle"
)

// Version is the only version of the service this adapter publishes.
const Version = "v1"

// Service answers the X-Road requests of the vehicle service. It implements
// soap.Service.
type Service struct {
	// Journal, when set, records the replies to the requests that change
	// the registry, so that a message delivered twice acts once and is
	// answered twice alike. nil serves every delivery afresh.
	Journal Journal

	domain   *adapter.Service
	channels *Channels
	log      logrus.FieldLogger
}

var _ soap.Service = (*Service)(nil)

// New returns the endpoint over domain, admitting the callers in channels.
// log receives access refusals and internal errors; nil discards them.
func New(domain *adapter.Service, channels *Channels, log logrus.FieldLogger) *Service {
	if log == nil {
		l := logrus.New()
		l.Out = io.Discard
		log = l
	}
	return &Service{domain: domain, channels: channels, log: log}
}

// operation decodes one request body, calls the domain and returns the
// response body, whose result reflects a business refusal in err.
type operation func(ctx context.Context, s *Service, c adapter.Caller, req *soap.Request) (any, error)

var operations = map[string]operation{
	"checkVehicle":               checkVehicle,
	"initiateTransfer":           initiateTransfer,
	"acceptTransfer":             acceptTransfer,
	"cancelTransfer":             cancelTransfer,
	"uploadVinPhotos":            uploadVinPhotos,
	"listPendingInspections":     listPendingInspections,
	"getVinPhotos":               getVinPhotos,
	"submitInspection":           submitInspection,
	"confirmPayment":             confirmPayment,
	"getTransferStatus":          getTransferStatus,
	"getRegistrationCertificate": getRegistrationCertificate,
}

// ServeSOAP admits the caller, runs the operation the header names and
// encodes its outcome.
func (s *Service) ServeSOAP(ctx context.Context, req *soap.Request) (*soap.Response, error) {
	h := req.Header
	code := h.Service.ServiceCode
	op, ok := operations[code]
	if !ok || (h.Service.ServiceVersion != "" && h.Service.ServiceVersion != Version) {
		return nil, &soap.Fault{Code: soap.CodeUnknownService, String: fmt.Sprintf(
			"service %s version %q is not published by this adapter", code, h.Service.ServiceVersion)}
	}
	c, err := s.admit(h)
	if err != nil {
		s.fields(h).Warn(err.Error())
		return nil, err
	}
	if s.Journal != nil && journaled[code] {
		return s.once(ctx, op, c, req)
	}
	return s.run(ctx, op, c, req)
}

// run calls the operation and encodes its outcome. A business refusal is a
// response; an internal error is logged here, once.
func (s *Service) run(
	ctx context.Context, op operation, c adapter.Caller, req *soap.Request,
) (*soap.Response, error) {
	code := req.Header.Service.ServiceCode
	body, err := op(ctx, s, c, req)
	if err != nil && adapter.CodeOf(err) == "" {
		var f *soap.Fault
		if errors.As(err, &f) {
			return nil, f
		}
		s.fields(req.Header).WithError(err).Error("internal error")
		return nil, err
	}
	var atts []*soap.Attachment
	if w, ok := body.(withAttachments); ok {
		body, atts = w.body, w.attachments
	}
	el, err := soap.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("endpoint: encode %sResponse: %w", code, err)
	}
	return &soap.Response{Body: el, Attachments: atts}, nil
}

// admit finds the caller's channel, checks that it may call the service,
// and that a citizen channel names the citizen it acts for.
func (s *Service) admit(h soap.Header) (adapter.Caller, error) {
	code := h.Service.ServiceCode
	ch, ok := s.channels.Lookup(h.Client)
	if !ok || !ch.Allows(code) {
		return adapter.Caller{}, &soap.Fault{Code: soap.CodeAccessDenied, String: fmt.Sprintf(
			"client %s may not call %s", h.Client.String(), code)}
	}
	c := adapter.Caller{
		Client: h.Client.String(), Role: ch.Role, BankCode: ch.BankCode,
		UserID: h.UserID, MessageID: h.ID,
	}
	if ch.Role == adapter.RoleCitizen && code != "checkVehicle" {
		// The domain's clock, so a test's fixed time decides what a
		// birth date in the future is, as it does in the domain.
		if _, err := adapter.PINFromUserID(h.UserID, s.domain.Now()); err != nil {
			return adapter.Caller{}, &soap.Fault{Code: soap.CodeAccessDenied, String: fmt.Sprintf(
				"%s needs userId KG followed by the citizen's 14-digit PIN", code)}
		}
	}
	return c, nil
}

// withAttachments is a response body sent with MIME attachments.
type withAttachments struct {
	body        any
	attachments []*soap.Attachment
}

// result is the result element for the outcome err: OK for nil, the
// refusal's code otherwise. It is the one place a domain code meets the
// wire.
func result(err error) *vehicle.Result {
	code := adapter.CodeOf(err)
	r := &vehicle.Result{Code: string(code)}
	for _, m := range code.Messages() {
		text := vehicle.Text(m.Text)
		r.Message = append(r.Message, &vehicle.LocalizedText{Value: &text, Lang: m.Lang})
	}
	return r
}

// decode reads the request body into a generated request type, or answers
// with a fault that says what is wrong with it.
func decode[T any](req *soap.Request) (*T, error) {
	v := new(T)
	body := req.Body
	// soap admits a wrapper named serviceCode+"Request", as some X-Road
	// tooling writes it; the contract's types know only serviceCode.
	if code := req.Header.Service.ServiceCode; body.Tag == code+"Request" {
		body = body.Copy()
		body.Tag = code
	}
	if err := soap.Unmarshal(body, v); err != nil {
		return nil, &soap.Fault{Code: soap.CodeBadRequest, String: "the request body does not " +
			"match the service description: " + err.Error()}
	}
	return v, nil
}

// stamp formats a time for the wire, empty for the zero time.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// fields are the log fields of a request: never a PIN, only its mask.
func (s *Service) fields(h soap.Header) logrus.FieldLogger {
	f := logrus.Fields{
		"client": h.Client.String(), "service": h.Service.ServiceCode, "messageId": h.ID,
	}
	if h.UserID != "" {
		f["userId"] = adapter.MaskUserID(h.UserID)
	}
	return s.log.WithFields(f)
}
