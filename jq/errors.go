package jq

import (
	"errors"

	"github.com/natsbridge/bridge/stream"
)

// Errors returned by this package.
var (
	// ErrCompile is returned by Compile when the program does not parse or
	// compile; the error carries gojq's message and, for syntax errors,
	// the byte offset.
	ErrCompile = errors.New("jq: compile error")
	// ErrNotJSON is returned by Process when the payload is not exactly one
	// JSON value (it is empty, malformed, or has trailing data). It matches
	// stream.ErrDecode: retrying cannot help.
	ErrNotJSON = stream.NewError("jq: payload is not JSON", stream.ErrDecode)
	// ErrRuntime is returned by Process when the program raises an error:
	// error/1, halt_error, a type error and the like. The error carries
	// gojq's message and wraps gojq's error value. It matches
	// stream.ErrPermanent: the program fails on the same input again.
	ErrRuntime = stream.NewError("jq: runtime error", stream.ErrPermanent)
)
