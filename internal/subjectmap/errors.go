package subjectmap

import "errors"

var (
	// ErrInvalidMapping is returned by [New] and [NewSpace] when the input
	// pattern or the output pattern is not valid, or when they do not fit
	// together.
	ErrInvalidMapping = errors.New("subjectmap: invalid mapping")

	// ErrNoMatch is returned by [Mapping.Map] for a subject that is not a
	// literal subject matched by the input pattern.
	ErrNoMatch = errors.New("subjectmap: subject does not match the input pattern")

	// ErrNoDefault is returned by [Mapping.Map] when the output pattern,
	// accepted by [NewSpace], does not map the input pattern: there is no
	// default output subject, so one must be chosen in [Mapping.Space].
	ErrNoDefault = errors.New("subjectmap: output pattern does not map the input pattern")
)
