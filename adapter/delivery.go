package adapter

// Delivery identifies one X-Road request as delivered, for the journal that
// answers a message delivered twice without acting twice.
type Delivery struct {
	Client  string // X-Road client identifier path, as in Caller.Client
	ID      string // the message id the client chose
	Service string // service code
	Digest  string // hex SHA-256 of what the request asks, to tell a replay from a reuse
}
