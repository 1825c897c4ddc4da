package stream

import (
	"errors"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/natsbridge/bridge/artifact"
)

// Errors returned by this package.
var (
	// ErrClosed is returned by calls on a Buffer after Close. It matches
	// io.ErrClosedPipe with errors.Is, as an io.ReadWriteCloser's callers
	// expect.
	ErrClosed = fmt.Errorf("stream: buffer closed: %w", io.ErrClosedPipe)
	// ErrSendClosed is returned by Send and Write after CloseSend.
	ErrSendClosed = fmt.Errorf("stream: buffer input closed: %w", io.ErrClosedPipe)
	// ErrNotInitialized is returned by the methods of a Buffer that was not
	// made by NewBuffer, instead of blocking forever on nil channels.
	ErrNotInitialized = errors.New("stream: buffer not initialized (use NewBuffer)")
	// ErrBufferFull is returned by Send under the Fail overflow policy when
	// the buffer has no room.
	ErrBufferFull = errors.New("stream: buffer full")
	// ErrCorruptFrame is returned by Write when the byte stream is not a
	// sequence of valid frames. The Buffer's byte input stays broken after
	// it, since frame boundaries are lost.
	ErrCorruptFrame = errors.New("stream: corrupt frame")
	// ErrInvalidOption is returned by NewBuffer for an invalid option.
	ErrInvalidOption = errors.New("stream: invalid option")
	// ErrRejected is matched by errors from middleware that refused an
	// artifact.
	ErrRejected = errors.New("stream: artifact rejected")
	// ErrTypeMismatch is returned by [RequireType] middleware.
	ErrTypeMismatch = errors.New("stream: unexpected artifact type")
	// ErrInvalid is returned by [Validate] middleware checks.
	ErrInvalid = errors.New("stream: invalid artifact")
)

// ArtifactError is an error about one artifact: a generator failure, a
// middleware rejection, or an artifact that carries an error in its
// metadata. Use errors.As to reach the artifact, for example to dead-letter
// it.
type ArtifactError struct {
	Artifact *artifact.Artifact
	Err      error
}

func (e *ArtifactError) Error() string {
	if e.Artifact == nil {
		return e.Err.Error()
	}
	return fmt.Sprintf("artifact %s on %q: %v", e.Artifact.ID, e.Artifact.Subject, e.Err)
}

func (e *ArtifactError) Unwrap() error { return e.Err }

// PanicError is the error a function generator reports when its function
// panics; the generator keeps running.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("stream: generator panic: %v", e.Value) }

func newPanicError(v any) *PanicError { return &PanicError{Value: v, Stack: debug.Stack()} }
