package stream_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/stream"
)

// ownGen is a hand-written generator that closes its own channels, so a
// Buffer that also closed them would panic.
type ownGen struct {
	closed atomic.Int32
	ctx    context.Context
	done   chan struct{}
}

func (g *ownGen) Generate(ctx context.Context, in <-chan *artifact.Artifact) (<-chan *artifact.Artifact, <-chan error) {
	out := make(chan *artifact.Artifact)
	errs := make(chan error)
	g.done = make(chan struct{})
	g.ctx = ctx
	go func() {
		defer close(g.done)
		defer close(errs)
		defer close(out)
		for {
			select {
			case a, ok := <-in:
				if !ok {
					return
				}
				select {
				case out <- a:
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, errs
}

func (g *ownGen) Close() error {
	g.closed.Add(1)
	<-g.done
	return nil
}

func run(t *testing.T, g stream.Generator, n int) (out []string, errs []error) {
	t.Helper()
	b := newBuffer(t, stream.WithGenerator(g))
	ctx := t.Context()
	go func() {
		for i := range n {
			if err := b.Send(ctx, art(i)); err != nil {
				t.Errorf("Send: %v", err)
			}
		}
		_ = b.CloseSend()
	}()
	return collect(t, ctx, b)
}

func seq(n int) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = strconv.Itoa(i)
	}
	return s
}

func TestAdapters(t *testing.T) {
	tests := []struct {
		name string
		gen  stream.Generator
		want []string
	}{
		{"passthrough", stream.Passthrough(), seq(5)},
		{"map", stream.Map(func(_ context.Context, a *artifact.Artifact) (*artifact.Artifact, error) {
			return a.Derive(append(a.Payload, '!')), nil
		}), []string{"0!", "1!", "2!", "3!", "4!"}},
		{"map nil filters", stream.Map(func(_ context.Context, a *artifact.Artifact) (*artifact.Artifact, error) {
			if string(a.Payload) == "2" {
				return nil, nil
			}
			return a, nil
		}), []string{"0", "1", "3", "4"}},
		{"flatmap", stream.FlatMap(func(_ context.Context, a *artifact.Artifact) ([]*artifact.Artifact, error) {
			n, _ := strconv.Atoi(string(a.Payload))
			var rs []*artifact.Artifact
			for range n % 3 {
				rs = append(rs, a)
			}
			return rs, nil
		}), []string{"1", "2", "2", "4"}},
		{"filter", stream.Filter(func(_ context.Context, a *artifact.Artifact) (bool, error) {
			return string(a.Payload) != "3", nil
		}), []string{"0", "1", "2", "4"}},
		{"chain", stream.Chain(
			stream.Filter(func(_ context.Context, a *artifact.Artifact) (bool, error) { return string(a.Payload) != "0", nil }),
			stream.Map(func(_ context.Context, a *artifact.Artifact) (*artifact.Artifact, error) {
				return a.Derive(append([]byte("x"), a.Payload...)), nil
			}),
		), []string{"x1", "x2", "x3", "x4"}},
		{"chain of none", stream.Chain(), seq(5)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := run(t, tt.gen, 5)
			if !slices.Equal(got, tt.want) || errs != nil {
				t.Fatalf("got %v, %v; want %v", got, errs, tt.want)
			}
		})
	}
}

func TestChainMergesErrors(t *testing.T) {
	fail := func(on string) stream.Generator {
		return stream.Map(func(_ context.Context, a *artifact.Artifact) (*artifact.Artifact, error) {
			if string(a.Payload) == on {
				return nil, errors.New("fail " + on)
			}
			return a, nil
		})
	}
	got, errs := run(t, stream.Chain(fail("1"), fail("3")), 5)
	if !slices.Equal(got, []string{"0", "2", "4"}) || len(errs) != 2 {
		t.Fatalf("got %v, %v", got, errs)
	}
}

// TestParallelKeepsKeyOrder checks that artifacts with the same subject come
// out in order although several workers run.
func TestParallelKeepsKeyOrder(t *testing.T) {
	const n = 3000
	var maxActive, active atomic.Int32
	g := stream.Map(func(_ context.Context, a *artifact.Artifact) (*artifact.Artifact, error) {
		maxActive.Store(max(maxActive.Load(), active.Add(1)))
		defer active.Add(-1)
		return a, nil
	})
	got, errs := run(t, stream.Parallel(4, stream.BySubject, g), n)
	if len(got) != n || errs != nil {
		t.Fatalf("got %d results, %v", len(got), errs)
	}
	last := map[int]int{}
	for _, p := range got {
		i, _ := strconv.Atoi(p)
		key := i % 3 // art's subject
		if prev, ok := last[key]; ok && i < prev {
			t.Fatalf("subject %d: %d after %d", key, i, prev)
		}
		last[key] = i
	}
}

func TestTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		slow := stream.WithTimeout(time.Second, func(ctx context.Context, a *artifact.Artifact, emit stream.Emit) error {
			if string(a.Payload) == "1" {
				<-ctx.Done() // a runaway computation that honours its context
				return ctx.Err()
			}
			return emit(a)
		})
		got, errs := run(t, stream.FromFunc(slow), 3)
		if !slices.Equal(got, []string{"0", "2"}) || len(errs) != 1 {
			t.Fatalf("got %v, %v", got, errs)
		}
		if !errors.Is(errs[0], stream.ErrTimeout) || !errors.Is(errs[0], context.DeadlineExceeded) {
			t.Fatalf("err = %v", errs[0])
		}
	})
}

// TestCancelledProcessesNothing queues inputs for a function generator,
// alone and as a pool of workers with and without a key, under a context
// already done: none is processed, and each is reported with the
// context's error, naming it.
func TestCancelledProcessesNothing(t *testing.T) {
	for _, c := range []struct {
		name    string
		workers int
		key     stream.KeyFunc
	}{{"alone", 1, nil}, {"pool", 3, nil}, {"keyed", 3, stream.BySubject}} {
		t.Run(c.name, func(t *testing.T) {
			const n = 200
			var calls atomic.Int32
			g := stream.Parallel(c.workers, c.key, stream.FromFunc(func(_ context.Context, a *artifact.Artifact, emit stream.Emit) error {
				calls.Add(1)
				return emit(a)
			}))
			defer g.Close()
			in := make(chan *artifact.Artifact, n)
			for i := range n {
				in <- artifact.New("s", []byte(strconv.Itoa(i)))
			}
			close(in)
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			out, errs := g.Generate(ctx, in)
			reported := map[string]bool{}
			for err := range errs {
				var ae *stream.ArtifactError
				if !errors.As(err, &ae) || !errors.Is(err, context.Canceled) {
					t.Fatalf("error %v, want an ArtifactError matching context.Canceled", err)
				}
				reported[string(ae.Artifact.Payload)] = true
			}
			for range out {
				t.Error("an output after cancellation")
			}
			if c := calls.Load(); c != 0 || len(reported) != n {
				t.Fatalf("%d inputs processed, %d of %d reported; want 0 and all", c, len(reported), n)
			}
		})
	}
}
