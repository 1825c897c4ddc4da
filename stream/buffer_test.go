package stream_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/stream"
)

func isEOF(err error) bool { return errors.Is(err, io.EOF) }

func asArtifactError(err error) (*stream.ArtifactError, bool) {
	var ae *stream.ArtifactError
	ok := errors.As(err, &ae)
	return ae, ok
}

func TestPassthroughOrderAndEOF(t *testing.T) {
	b := newBuffer(t, stream.WithBufferSize(8))
	ctx := t.Context()
	var want []string
	for i := range 8 {
		want = append(want, strconv.Itoa(i))
		if err := b.Send(ctx, art(i)); err != nil {
			t.Fatal(err)
		}
	}
	if b.Len() != 8 || b.Cap() != 8 {
		t.Fatalf("Len, Cap = %d, %d", b.Len(), b.Cap())
	}
	_ = b.CloseSend()
	got, errs := collect(t, ctx, b)
	if !slices.Equal(got, want) || errs != nil {
		t.Fatalf("got %v %v, want %v", got, errs, want)
	}
	// EOF is sticky.
	if _, err := b.Receive(ctx); !isEOF(err) {
		t.Fatalf("second Receive after EOF: %v", err)
	}
}

func TestNotInitialized(t *testing.T) {
	var b stream.Buffer
	ctx := t.Context()
	checks := map[string]error{}
	checks["Send"] = b.Send(ctx, art(0))
	_, checks["Receive"] = b.Receive(ctx)
	_, checks["Read"] = b.Read(make([]byte, 4))
	_, checks["Write"] = b.Write([]byte{1})
	checks["CloseSend"] = b.CloseSend()
	checks["Shutdown"] = b.Shutdown(ctx)
	checks["Close"] = b.Close()
	for name, err := range checks {
		if !errors.Is(err, stream.ErrNotInitialized) {
			t.Errorf("%s on zero Buffer: %v, want ErrNotInitialized", name, err)
		}
	}
	select {
	case <-b.Done():
	default:
		t.Error("Done of zero Buffer blocks")
	}
}

func TestAfterClose(t *testing.T) {
	gen := &ownGen{}
	b := newBuffer(t, stream.WithGenerator(gen))
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	ctx := t.Context()
	if err := b.Send(ctx, art(0)); !errors.Is(err, io.ErrClosedPipe) || !errors.Is(err, stream.ErrClosed) {
		t.Errorf("Send after Close: %v", err)
	}
	if _, err := b.Write([]byte{0}); !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("Write after Close: %v", err)
	}
	if _, err := b.Receive(ctx); err == nil {
		t.Error("Receive after Close succeeded")
	}
	<-b.Done()
	if gen.closed.Load() != 1 {
		t.Errorf("generator closed %d times, want 1", gen.closed.Load())
	}
	if gen.ctx.Err() == nil {
		t.Error("generator context not cancelled by Close")
	}
}

func TestSendAfterCloseSend(t *testing.T) {
	b := newBuffer(t)
	_ = b.CloseSend()
	if err := b.Send(t.Context(), art(0)); !errors.Is(err, stream.ErrSendClosed) || !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("Send after CloseSend: %v", err)
	}
}

// TestSendClosedWithMiddleware: a closed buffer refuses an artifact before
// middleware can filter or reject it, so Send reports the closing and no
// drop is counted.
func TestSendClosedWithMiddleware(t *testing.T) {
	filter := func(*artifact.Artifact) (*artifact.Artifact, error) { return nil, nil }
	reject := stream.Validate(func(*artifact.Artifact) error { return errors.New("no") })
	for name, mw := range map[string]stream.Middleware{"filtering": filter, "rejecting": reject} {
		t.Run(name, func(t *testing.T) {
			var rec recorder
			b := newBuffer(t, stream.WithMiddleware(mw), stream.WithHooks(rec.hooks()))
			_ = b.CloseSend()
			if err := b.Send(t.Context(), art(0)); !errors.Is(err, stream.ErrSendClosed) {
				t.Errorf("Send after CloseSend: %v, want ErrSendClosed", err)
			}
			_ = b.Close()
			if err := b.Send(t.Context(), art(1)); !errors.Is(err, stream.ErrClosed) {
				t.Errorf("Send after Close: %v, want ErrClosed", err)
			}
			if len(rec.drops[stream.DropFiltered]) != 0 || len(rec.errs) != 0 {
				t.Errorf("after closing: drops %v, errors %v; want none", rec.drops, rec.errs)
			}
		})
	}
}

