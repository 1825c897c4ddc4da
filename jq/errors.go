package jq

import "errors"

// Errors returned by this package.
var (
	// ErrCompile is returned by Compile when the program does not parse or
	// compile; the error carries gojq's message and, for syntax errors,
	// the byte offset.
	ErrCompile = errors.New("jq: compile error")
	// ErrNotJSON is returned by Process when the payload is not exactly one
	// JSON value (it is empty, malformed, or has trailing data). Retrying
	// cannot help.
	ErrNotJSON = errors.New("jq: payload is not JSON")
	// ErrRuntime is returned by Process when the program raises an error:
	// error/1, halt_error, a type error and the like. The error carries
	// gojq's message and wraps gojq's error value.
	ErrRuntime = errors.New("jq: runtime error")
)
