package streamtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/stream"
)

// TestBuffer checks that the buffers newBuf returns keep the stream.Buffer
// contract with the Generator, middleware and overflow policy newBuf gives
// them. newBuf is called once per subtest, inside the subtest's bubble,
// with the options through which the suite observes the buffer; it must
// pass them to stream.NewBuffer after its own (the suite's hooks replace
// any set before). TestBuffer(t, stream.NewBuffer, opts) checks a default
// buffer. The subtests check that:
//
//   - while inputs are sent and results received, Shutdown returns nil
//     once the receiver has taken everything and Receive has returned
//     io.EOF;
//   - with nobody receiving, Close returns and releases a blocked Send,
//     after which Send, Receive and Close report the buffer closed, and
//     Close returns nil each time;
//   - Close releases a blocked Receive;
//   - no goroutine outlives a subtest;
//   - with opts.Identity (the middleware and the Generator pass inputs on
//     unchanged), every input is received, refused by Send (the Fail
//     policy, a middleware rejection) or reported through Hooks.OnDrop,
//     exactly once, and those received are unchanged and in order per
//     subject; after a Close with nobody receiving, every input Send
//     accepted is reported dropped.
func TestBuffer(t *testing.T, newBuf func(...stream.Option) (*stream.Buffer, error), opts Options) {
	t.Helper()
	bs := &bufferSuite{suite: newSuite(nil, opts), newBuf: newBuf}
	bs.run(t, "ShutdownDrains", bs.testShutdownDrains)
	bs.run(t, "CloseWhileFull", bs.testCloseWhileFull)
	bs.run(t, "CloseReleasesReceive", bs.testCloseReleasesReceive)
}

type bufferSuite struct {
	*suite
	newBuf func(...stream.Option) (*stream.Buffer, error)
}

// bufHarness is one subtest's buffer and what its hooks saw.
type bufHarness struct {
	t       *testing.T
	b       *stream.Buffer
	mu      sync.Mutex
	dropped []*artifact.Artifact
}

func (bs *bufferSuite) run(t *testing.T, name string, test func(h *bufHarness)) {
	runBubble(t, name, func(t *testing.T) {
		h := &bufHarness{t: t}
		b, err := bs.newBuf(stream.WithHooks(stream.Hooks{OnDrop: func(a *artifact.Artifact, _ stream.DropReason) {
			h.mu.Lock()
			h.dropped = append(h.dropped, a)
			h.mu.Unlock()
		}}))
		if err != nil {
			t.Fatalf("newBuf: %v", err)
		}
		h.b = b
		t.Cleanup(func() { _ = b.Close() })
		test(h)
	})
}

// send sends inputs 0..n-1 in order and returns which of them Send
// refused, stopping at the first error that refuses more than one input.
func (bs *bufferSuite) send(h *bufHarness, n int) (refused []bool, err error) {
	refused = make([]bool, n)
	for i := range n {
		err := h.b.Send(context.Background(), bs.artifact(i))
		switch {
		case err == nil:
		case errors.Is(err, stream.ErrBufferFull), errors.Is(err, stream.ErrRejected):
			refused[i] = true
		default:
			for j := i; j < n; j++ {
				refused[j] = true
			}
			return refused, err
		}
	}
	return refused, nil
}

