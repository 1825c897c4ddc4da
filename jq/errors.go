package jq

import (
	"errors"

	"github.com/natsbridge/bridge/stream"
)

// Errors returned by this package. The errors of Process carry a failure
// class of the stream package, so a transport can tell what to do with the
// input without knowing this package: [ErrNotJSON] matches
// stream.ErrDecode, [ErrRuntime] and [ErrMalformed] match
// stream.ErrPermanent, and a run cut short by its context matches neither.
var (
	// ErrCompile is returned by Compile when the program does not parse or
	// compile, or an option is invalid; the error carries gojq's message
	// and, for syntax errors, the byte offset.
	ErrCompile = errors.New("jq: compile error")
	// ErrNotJSON is returned by Process when the payload is not exactly one
	// JSON value (it is empty, malformed, or has trailing data). Retrying
	// cannot help: it matches stream.ErrDecode.
	ErrNotJSON = stream.NewError("jq: payload is not JSON", stream.ErrDecode)
	// ErrRuntime is returned by Process when the program raises an error:
	// error/1, halt_error, a type error and the like. The error carries
	// gojq's message and wraps gojq's error value. It matches
	// stream.ErrPermanent: the program would fail the same way again.
	ErrRuntime = stream.NewError("jq: runtime error", stream.ErrPermanent)
	// ErrMalformed is returned by Process in [EmitMessage] mode when the
	// program emits a value that does not describe a message; the error
	// says what is wrong with it. It matches ErrRuntime, and so
	// stream.ErrPermanent: to the transport it is a program error.
	ErrMalformed = stream.NewError("jq: malformed output", ErrRuntime)
	// ErrOption is returned by ParseEmit and UnmarshalText for an unknown
	// emit mode; Compile wraps it in ErrCompile for an invalid option.
	ErrOption = errors.New("jq: invalid option")
)