func TestOverflow(t *testing.T) {
	tests := []struct {
		name      string
		policy    stream.Overflow
		sendErr   error // from the send that overflows
		wantOut   []string
		wantDrops []string
	}{
		{"drop_newest", stream.DropNewest, nil, []string{"0", "1"}, []string{"2", "3"}},
		{"drop_oldest", stream.DropOldest, nil, []string{"2", "3"}, []string{"0", "1"}},
		{"fail", stream.Fail, stream.ErrBufferFull, []string{"0", "1"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rec recorder
			b := newBuffer(t, stream.WithBufferSize(2), stream.WithOverflow(tt.policy), stream.WithHooks(rec.hooks()))
			ctx := t.Context()
			for i := range 4 {
				err := b.Send(ctx, art(i))
				if i >= 2 && !errors.Is(err, tt.sendErr) || i < 2 && err != nil {
					t.Fatalf("Send %d: %v, want %v", i, err, tt.sendErr)
				}
			}
			_ = b.CloseSend()
			got, _ := collect(t, ctx, b)
			if !slices.Equal(got, tt.wantOut) {
				t.Errorf("out = %v, want %v", got, tt.wantOut)
			}
			if d := rec.drops[stream.DropOverflow]; !slices.Equal(d, tt.wantDrops) {
				t.Errorf("overflow drops = %v, want %v", d, tt.wantDrops)
			}
			if rec.maxSeen != 2 {
				t.Errorf("max depth seen = %d, want 2", rec.maxSeen)
			}
		})
	}
}

// TestOnDepth pins when OnDepth fires: on every enqueue, and on every
// dequeue only when no Generator does the dequeuing.
func TestOnDepth(t *testing.T) {
	run := func(t *testing.T, opts ...stream.Option) []int {
		var mu sync.Mutex
		var depths []int
		b := newBuffer(t, append(opts, stream.WithBufferSize(4), stream.WithHooks(stream.Hooks{
			OnDepth: func(d, c int) {
				mu.Lock()
				defer mu.Unlock()
				if c != 4 {
					t.Errorf("capacity %d, want 4", c)
				}
				depths = append(depths, d)
			},
		}))...)
		for i := range 3 {
			if err := b.Send(t.Context(), art(i)); err != nil {
				t.Fatal(err)
			}
		}
		_ = b.CloseSend()
		if got, _ := collect(t, t.Context(), b); len(got) != 3 {
			t.Fatalf("received %v, want 3", got)
		}
		mu.Lock()
		defer mu.Unlock()
		return depths
	}
	t.Run("no generator", func(t *testing.T) {
		if got, want := run(t), []int{1, 2, 3, 2, 1, 0}; !slices.Equal(got, want) {
			t.Errorf("depths %v, want %v", got, want)
		}
	})
	t.Run("generator", func(t *testing.T) {
		// Only the enqueues; the generator may have taken some already.
		if got := run(t, stream.WithGenerator(stream.Passthrough())); len(got) != 3 {
			t.Errorf("depths %v, want one per Send", got)
		}
	})
}

func TestBlockWaitsForContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, _ := stream.NewBuffer(stream.WithBufferSize(1))
		defer b.Close()
		if err := b.Send(t.Context(), art(0)); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		start := time.Now()
		err := b.Send(ctx, art(1))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("blocked Send: %v", err)
		}
		if time.Since(start) != time.Second {
			t.Fatalf("Send returned after %v, want the 1s deadline", time.Since(start))
		}
	})
}

func TestBlockReleasedByClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, _ := stream.NewBuffer(stream.WithBufferSize(1))
		_ = b.Send(t.Context(), art(0))
		errc := make(chan error)
		go func() { errc <- b.Send(context.Background(), art(1)) }()
		synctest.Wait() // the sender is durably blocked
		_ = b.Close()
		if err := <-errc; !errors.Is(err, stream.ErrClosed) {
			t.Fatalf("blocked Send after Close: %v", err)
		}
	})
}

func TestBlockResumesWhenRoom(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b, _ := stream.NewBuffer(stream.WithBufferSize(1))
		defer b.Close()
		_ = b.Send(t.Context(), art(0))
		errc := make(chan error)
		go func() { errc <- b.Send(t.Context(), art(1)) }()
		synctest.Wait()
		if a, err := b.Receive(t.Context()); err != nil || string(a.Payload) != "0" {
			t.Fatalf("Receive = %v, %v", a, err)
		}
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		if b.Len() != 1 {
			t.Fatalf("Len = %d", b.Len())
		}
	})
}

