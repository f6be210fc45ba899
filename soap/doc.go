// Package soap is the wire layer of the adapter: SOAP 1.1 messages under
// the X-Road message protocol 4.0, on the provider side (Handler, an
// http.Handler in front of a Service) and on the consumer side (Client,
// which calls other members' services through our own security server).
//
// # Provider side
//
// A Handler reads a message sent as text/xml or as multipart/related (SOAP
// with attachments, or MTOM/XOP), decodes its charset (the charset
// parameter, else a UTF-16 or UTF-8 byte-order mark, else the XML
// declaration, else UTF-8), checks the envelope,
// the X-Road header and the body, and passes a Request to its Service. The
// response envelope carries a copy of the request's SOAP Header element,
// so the echo keeps every element, its order, values and whitespace, and
// elements this package does not know. Every problem is answered with a
// SOAP 1.1 fault (HTTP 500, text/xml) whose code names it and whose string
// says what to change; the header is echoed whenever one was read. A POST
// is never answered with a 4xx status; Misrouted answers the requests of
// an X-Road listener that are not for the Handler (a POST to another path)
// with a Client.UnknownService fault the same way.
//
// The checks, in order: HTTP method, Content-Type and MIME structure,
// XML well-formedness, SOAP 1.1 envelope (no SOAP 1.2, no SOAP encoding),
// SOAPAction, mustUnderstand header elements, header fields, body
// (exactly one element, named after the serviceCode, or the serviceCode
// plus "Request"), and finally that the service is ours.
//
// Binary content (a photo, say) may come in three forms, and
// Request.Content reads any of them from the element that carries it: an
// xop:Include child (MTOM), a cid: reference as text (swaRef), or base64
// text; an element holding more than one of them is refused, not read in
// part. Attachments keep their message order; a nested multipart part is
// kept whole as one attachment.
//
// # Faults
//
// The codes the Handler sends, by check: Client.InvalidHttpMethod (not a
// POST), Client.InvalidContentType (no or unsupported Content-Type or
// charset, a root part that is not text/xml or application/xop+xml, a part
// without Content-Type, an unknown transfer encoding),
// Client.MimeParsingFailed (broken multipart), Client.InvalidXml
// (malformed XML, a DTD, undeclared prefixes), Client.InvalidSoap (not a
// SOAP 1.1 envelope, SOAP 1.2, SOAP encoding, no Body),
// Client.InvalidSoapAction, Client.MissingHeader, SOAP-ENV:MustUnderstand (a
// header element with mustUnderstand="1" addressed to us that is not an
// X-Road field), Client.MissingHeaderField,
// Client.DuplicateHeaderField, Client.InvalidHeaderField (wrong objectType),
// Client.InvalidProtocolVersion (not 4.x), Client.InvalidBody (empty or
// several body elements, text in the Body, an xop:Include naming no part),
// Client.InconsistentHeaders (body element not named after the
// serviceCode), Client.UnknownService (the service is not Handler.Provider's),
// Client.LimitExceeded, and Server.InternalError (the Service failed, or
// answered with the wrong element; the cause goes to Handler.Observe only).
// A Service returns its own faults, such as Client.AccessDenied or
// Client.BadRequest, as *Fault errors.
//
// # Limits
//
// Everything read from the network is bounded by Limits: the size of the
// whole message, of the envelope, of each attachment, the number of
// attachments, the XML nesting depth and the number of elements. A message
// over a limit gets a Client.LimitExceeded fault with HTTP 500. Attachments
// larger than Limits.SpoolThreshold are written to temporary files as they
// arrive, so memory does not grow with their size; the files are removed
// once the Service returns. A run of base64 text in the envelope longer
// than Limits.InlineThreshold is likewise moved to a temporary file while
// the XML is read; the tree then holds a placeholder element in its place,
// which Request.Content reads and Unmarshal sees as empty. Server timeouts
// (read header, read, write, idle) belong to the http.Server; NewServer
// returns one with them set.
//
// # Consumer side
//
// A Client posts a Call with a header of our own (client, service, a fresh
// id, optional userId, issue and representedParty, protocolVersion 4.0)
// and checks that the response echoes it. A SOAP fault comes back as a
// *Fault error; IsServiceFailed and FaultOrigin classify the codes of
// security servers in both their spellings.
//
// The package never logs; Handler.Observe reports each exchange.
package soap
