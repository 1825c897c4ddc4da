package stream

import (
	"context"
	"io"
	"sync"

	"github.com/natsbridge/bridge/artifact"
)

// Generator turns a stream of artifacts into a stream of results.
type Generator interface {
	// Generate starts processing in and returns the results and the
	// per-artifact errors. Generate owns out and errs: it is their only
	// sender, and it closes both once in is closed and every result and
	// error is sent. in belongs to the caller: the generator only receives
	// from it and never closes it.
	//
	// When ctx is done, processing stops, and every artifact the generator
	// still holds or receives afterwards is reported on errs as an
	// *ArtifactError wrapping ctx's error, until in is closed: nothing
	// disappears unaccounted. The caller keeps receiving from out and errs
	// until both are closed, or calls Close to abandon them.
	//
	// Errors about one artifact should be *ArtifactError, so the caller
	// can dead-letter the artifact.
	Generate(ctx context.Context, in <-chan *artifact.Artifact) (out <-chan *artifact.Artifact, errs <-chan error)

	// Close releases the generator's resources, abandons results nobody
	// received, and waits for the goroutines Generate started to return.
	// Call it after ctx is done or in is closed. Close is idempotent.
	io.Closer
}

// Emit sends one result downstream. It blocks until the result is taken or
// the context is done, and returns the context's error in that case.
type Emit func(*artifact.Artifact) error

// ProcessFunc handles one artifact, emitting zero or more results. Emitting
// none filters the artifact. A returned error is reported for that artifact
// and processing goes on with the next one.
type ProcessFunc func(ctx context.Context, a *artifact.Artifact, emit Emit) error

// funcGen runs a ProcessFunc in one goroutine per Generate call, so it keeps
// the order of its input.
type funcGen struct {
	fn       ProcessFunc
	wg       sync.WaitGroup
	stop     chan struct{}
	stopOnce sync.Once
}

// chanCap is the capacity of the channels generators in this package make:
// enough to let producer and consumer run without a handoff per artifact.
const chanCap = 64

// FromFunc returns a Generator that calls fn for each artifact, in order, in
// a single goroutine. A panic in fn becomes a *PanicError for that artifact.
// Generate may be called more than once; each call gets its own goroutine.
func FromFunc(fn ProcessFunc) Generator { return &funcGen{fn: fn, stop: make(chan struct{})} }

// Map returns a Generator that replaces each artifact by fn's result. A nil
// result with a nil error filters the artifact.
func Map(fn func(ctx context.Context, a *artifact.Artifact) (*artifact.Artifact, error)) Generator {
	return FromFunc(func(ctx context.Context, a *artifact.Artifact, emit Emit) error {
		r, err := fn(ctx, a)
		if err != nil || r == nil {
			return err
		}
		return emit(r)
	})
}

// FlatMap returns a Generator that replaces each artifact by the artifacts
// fn returns, in order; an empty result filters it.
func FlatMap(fn func(ctx context.Context, a *artifact.Artifact) ([]*artifact.Artifact, error)) Generator {
	return FromFunc(func(ctx context.Context, a *artifact.Artifact, emit Emit) error {
		rs, err := fn(ctx, a)
		if err != nil {
			return err
		}
		for _, r := range rs {
			if err := emit(r); err != nil {
				return err
			}
		}
		return nil
	})
}

// Filter returns a Generator that passes the artifacts for which keep
// returns true, unchanged.
func Filter(keep func(ctx context.Context, a *artifact.Artifact) (bool, error)) Generator {
	return FromFunc(func(ctx context.Context, a *artifact.Artifact, emit Emit) error {
		ok, err := keep(ctx, a)
		if err != nil || !ok {
			return err
		}
		return emit(a)
	})
}

// Passthrough returns a Generator that emits every artifact unchanged.
func Passthrough() Generator {
	return FromFunc(func(_ context.Context, a *artifact.Artifact, emit Emit) error { return emit(a) })
}

// channels makes the output and error channels of a run of g under ctx,
// with the emit function that sends to the first and the report function
// that sends to the second; both give up when ctx is done or g is closed.
func (g *funcGen) channels(ctx context.Context) (chan *artifact.Artifact, chan error, Emit, func(*artifact.Artifact, error)) {
	out := make(chan *artifact.Artifact, chanCap)
	errs := make(chan error, chanCap)
	emit := func(r *artifact.Artifact) error {
		select {
		case out <- r:
			return nil
		default:
		}
		select {
		case out <- r:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-g.stop:
			return ErrClosed
		}
	}
	report := func(a *artifact.Artifact, err error) {
		select {
		case errs <- &ArtifactError{Artifact: a, Err: err}:
		case <-g.stop:
		}
	}
	return out, errs, emit, report
}

func (g *funcGen) Generate(ctx context.Context, in <-chan *artifact.Artifact) (<-chan *artifact.Artifact, <-chan error) {
	out, errs, emit, report := g.channels(ctx)
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		defer close(errs)
		defer close(out)
		// Once cancelled, work accounts for everything still arriving,
		// so that no artifact disappears without an error naming it.
		g.work(ctx, in, emit, report)
	}()
	return out, errs
}

// flush reports every artifact that arrives on in as failed with ctx's
// error, until in is closed or stop is closed.
func flush(ctx context.Context, in <-chan *artifact.Artifact, stop <-chan struct{}, report func(*artifact.Artifact, error)) {
	for {
		select {
		case a, ok := <-in:
			if !ok {
				return
			}
			report(a, ctx.Err())
		case <-stop:
			return
		}
	}
}

func (g *funcGen) call(ctx context.Context, a *artifact.Artifact, emit Emit) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = newPanicError(v)
		}
	}()
	return g.fn(ctx, a, emit)
}

// Close releases goroutines still trying to hand over results and waits
// for them.
func (g *funcGen) Close() error {
	g.stopOnce.Do(func() { close(g.stop) })
	g.wg.Wait()
	return nil
}