func TestCloseReportsQueuedAsDropped(t *testing.T) {
	var rec recorder
	b, _ := stream.NewBuffer(stream.WithHooks(rec.hooks()))
	for i := range 5 {
		_ = b.Send(t.Context(), art(i))
	}
	_ = b.Close()
	if got := rec.drops[stream.DropClosed]; len(got) != 5 {
		t.Fatalf("closed drops = %v, want 5", got)
	}
	if rec.closed != 1 || rec.writes != 5 {
		t.Fatalf("closed=%d writes=%d", rec.closed, rec.writes)
	}
}

func TestGeneratorErrorsSurface(t *testing.T) {
	boom := errors.New("boom")
	gen := stream.Map(func(_ context.Context, a *artifact.Artifact) (*artifact.Artifact, error) {
		switch string(a.Payload) {
		case "1":
			return nil, boom
		case "2":
			a.SetErr(errors.New("carried"))
		case "3":
			panic("kaboom")
		}
		return a, nil
	})
	var rec recorder
	b := newBuffer(t, stream.WithGenerator(gen), stream.WithHooks(rec.hooks()))
	ctx := t.Context()
	for i := range 5 {
		if err := b.Send(ctx, art(i)); err != nil {
			t.Fatal(err)
		}
	}
	_ = b.CloseSend()
	got, errs := collect(t, ctx, b)
	if !slices.Equal(got, []string{"0", "4"}) {
		t.Errorf("out = %v", got)
	}
	if len(errs) != 3 {
		t.Fatalf("errors = %v, want 3", errs)
	}
	var sawBoom, sawCarried, sawPanic bool
	for _, err := range errs {
		ae, _ := asArtifactError(err)
		p := string(ae.Artifact.Payload)
		var pe *stream.PanicError
		switch {
		case errors.Is(err, boom) && p == "1":
			sawBoom = true
		case errors.Is(err, artifact.ErrCarried) && p == "2":
			sawCarried = true
		case errors.As(err, &pe) && p == "3" && len(pe.Stack) > 0:
			sawPanic = true
		}
	}
	if !sawBoom || !sawCarried || !sawPanic {
		t.Errorf("boom=%v carried=%v panic=%v in %v", sawBoom, sawCarried, sawPanic, errs)
	}
	if len(rec.errs) != 3 || rec.reads != 2 {
		t.Errorf("hooks saw %d errors and %d reads", len(rec.errs), rec.reads)
	}
}

func TestMiddleware(t *testing.T) {
	upper := func(a *artifact.Artifact) (*artifact.Artifact, error) {
		a.Payload = append([]byte("m:"), a.Payload...)
		return a, nil
	}
	dropOdd := func(a *artifact.Artifact) (*artifact.Artifact, error) {
		if n, _ := strconv.Atoi(string(a.Payload[2:])); n%2 == 1 {
			return nil, nil
		}
		return a, nil
	}
	rejectFour := stream.Validate(func(a *artifact.Artifact) error {
		if string(a.Payload) == "m:4" {
			return errors.New("no fours")
		}
		return nil
	})
	var rec recorder
	b := newBuffer(t, stream.WithMiddleware(upper, dropOdd, rejectFour), stream.WithHooks(rec.hooks()))
	ctx := t.Context()
	var rejected int
	for i := range 6 {
		err := b.Send(ctx, art(i))
		if err != nil {
			if !errors.Is(err, stream.ErrRejected) || !errors.Is(err, stream.ErrInvalid) {
				t.Fatalf("Send %d: %v", i, err)
			}
			rejected++
		}
	}
	_ = b.CloseSend()
	got, _ := collect(t, ctx, b)
	if !slices.Equal(got, []string{"m:0", "m:2"}) || rejected != 1 {
		t.Fatalf("out = %v, rejected = %d", got, rejected)
	}
	if f := rec.drops[stream.DropFiltered]; !slices.Equal(f, []string{"m:1", "m:3", "m:5"}) {
		t.Fatalf("filtered = %v", f)
	}
}

