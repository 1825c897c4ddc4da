package bridge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/stream"
)

// stage is a route's processing stage: a stream.Buffer in front of the
// route's Process, run by Workers goroutines. Outputs go from the stage's
// emit straight to the route's sink, so the Generator itself produces
// nothing: the Buffer's Receive only reports what the stage could not
// handle (a panic) and, at the end, io.EOF.
type stage struct {
	r        *route
	buf      *stream.Buffer
	deadline *deadlines      // nil without a Timeout
	sendCtx  context.Context // cancelled at the shutdown deadline
	done     chan struct{}   // closed once the Buffer is drained or closed
	emitters sync.Pool       // of *emitter
}

// emitter hands the outputs of one input to the sink: reused, so that a
// call of the stage allocates no closure.
type emitter struct {
	r    *route
	in   *input
	emit stream.Emit
}

func (e *emitter) output(out *artifact.Artifact) error {
	e.r.output(e.in, out)
	return nil
}

func newStage(r *route, hard context.Context) (*stage, error) {
	st := &stage{
		r:       r,
		sendCtx: hard,
		done:    make(chan struct{}),
	}
	if r.cfg.Timeout > 0 {
		st.deadline = newDeadlines(r.cfg.Timeout)
	}
	gen := stream.Parallel(r.cfg.Workers, r.cfg.OrderBy.Key(), stream.FromFunc(st.run))
	buf, err := stream.NewBuffer(
		stream.WithGenerator(gen),
		stream.WithBufferSize(r.cfg.BufferSize),
		stream.WithOverflow(r.cfg.Overflow),
		stream.WithLogger(r.log),
		stream.WithHooks(stream.Hooks{OnDrop: st.dropped}))
	if err != nil {
		if st.deadline != nil {
			st.deadline.close()
		}
		return nil, err
	}
	st.buf = buf
	go st.watch()
	return st, nil
}

// send queues in for the stage.
func (st *stage) send(in *input) {
	if err := st.buf.Send(st.sendCtx, &in.a); err != nil {
		// Only after the shutdown deadline: the buffer is closed.
		in.drop(ReasonShutdown)
		st.r.release(in)
	}
}

// run is the stage's function, on a worker goroutine: it processes the
// input a stands for and hands each output to the sink.
func (st *stage) run(ctx context.Context, a *artifact.Artifact, _ stream.Emit) error {
	in := inputOf(a)
	r := st.r
	e, _ := st.emitters.Get().(*emitter)
	if e == nil {
		e = &emitter{r: r}
		e.emit = e.output
	}
	e.in = in
	start := monoNow()
	var err error
	if st.deadline == nil {
		err = r.cfg.Process(ctx, a, e.emit)
	} else {
		dc := st.deadline.begin(ctx)
		err = r.cfg.Process(dc, a, e.emit)
		if st.deadline.end(dc) && err != nil && ctx.Err() == nil {
			err = fmt.Errorf("%w after %v: %w", stream.ErrTimeout, r.cfg.Timeout, err)
		}
	}
	e.in = nil
	st.emitters.Put(e)
	if h := r.hooks.ProcessingTime; h != nil {
		h(monoNow().Sub(start))
	}
	switch {
	case err == nil:
	case ctx.Err() != nil:
		in.drop(ReasonShutdown) // the buffer was closed under it
	default:
		in.fail(classify(err), err)
	}
	r.release(in)
	return nil
}

// dropped settles an input the buffer discarded.
func (st *stage) dropped(a *artifact.Artifact, why stream.DropReason) {
	in := inputOf(a)
	if in == nil {
		return
	}
	if why == stream.DropOverflow {
		in.drop(ReasonOverflow)
	} else {
		in.drop(ReasonShutdown)
	}
	st.r.release(in)
}

// watch reads the Buffer until it ends. run never returns an error, so
// what comes out is a panic of the route's Process, which the Generator
// caught.
func (st *stage) watch() {
	defer close(st.done)
	for {
		_, err := st.buf.Receive(context.Background())
		var ae *stream.ArtifactError
		switch {
		case errors.As(err, &ae) && ae.Artifact != nil:
			if in := inputOf(ae.Artifact); in != nil {
				in.fail(ReasonGenerator, ae.Err)
				st.r.release(in)
			}
		case err == nil:
			// run emits nothing; an artifact here came from elsewhere.
		case errors.Is(err, io.EOF), errors.Is(err, stream.ErrClosed):
			return
		}
	}
}

// finish ends the stage's input and waits until it has processed what it
// holds; at the shutdown deadline it closes the buffer, which reports what
// is left as dropped.
func (st *stage) finish(hard context.Context) {
	_ = st.buf.CloseSend()
	select {
	case <-st.done:
	case <-hard.Done():
	}
	_ = st.buf.Close()
	<-st.done
	if st.deadline != nil {
		st.deadline.close()
	}
}