func (bs *bufferSuite) testShutdownDrains(h *bufHarness) {
	var (
		refused     []bool
		sendErr     error
		outs        []*artifact.Artifact
		receiveErr  error
		sent, ended = make(chan struct{}), make(chan struct{})
	)
	go func() {
		defer close(sent)
		refused, sendErr = bs.send(h, numInputs)
	}()
	go func() {
		defer close(ended)
		for {
			a, err := h.b.Receive(context.Background())
			if _, ok := errors.AsType[*stream.ArtifactError](err); ok && !bs.opts.Identity {
				continue
			}
			if err != nil {
				receiveErr = err
				return
			}
			outs = append(outs, a)
		}
	}()
	if !wait(sent) {
		h.t.Fatalf("sending %d inputs took longer than %v while they were received", numInputs, timeout)
	}
	if sendErr != nil {
		h.t.Errorf("Send: %v", sendErr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := h.b.Shutdown(ctx); err != nil {
		h.t.Errorf("Shutdown while a receiver took everything: %v", err)
	}
	if !wait(ended) {
		h.t.Fatalf("Receive did not return io.EOF within %v of Shutdown", timeout)
	}
	if !errors.Is(receiveErr, io.EOF) {
		h.t.Errorf("Receive ended with %v, want io.EOF", receiveErr)
	}
	h.closeTwice()
	if bs.opts.Identity {
		bs.account(h, numInputs, refused, outs)
	}
}

func (bs *bufferSuite) testCloseWhileFull(h *bufHarness) {
	// More than the buffer and the stream package's generators hold, so
	// that under Block the sender blocks.
	const n = 4 * numInputs
	var (
		refused []bool
		sendErr error
		sent    = make(chan struct{})
	)
	go func() {
		defer close(sent)
		refused, sendErr = bs.send(h, n)
	}()
	synctest.Wait()
	var closeErr error
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		closeErr = h.b.Close()
	}()
	synctest.Wait()
	select {
	case <-closed:
		if closeErr != nil {
			h.t.Errorf("Close: %v", closeErr)
		}
	default:
		h.t.Error("Close blocked while nobody received")
		if !wait(closed) {
			h.t.Fatalf("Close did not return within %v", timeout)
		}
	}
	if !wait(sent) {
		h.t.Fatalf("Close did not release a blocked Send within %v", timeout)
	}
	if sendErr != nil && !errors.Is(sendErr, stream.ErrClosed) {
		h.t.Errorf("Send released by Close: %v, want stream.ErrClosed", sendErr)
	}
	if err := h.b.Send(context.Background(), bs.artifact(0)); !errors.Is(err, stream.ErrClosed) {
		h.t.Errorf("Send after Close: %v, want stream.ErrClosed", err)
	}
	// Receive may find the generator's output closed before it sees the
	// buffer closed: both end the stream.
	if _, err := h.b.Receive(context.Background()); !errors.Is(err, stream.ErrClosed) && !errors.Is(err, io.EOF) {
		h.t.Errorf("Receive after Close: %v, want stream.ErrClosed or io.EOF", err)
	}
	h.closeTwice()
	if bs.opts.Identity {
		bs.account(h, n, refused, nil)
	}
}

func (bs *bufferSuite) testCloseReleasesReceive(h *bufHarness) {
	var (
		err   error
		ended = make(chan struct{})
	)
	go func() {
		defer close(ended)
		_, err = h.b.Receive(context.Background())
	}()
	synctest.Wait()
	h.closeTwice()
	if !wait(ended) {
		h.t.Fatalf("Close did not release a blocked Receive within %v", timeout)
	}
	if !errors.Is(err, stream.ErrClosed) && !errors.Is(err, io.EOF) {
		h.t.Errorf("blocked Receive released by Close: %v, want stream.ErrClosed or io.EOF", err)
	}
}

// closeTwice checks that Close returns nil twice, within timeout.
func (h *bufHarness) closeTwice() {
	h.t.Helper()
	for range 2 {
		var err error
		closed := make(chan struct{})
		go func() {
			defer close(closed)
			err = h.b.Close()
		}()
		if !wait(closed) {
			h.t.Fatalf("Close did not return within %v", timeout)
		}
		if err != nil {
			h.t.Errorf("Close: %v", err)
		}
	}
}

// account checks that each of inputs 0..n-1 was received unchanged (outs,
// in order per subject), refused, or dropped, exactly once.
func (bs *bufferSuite) account(h *bufHarness, n int, refused []bool, outs []*artifact.Artifact) {
	h.t.Helper()
	h.mu.Lock()
	dropped := h.dropped
	h.mu.Unlock()
	seen := make([]int, n)
	for i, r := range refused {
		if r {
			seen[i]++
		}
	}
	var stranger error
	last := map[string]int{}
	for _, a := range outs {
		i, ok := index(a, n)
		if !ok {
			stranger = cmpOr(stranger, fmt.Errorf("output %s is none of the inputs", describe(a)))
			continue
		}
		seen[i]++
		if prev, ok := last[a.Subject]; ok && prev > i {
			h.t.Errorf("subject %q: input %d came out after input %d", a.Subject, i, prev)
		}
		last[a.Subject] = i
	}
	for _, a := range dropped {
		if i, ok := index(a, n); ok {
			seen[i]++
		} else {
			stranger = cmpOr(stranger, fmt.Errorf("dropped %s is none of the inputs", describe(a)))
		}
	}
	if stranger != nil {
		h.t.Error(stranger)
	}
	for i, c := range seen {
		if c != 1 {
			h.t.Errorf("input %d was received, refused or dropped %d times, want once (%d received, %d dropped in all)",
				i, c, len(outs), len(dropped))
			break
		}
	}
	// Unchanged, checked once, against the inputs they came from.
	for _, a := range outs {
		if i, ok := index(a, n); ok {
			if err := sameArtifact(a, bs.artifact(i)); err != nil {
				h.t.Error(err)
				break
			}
		}
	}
}

// index returns which of inputs 0..n-1 a is.
func index(a *artifact.Artifact, n int) (int, bool) {
	i, err := strconv.Atoi(a.Meta.Get(metaSeq))
	return i, err == nil && i >= 0 && i < n
}

// cmpOr returns err if it is set, else next: the first problem of a kind.
func cmpOr(err, next error) error {
	if err != nil {
		return err
	}
	return next
}