func TestRequireTypeAndChecks(t *testing.T) {
	typed := func(typ string, payload string) *artifact.Artifact {
		a := artifact.New("s", []byte(payload))
		if typ != "" {
			a.SetMeta(artifact.KeyType, typ)
		}
		return a
	}
	tests := []struct {
		name string
		mw   stream.Middleware
		a    *artifact.Artifact
		want error
	}{
		{"type ok", stream.RequireType("order", "refund"), typed("refund", "x"), nil},
		{"type wrong", stream.RequireType("order"), typed("user", "x"), stream.ErrTypeMismatch},
		{"type missing", stream.RequireType("order"), typed("", "x"), stream.ErrTypeMismatch},
		{"max payload ok", stream.Validate(stream.MaxPayload(3)), typed("", "abc"), nil},
		{"max payload", stream.Validate(stream.MaxPayload(2)), typed("", "abc"), stream.ErrInvalid},
		{"non-empty", stream.Validate(stream.NonEmptyPayload), typed("", ""), stream.ErrInvalid},
		{"meta", stream.Validate(stream.RequireMeta(artifact.KeyContentType)), typed("", "x"), stream.ErrInvalid},
		{"subject", stream.Validate(stream.RequireSubject), &artifact.Artifact{}, stream.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.mw(tt.a)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if err == nil && got != tt.a {
				t.Fatal("passing middleware replaced the artifact")
			}
		})
	}
}

func TestInvalidOptions(t *testing.T) {
	tests := []struct {
		name string
		opt  stream.Option
	}{
		{"size 0", stream.WithBufferSize(0)},
		{"bad policy", stream.WithOverflow(stream.Overflow(9))},
		{"nil generator", stream.WithGenerator(nil)},
		{"nil middleware", stream.WithMiddleware(nil)},
		{"nil context", stream.WithContext(nilContext())},
		{"frame size", stream.WithMaxFrameSize(0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := stream.NewBuffer(tt.opt); !errors.Is(err, stream.ErrInvalidOption) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestParseOverflow(t *testing.T) {
	for _, p := range []stream.Overflow{stream.Block, stream.DropNewest, stream.DropOldest, stream.Fail} {
		var q stream.Overflow
		text, _ := p.MarshalText()
		if err := q.UnmarshalText(text); err != nil || q != p {
			t.Errorf("round trip %v: %v, %v", p, q, err)
		}
	}
	if _, err := stream.ParseOverflow("sometimes"); !errors.Is(err, stream.ErrInvalidOption) {
		t.Errorf("err = %v", err)
	}
}

func TestParentContextStops(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	b := newBuffer(t, stream.WithContext(ctx), stream.WithGenerator(stream.Passthrough()))
	cancel()
	if _, err := b.Receive(t.Context()); !errors.Is(err, stream.ErrClosed) && !isEOF(err) {
		t.Fatalf("Receive after parent cancel: %v", err)
	}
}

func TestShutdownDrains(t *testing.T) {
	b, _ := stream.NewBuffer(stream.WithGenerator(stream.Passthrough()))
	for i := range 100 {
		_ = b.Send(t.Context(), art(i))
	}
	var got []string
	var wg sync.WaitGroup
	wg.Go(func() { got, _ = collect(t, t.Context(), b) })
	if err := b.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if len(got) != 100 {
		t.Fatalf("drained %d of 100", len(got))
	}
}

func TestShutdownDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rec recorder
		b, _ := stream.NewBuffer(stream.WithHooks(rec.hooks()))
		_ = b.Send(t.Context(), art(0))
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		// Nobody receives, so Shutdown runs out of time and drops.
		if err := b.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Shutdown: %v", err)
		}
		if len(rec.drops[stream.DropClosed]) != 1 {
			t.Fatalf("drops = %v", rec.drops)
		}
	})
}

