package streamtest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/stream"
)

// Options describes the generator under test. The zero value checks only
// the lifecycle contract.
type Options struct {
	// Identity declares that the generator emits every input exactly once,
	// in input order per subject, with the input's subject, reply subject
	// and payload and at least its metadata (it may add keys), and reports
	// no errors.
	Identity bool
	// Unordered relaxes Identity for generators that keep no order, such
	// as stream.Parallel with a nil key: every input must still come out
	// exactly once and unchanged, but in any order.
	Unordered bool
	// Payload returns the payload of the i-th artifact the suite sends.
	// Payloads should differ for different i. Defaults to i in decimal,
	// which is also a JSON number.
	Payload func(i int) []byte
}

const (
	// numInputs is more than the channel buffers of the stream package's
	// generators hold, so backpressure is exercised.
	numInputs = 1000
	// numSubjects spreads inputs over several subjects, so per-subject
	// ordering means something to generators that shard by subject.
	numSubjects = 4
	// timeout bounds every wait. It is fake time inside the bubble: a
	// conforming generator never comes near it, and a hung one reaches it
	// at once.
	timeout = 10 * time.Second
	// metaSeq is the metadata key holding an input's index.
	metaSeq = "Streamtest-Seq"
)

// TestGenerator checks that the generators newGen returns honour the
// stream.Generator contract. newGen is called once per subtest, inside the
// subtest's bubble. The subtests check that:
//
//   - Generate returns non-nil out and errs, and closes both after in is
//     closed, having received all of in;
//   - once ctx is cancelled, Close returns without anyone receiving from
//     out or errs, whether the generator was idle, never started, or
//     blocked sending while input was pending, and both channels are
//     closed after it; cancelling and then closing in closes them too;
//   - once in is closed, Close abandons results nobody receives;
//   - Close returns nil, twice, and no goroutine outlives the subtest;
//   - with opts.Identity, every input comes out once, unchanged, in order
//     per subject (in any order with opts.Unordered); and when ctx is cancelled midway and in is then
//     closed, every input comes out or is reported on errs as an
//     *stream.ArtifactError, exactly once.
func TestGenerator(t *testing.T, newGen func() stream.Generator, opts Options) {
	t.Helper()
	s := newSuite(newGen, opts)
	s.run(t, "InputClosed", s.testInputClosed)
	s.run(t, "EmptyInput", s.testEmptyInput)
	s.run(t, "CancelThenCloseInput", s.testCancelThenCloseInput)
	s.run(t, "CancelBeforeGenerate", s.testCancelBeforeGenerate)
	s.run(t, "CancelWhileIdle", s.testCancelWhileIdle)
	s.run(t, "CancelWhileBlocked", s.testCancelWhileBlocked)
	s.run(t, "CloseAbandonsResults", s.testCloseAbandonsResults)
	if s.opts.Identity {
		s.run(t, "CancelAccountsForEveryInput", s.testCancelAccounts)
	}
}

type suite struct {
	newGen func() stream.Generator
	opts   Options
}

// harness is one subtest's generator and its surroundings.
type harness struct {
	t      *testing.T
	g      stream.Generator
	ctx    context.Context
	cancel context.CancelFunc
}

// run runs test as a subtest with a generator of its own.
func (s *suite) run(t *testing.T, name string, test func(h *harness)) {
	runBubble(t, name, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		test(&harness{t: t, g: s.newGen(), ctx: ctx, cancel: cancel})
	})
}

// generate calls Generate with in and registers a cleanup that lets a
// generator which failed a check finish anyway, so that the bubble can
// exit and the failure is reported rather than a deadlock.
func (h *harness) generate(in *input) (<-chan *artifact.Artifact, <-chan error) {
	h.t.Helper()
	out, errs := h.g.Generate(h.ctx, in.c)
	if out == nil || errs == nil {
		h.cancel()
		in.end()
		h.t.Fatalf("Generate returned nil out (%t) or nil errs (%t); want both non-nil", out == nil, errs == nil)
	}
	h.t.Cleanup(func() {
		h.cancel()
		in.end()
		discard(out, errs)
		_ = h.g.Close()
	})
	return out, errs
}

// discard receives from out and errs until both are closed.
func discard(out <-chan *artifact.Artifact, errs <-chan error) {
	for out != nil || errs != nil {
		select {
		case _, ok := <-out:
			if !ok {
				out = nil
			}
		case _, ok := <-errs:
			if !ok {
				errs = nil
			}
		}
	}
}

// input is the suite's side of in: a feeder goroutine, the only one to
// send on c and to close it.
type input struct {
	c        chan *artifact.Artifact
	stop     chan struct{} // closed by end
	done     chan struct{} // closed when the feeder has returned and closed c
	stopOnce sync.Once
}

// feed starts sending inputs 0..n-1 on a new unbuffered channel. With
// closeAfter, it closes the channel after the last one; otherwise the
// channel stays open until end.
func (s *suite) feed(n int, closeAfter bool) *input {
	in := &input{c: make(chan *artifact.Artifact), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(in.done)
		defer close(in.c)
		for i := range n {
			select {
			case in.c <- s.artifact(i):
			case <-in.stop:
				return
			}
		}
		if !closeAfter {
			<-in.stop
		}
	}()
	return in
}

