package stream

import (
	"fmt"
	"slices"

	"github.com/natsbridge/bridge/artifact"
)

// Middleware inspects an artifact on its way into a Buffer. It returns the
// artifact to pass on (the same one, or a replacement), nil and a nil error
// to filter it, or an error to reject it. A Buffer runs its middleware in
// order in the sending goroutine, so middleware must be safe for concurrent
// use when several goroutines send.
type Middleware func(a *artifact.Artifact) (*artifact.Artifact, error)

// RequireType returns middleware that rejects artifacts whose
// [artifact.KeyType] metadata is not one of types, with an error matching
// ErrTypeMismatch. It is the review's type enforcement, failing loudly
// instead of tagging the artifact.
func RequireType(types ...string) Middleware {
	return func(a *artifact.Artifact) (*artifact.Artifact, error) {
		if t := a.Type(); !slices.Contains(types, t) {
			return nil, fmt.Errorf("%w: %q, want one of %q", ErrTypeMismatch, t, types)
		}
		return a, nil
	}
}
