package routetest

import (
	"errors"
	"fmt"
)

// ErrInvalid is matched (with errors.Is) by every [Problem]: the file or a
// test in it is invalid, as opposed to a test that fails.
var ErrInvalid = errors.New("routetest: invalid test")

// Problem is one thing wrong with a test file or a test in it.
type Problem struct {
	// File is the file's name as given to [Parse].
	File string
	// Line is the line at fault, from 1; 0 when unknown.
	Line int
	// Test is the name of the test at fault, "" outside a test or when
	// the test has no name.
	Test string
	// Msg says what is wrong.
	Msg string
}

// Error returns "file:line: test "name": what is wrong".
func (p *Problem) Error() string {
	s := p.File
	if p.Line > 0 {
		s += fmt.Sprintf(":%d", p.Line)
	}
	if p.Test != "" {
		s += fmt.Sprintf(": test %q", p.Test)
	}
	return s + ": " + p.Msg
}

// Is reports whether target is [ErrInvalid].
func (p *Problem) Is(target error) bool { return target == ErrInvalid }
