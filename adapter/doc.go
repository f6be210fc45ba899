// Package adapter is the domain of the vehicle re-registration service: the
// transfer of a vehicle from seller to buyer, its states and deadlines, the
// rules that keep property safe, and the business result codes that callers
// see.
//
// The package knows nothing of SOAP, HTTP or SQL. It declares the small
// interfaces it needs, a Store for the registry and a Bank for payment
// orders, and cmd/ wires their implementations (registry/ and the X-Road
// bank client). Every operation takes a Caller, which the transport edge
// fills from the authenticated X-Road client and the asserted userId.
//
// A business refusal is returned as an *Error carrying a Code; the edge
// turns it into a result element with messages in Kyrgyz, Russian and
// English. Any other error is internal.
package adapter