// end stops the feeder, which closes in.c, and waits for it.
func (in *input) end() {
	in.stopOnce.Do(func() { close(in.stop) })
	<-in.done
}

// artifact returns the i-th input, with a reply subject and metadata so
// that Identity can check they are kept.
func (s *suite) artifact(i int) *artifact.Artifact {
	a := artifact.New("streamtest."+strconv.Itoa(i%numSubjects), s.opts.Payload(i))
	a.Reply = "streamtest.reply." + strconv.Itoa(i)
	a.SetMeta(metaSeq, strconv.Itoa(i))
	return a
}

func (s *suite) testInputClosed(h *harness) {
	in := s.feed(numInputs, true)
	out, errs := h.generate(in)
	outs, errList := h.drain(out, errs)
	if !wait(in.done) {
		h.t.Error("out and errs were closed before in was received to the end")
	}
	h.closeTwice()
	if s.opts.Identity {
		inputs := make([]*artifact.Artifact, numInputs)
		for i := range inputs {
			inputs[i] = s.artifact(i)
		}
		checkIdentity(h.t, inputs, outs, errList, s.opts.Unordered)
	}
}

func (s *suite) testEmptyInput(h *harness) {
	out, errs := h.generate(s.feed(0, true))
	outs, errList := h.drain(out, errs)
	h.closeTwice()
	if s.opts.Identity {
		checkIdentity(h.t, nil, outs, errList, s.opts.Unordered)
	}
}

func (s *suite) testCancelThenCloseInput(h *harness) {
	in := s.feed(8, false)
	out, errs := h.generate(in)
	synctest.Wait()
	h.cancel()
	in.end()
	h.drain(out, errs)
	h.closeTwice()
}

func (s *suite) testCancelBeforeGenerate(h *harness) {
	h.cancel()
	// Input is pending and in stays open: only ctx and Close can end the
	// generator.
	out, errs := h.generate(s.feed(8, false))
	h.closeUnread(out, errs)
}

func (s *suite) testCancelWhileIdle(h *harness) {
	out, errs := h.generate(s.feed(0, false))
	synctest.Wait()
	h.cancel()
	h.closeUnread(out, errs)
}

// testCancelWhileBlocked cancels ctx once the generator is stuck sending
// to an out nobody reads, with input pending: synctest.Wait returns only
// when every goroutine in the bubble is blocked.
func (s *suite) testCancelWhileBlocked(h *harness) {
	// Bounded, so that a generator that filters everything blocks too.
	out, errs := h.generate(s.feed(4*numInputs, false))
	synctest.Wait()
	h.cancel()
	h.closeUnread(out, errs)
}

// testCloseAbandonsResults closes a generator whose input has ended but
// whose results nobody receives, with ctx still live.
func (s *suite) testCloseAbandonsResults(h *harness) {
	in := s.feed(4*numInputs, false)
	out, errs := h.generate(in)
	synctest.Wait()
	in.end()
	synctest.Wait()
	h.closeUnread(out, errs)
}

// testCancelAccounts cancels ctx while the generator is blocked with input
// pending, then lets the input run to its end: each input must come out or
// be reported as failed.
func (s *suite) testCancelAccounts(h *harness) {
	in := s.feed(numInputs, true)
	out, errs := h.generate(in)
	synctest.Wait()
	h.cancel()
	outs, errList := h.drain(out, errs)
	if !wait(in.done) {
		h.t.Error("out and errs were closed before in was received to the end")
	}
	h.closeTwice()

	// Report the first problem of each kind only: one bug tends to
	// affect every input.
	seen := make([]int, numInputs)
	var stranger, anonymous error
	for _, a := range outs {
		if i, ok := seq(a); ok {
			seen[i]++
		} else if stranger == nil {
			stranger = fmt.Errorf("output %s is none of the inputs", describe(a))
		}
	}
	for _, err := range errList {
		ae, ok := errors.AsType[*stream.ArtifactError](err)
		if !ok || ae.Artifact == nil {
			if anonymous == nil {
				anonymous = fmt.Errorf("error %w names no artifact", err)
			}
			continue
		}
		if i, ok := seq(ae.Artifact); ok {
			seen[i]++
		} else if stranger == nil {
			stranger = fmt.Errorf("error %w names none of the inputs", err)
		}
	}
	for _, err := range []error{stranger, anonymous} {
		if err != nil {
			h.t.Error(err)
		}
	}
	for i, n := range seen {
		if n != 1 {
			h.t.Errorf("input %d came out or failed %d times, want once (%d outputs, %d errors in all)", i, n, len(outs), len(errList))
			break
		}
	}
}

// seq returns the index of the input a is, or was made from.
func seq(a *artifact.Artifact) (int, bool) {
	i, err := strconv.Atoi(a.Meta.Get(metaSeq))
	return i, err == nil && i >= 0 && i < numInputs
}
