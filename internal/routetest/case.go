package routetest

import (
	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/bridge"
)

// Case is one test of a file, as written.
type Case struct {
	// Name is the test's name, unique in its file.
	Name string
	// Line is the line of the test in its file.
	Line int
	// Route is the NAME of the route the test runs on.
	Route string
	// Input is the message the test sends.
	Input Input
	// Output lists the outputs expected, in order: empty, not nil, when
	// the route should filter the input; nil when Fails is set.
	Output []Output
	// Fails is the failure reason expected instead of outputs, "" when
	// Output is set.
	Fails bridge.Reason
}

// Input is the message a test sends.
type Input struct {
	// Subject is the subject of the message; "" stands for the route's IN,
	// which must then be a literal subject.
	Subject string
	// Headers are the message's headers, nil when it has none.
	Headers artifact.Metadata
	// Payload is the message's bytes.
	Payload []byte
}

// Output is one output a test expects.
type Output struct {
	// Subject is the subject expected, "" for any.
	Subject string
	// Headers holds the headers compared, by exact name: the values of
	// each must be these, in order; a name with no values must be absent.
	// Other headers are not compared.
	Headers artifact.Metadata
	// Payload is the payload expected, if HasPayload: compared as JSON
	// when both it and the output's payload parse as JSON, else byte for
	// byte.
	Payload []byte
	// HasPayload reports whether the payload is compared.
	HasPayload bool
}
