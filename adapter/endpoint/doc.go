// Package endpoint publishes the adapter's operations as the X-Road service
// described by wsdl/vehicle.wsdl. It is the one edge where a request body
// becomes a domain call and a domain outcome becomes a response: a business
// refusal becomes a result element with its code and messages, a caller
// that may not use a service gets a Client.AccessDenied fault, and an
// internal error is logged once and answered with Server.InternalError.
package endpoint