// TestConcurrent hammers one buffer from many goroutines while it is closed
// underneath them; run with -race. Whatever the interleaving, every
// artifact sent is accounted for exactly once: refused by Send, handed out
// (OnRead), dropped (OnDrop), or surfaced as an *ArtifactError naming it
// (OnError, for what the generator held when Close cancelled it).
func TestConcurrent(t *testing.T) {
	const senders, perSender = 4, 500
	for _, policy := range []stream.Overflow{stream.Block, stream.DropNewest, stream.DropOldest, stream.Fail} {
		t.Run(policy.String(), func(t *testing.T) {
			var tally ledger
			hooks := stream.Hooks{
				OnRead: func(a *artifact.Artifact) { tally.add(a, "received") },
				OnDrop: func(a *artifact.Artifact, why stream.DropReason) { tally.add(a, "dropped "+string(why)) },
				OnError: func(err error) {
					if ae, ok := asArtifactError(err); ok && ae.Artifact != nil {
						tally.add(ae.Artifact, "errored")
						return
					}
					t.Errorf("error naming no artifact: %v", err)
				},
			}
			b, _ := stream.NewBuffer(stream.WithBufferSize(16), stream.WithOverflow(policy),
				stream.WithGenerator(stream.Parallel(3, stream.BySubject, stream.Passthrough())),
				stream.WithHooks(hooks))
			ctx := t.Context()
			var received atomic.Int64
			var sending, others sync.WaitGroup
			for w := range senders {
				sending.Go(func() {
					for i := range perSender {
						if w == 0 && i == perSender/2 {
							// Under the drop and fail policies senders
							// outrun receivers, so close mid-send too.
							_ = b.Close()
						}
						a := art(w*1000 + i)
						err := b.Send(ctx, a)
						if err == nil {
							continue
						}
						if !errors.Is(err, io.ErrClosedPipe) && !errors.Is(err, stream.ErrBufferFull) {
							t.Errorf("Send: %v", err)
							return
						}
						tally.add(a, "refused")
					}
				})
				others.Go(func() {
					for {
						if _, err := b.Receive(ctx); err != nil {
							return
						}
						if received.Add(1) == 200 {
							_ = b.Close() // close while everyone is busy
						}
					}
				})
			}
			others.Go(func() {
				buf := make([]byte, 7)
				for {
					if _, err := b.Read(buf); err != nil {
						return
					}
				}
			})
			sending.Wait()
			_ = b.CloseSend()
			others.Wait()
			_ = b.Close()

			tally.mu.Lock()
			defer tally.mu.Unlock()
			var wrong []string
			for w := range senders {
				for i := range perSender {
					p := strconv.Itoa(w*1000 + i)
					if got := tally.seen[p]; len(got) != 1 {
						wrong = append(wrong, fmt.Sprintf("%s: %v", p, got))
					}
				}
			}
			if len(wrong) > 0 || len(tally.seen) != senders*perSender {
				t.Errorf("%d of %d artifacts not accounted exactly once (%d seen), e.g. %v",
					len(wrong), senders*perSender, len(tally.seen), wrong[:min(len(wrong), 5)])
			}
			t.Logf("outcomes: %v", tally.counts)
		})
	}
}

// ledger records the outcome of each artifact, by payload.
type ledger struct {
	mu     sync.Mutex
	seen   map[string][]string
	counts map[string]int
}

func (l *ledger) add(a *artifact.Artifact, outcome string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen == nil {
		l.seen, l.counts = map[string][]string{}, map[string]int{}
	}
	p := string(a.Payload)
	l.seen[p] = append(l.seen[p], outcome)
	l.counts[outcome]++
}

// TestCloseAccountsForInFlight closes buffers whose generators hold
// artifacts at every stage: each artifact sent is reported exactly once,
// as received or as dropped.
func TestCloseAccountsForInFlight(t *testing.T) {
	stuck := func() stream.Generator {
		return stream.FromFunc(func(ctx context.Context, a *artifact.Artifact, emit stream.Emit) error {
			if string(a.Payload) == "5" {
				<-ctx.Done() // holds one artifact until Close
				return ctx.Err()
			}
			return emit(a)
		})
	}
	gens := map[string]func() stream.Generator{
		"func":     stuck,
		"parallel": func() stream.Generator { return stream.Parallel(3, stream.BySubject, stuck()) },
		"chain":    func() stream.Generator { return stream.Chain(stream.Passthrough(), stuck(), stream.Passthrough()) },
	}
	for name, gen := range gens {
		t.Run(name, func(t *testing.T) {
			var rec recorder
			b, _ := stream.NewBuffer(stream.WithGenerator(gen()), stream.WithBufferSize(512), stream.WithHooks(rec.hooks()))
			const n = 300
			for i := range n {
				if err := b.Send(t.Context(), art(i)); err != nil {
					t.Fatal(err)
				}
			}
			received := 0
			for range 5 { // what passes before the stuck artifact in every shape
				if _, err := b.Receive(t.Context()); err != nil {
					t.Fatal(err)
				}
				received++
			}
			_ = b.Close()
			if got := received + len(rec.drops[stream.DropClosed]); got != n {
				t.Fatalf("received %d + dropped %d = %d, want %d", received, len(rec.drops[stream.DropClosed]), got, n)
			}
		})
	}
}

// nilContext returns a nil context, to test that WithContext rejects it.
func nilContext() context.Context { return nil }
