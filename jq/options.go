package jq

import "fmt"

// Emit is what the values a program emits stand for.
type Emit int

// Emit modes.
const (
	// EmitPayload, the default: each value is the JSON payload of one
	// output, which keeps the input's subject and headers.
	EmitPayload Emit = iota
	// EmitMessage: each value is an object describing one output message,
	// with only the keys subject, headers and payload, all optional; see
	// the package documentation.
	EmitMessage
)

var emitNames = [...]string{EmitPayload: "payload", EmitMessage: "message"}

// String returns the mode's configuration name, "payload" or "message".
func (e Emit) String() string {
	if e < 0 || int(e) >= len(emitNames) {
		return fmt.Sprintf("Emit(%d)", int(e))
	}
	return emitNames[e]
}

// ParseEmit parses a name returned by [Emit.String]. Any other string is
// an error matching [ErrOption].
func ParseEmit(s string) (Emit, error) {
	for i, n := range emitNames {
		if n == s {
			return Emit(i), nil
		}
	}
	return 0, fmt.Errorf("%w: unknown emit mode %q (want payload or message)", ErrOption, s)
}

// MarshalText implements encoding.TextMarshaler.
func (e Emit) MarshalText() ([]byte, error) { return []byte(e.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with [ParseEmit], so
// configuration libraries can parse modes by name.
func (e *Emit) UnmarshalText(b []byte) error {
	v, err := ParseEmit(string(b))
	if err != nil {
		return err
	}
	*e = v
	return nil
}

// Option configures [Compile].
type Option func(*options) error

type options struct {
	emit     Emit
	lend     bool
	gojqOnly bool // no fast path: the tests' reference
}

// WithEmit sets what the program's values stand for. The default is
// [EmitPayload]. An unknown mode makes Compile fail with [ErrOption].
func WithEmit(e Emit) Option {
	return func(o *options) error {
		if e < 0 || int(e) >= len(emitNames) {
			return fmt.Errorf("%w: unknown emit mode %v", ErrOption, e)
		}
		o.emit = e
		return nil
	}
}

// WithLentOutputs has [Program.Process] lend its outputs rather than give
// them: an output, its Meta and its Payload may be reused once the emit it
// was passed to returns, so emit must copy whatever it keeps. It spares
// the common case (a payload-mode program with the fast path) the output's
// allocations: its artifact, header map and payload, two thirds of the
// bytes a message costs the stage. Outputs that are not lent are fresh as
// without the option, which a lender may always hand out. A bridge route
// whose RouteConfig says LentOutputs honours the contract: core sinks are
// done with an output when emit returns, and a JetStream sink copies it.
func WithLentOutputs() Option {
	return func(o *options) error {
		o.lend = true
		return nil
	}
}
