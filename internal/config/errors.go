package config

import (
	"errors"
	"strings"
)

// ErrInvalid is matched (with errors.Is) by the error [Load] returns for a
// configuration with problems, as opposed to an internal failure.
var ErrInvalid = errors.New("config: invalid configuration")

// Problem is one thing wrong with the configuration.
type Problem struct {
	// Var is the environment variable at fault, e.g. BRIDGE_ROUTE_0_IN.
	Var string
	// Err says what is wrong with it. It never contains a secret.
	Err error
}

// Error returns "VAR: what is wrong".
func (p *Problem) Error() string { return p.Var + ": " + p.Err.Error() }

// Unwrap returns p.Err.
func (p *Problem) Unwrap() error { return p.Err }

// Error is returned by [Load] with every problem found. It matches
// [ErrInvalid], and its Unwrap returns the problems, each a *[Problem].
type Error struct {
	Problems []*Problem
}

// Error returns the problems, one per line after a heading.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(ErrInvalid.Error())
	for _, p := range e.Problems {
		b.WriteString("\n\t")
		b.WriteString(p.Error())
	}
	return b.String()
}

// Unwrap returns the problems.
func (e *Error) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = p
	}
	return errs
}

// Is reports whether target is [ErrInvalid].
func (e *Error) Is(target error) bool { return target == ErrInvalid }
