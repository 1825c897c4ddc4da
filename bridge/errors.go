package bridge

import (
	"errors"
	"fmt"
)

// Errors returned by this package.
var (
	// ErrInvalidRoute is matched by the errors New and RouteConfig.Validate
	// return for a route that cannot run.
	ErrInvalidRoute = errors.New("bridge: invalid route")
	// ErrInvalidOption is returned by New for an option with an invalid
	// value.
	ErrInvalidOption = errors.New("bridge: invalid option")
	// ErrDrainTimeout is returned by Run when the shutdown deadline passed
	// before every received message was finished; the rest were reported
	// as dropped with ReasonShutdown.
	ErrDrainTimeout = errors.New("bridge: shutdown deadline passed before the drain finished")
	// ErrNotReady is matched by the errors Ready returns while the bridge
	// cannot serve.
	ErrNotReady = errors.New("bridge: not ready")
	// ErrAlreadyRun is returned by a second call of Run: a Bridge runs
	// once.
	ErrAlreadyRun = errors.New("bridge: Run was already called")
)

// FieldError is a problem with one field of one route, as returned by
// RouteConfig.Validate and New. It matches ErrInvalidRoute.
type FieldError struct {
	// Index is the position of the route in the slice given to New or
	// CheckRoutes; 0 from RouteConfig.Validate.
	Index int
	// Route is the route's name.
	Route string
	// Field names the RouteConfig field, e.g. "Out" or "BufferSize".
	Field string
	// Err says what is wrong with it.
	Err error
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("bridge: route %q: %s: %v", e.Route, e.Field, e.Err)
}

// Unwrap returns Err.
func (e *FieldError) Unwrap() error { return e.Err }

// Is makes every FieldError match ErrInvalidRoute.
func (e *FieldError) Is(target error) bool { return target == ErrInvalidRoute }
