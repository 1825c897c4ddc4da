package bridge

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/internal/subjectmap"
	"github.com/natsbridge/bridge/stream"
)

// latencySampling is how often a core route times a message: one in this
// many. Without a stage the latency is the cost of one publish call, and
// reading the clock twice per message would cost about as much; with jq's
// fast path the two reads (about 40 ns each on a 2-core VM) are a few per
// cent of a message's work. A JetStream route times every message: it
// keeps the time for its acknowledgement deadlines.
const latencySampling = 16

// route is a running RouteConfig: a source hands each input to the stage,
// if there is one, or straight to the sink; settle decides what became of
// it once nothing holds it any more.
type route struct {
	cfg     RouteConfig
	mapping *subjectmap.Mapping
	hooks   RouteHooks
	log     *slog.Logger
	failLog logLimiter

	src   source
	stage *stage // nil: outputs are the inputs themselves
	sink  sink
	dead  *deadLetters
	// msgIDs is set on JetStream routes whose outputs carry Nats-Msg-Id.
	msgIDs bool
	// copyLent is set when Process lends its outputs and the sink keeps
	// them past publish: a JetStream sink, until the acknowledgement.
	copyLent bool
	// cross is set on a route that publishes on another connection than
	// it consumes on, out.
	cross bool
	out   *nats.Conn
	// tracing is set on a route that traces its inputs.
	tracing *tracing
	// chosen holds subjects a stage chose that chosenSubject accepted,
	// up to maxChosen of them: stages choose among few subjects, and
	// checking one costs more than the rest of a small message's route.
	chosen  sync.Map // string → struct{}
	nChosen atomic.Int32
}

// maxChosen bounds a route's cache of accepted subjects, so that a stage
// choosing a new subject per message (an ID in it) holds no more memory.
const maxChosen = 4096

// source is where a route's inputs come from. It hands each one to
// route.accept, from one goroutine at a time, and settles them as told:
// every input gets exactly one of ack, handBack, redeliver (when it returns
// true), reject or keep, then done.
type source interface {
	// start subscribes. A JetStream source keeps trying until its stream
	// exists or ctx is done; it returns once it consumes.
	start(ctx context.Context) error
	// ready reports whether the source is taking messages.
	ready() bool
	// drain stops taking messages and returns once every message the NATS
	// client holds has been handed over, or hard is done.
	drain(hard context.Context)
	// tick runs housekeeping; the bridge calls it periodically.
	tick()
	stats(*RouteStats)

	// ack settles an input that was processed or filtered.
	ack(in *input)
	// handBack settles an input that was dropped: another consumer may
	// have it now.
	handBack(in *input)
	// redeliver settles a failure by having it delivered again, and
	// reports whether it did; it returns o, or a max_deliver failure when
	// in has had its last delivery.
	redeliver(in *input, o outcome) (outcome, bool)
	// reject settles a failure for good.
	reject(in *input, o outcome)
	// keep settles a failure that could not be dead-lettered: a source
	// that can, has it delivered again.
	keep(in *input)
	// done is called once in has been reported: nothing reads it after.
	done(in *input)
}

// sink is where a route's outputs go.
type sink interface {
	// start begins taking outputs; hard ends the wait for their results
	// at the shutdown deadline.
	start(hard context.Context) error
	// publish sends out, an output of in, to subject, and calls the
	// route's delivered with the result: before it returns, or later from
	// another goroutine.
	publish(in *input, out *artifact.Artifact, subject string)
	// close waits for the results of every publish; publish is not called
	// after it.
	close()
}

// side is one connection of a route, with its JetStream context on
// JetStream routes.
type side struct {
	name string
	nc   *nats.Conn
	js   jetstream.JetStream
}

func newRoute(cfg RouteConfig, in, out side, hooks RouteHooks, log *slog.Logger) (*route, error) {
	m, err := cfg.mapping()
	if err != nil {
		return nil, &FieldError{Route: cfg.Name, Field: "Out", Err: err}
	}
	r := &route{
		cfg:     cfg,
		mapping: m,
		hooks:   hooks,
		log:     log.With("route", cfg.Name),
		failLog: logLimiter{interval: 5 * time.Second},
		cross:   in.name != out.name,
		out:     out.nc,
	}
	if cfg.JetStream() {
		r.msgIDs = !cfg.NoMsgID
		r.copyLent = cfg.LentOutputs
		r.sink = newJSSink(r, out.nc, out.js)
		r.src = newJSSource(r, in.js)
	} else {
		cs := &coreSink{r: r, nc: out.nc}
		if r.cross {
			cs.replies = newReplyProxy(r, in.nc, out.nc)
		}
		r.sink = cs
		r.src = &coreSource{r: r, nc: in.nc}
	}
	r.dead = newDeadLetters(r, in.nc, in.js)
	return r, nil
}

// start makes the stage and starts the sink and the dead-letter worker,
// so that the route can take inputs; the source starts after. hard is
// cancelled when the bridge gives up draining.
func (r *route) start(hard context.Context) error {
	if r.cfg.Process != nil {
		st, err := newStage(r, hard)
		if err != nil {
			return fmt.Errorf("route %q: %w", r.cfg.Name, err)
		}
		r.stage = st
	}
	if err := r.sink.start(hard); err != nil {
		if r.stage != nil {
			r.stage.finish(canceled)
		}
		return fmt.Errorf("route %q: %w", r.cfg.Name, err)
	}
	r.dead.start()
	return nil
}

// finish drains the route once its source has stopped: the stage finishes
// what it holds (or, past the deadline, reports it dropped), then the sink
// and the dead letters settle what is outstanding.
func (r *route) finish(hard context.Context) {
	if r.stage != nil {
		r.stage.finish(hard)
	}
	r.sink.close()
	r.dead.close()
}

// accept takes one input from the source. The stage takes it over, or,
// on a route without one, it is its own output.
func (r *route) accept(in *input) {
	if h := r.hooks.Received; h != nil {
		h(&in.a)
	}
	if r.tracing != nil {
		r.tracing.begin(in)
	}
	in.pending.Store(1)
	if in.failure.Load() != nil {
		// Failed on arrival (delivered too often): settle it as it is.
		r.release(in)
		return
	}
	if r.stage != nil {
		r.stage.send(in)
		return
	}
	r.output(in, &in.a)
	r.release(in)
}

// output publishes out, an output of in.
func (r *route) output(in *input, out *artifact.Artifact) {
	if r.copyLent && out != &in.a {
		out = out.Clone()
	}
	// Count before the hand-over: the publish may be resolved before
	// the sink returns. The route's own hold keeps pending above zero.
	idx := in.outputs.Add(1) - 1
	in.pending.Add(1)
	subject, err := r.outSubject(in, out)
	if err != nil {
		r.delivered(in, out, err)
		return
	}
	if r.msgIDs {
		r.setMsgID(in, out, int(idx))
	}
	if r.tracing != nil {
		sp := r.tracing.publish(in, out, subject)
		r.sink.publish(in, out, subject)
		if sp != nil {
			sp.End() // the hand-over: a JetStream acknowledgement is the input's
		}
		return
	}
	r.sink.publish(in, out, subject)
}

// delivered is told what became of the publish of out, an output of in.
func (r *route) delivered(in *input, out *artifact.Artifact, err error) {
	if err != nil {
		reason := ReasonPublish
		if classify(err) == ReasonSubject {
			reason = ReasonSubject
		}
		in.fail(reason, err)
	} else {
		if h := r.hooks.Published; h != nil {
			h(out)
		}
		if h := r.hooks.Latency; h != nil && !in.a.Created.IsZero() {
			h(monoNow().Sub(in.a.Created))
		}
	}
	r.release(in)
}

// release lets go of one hold on in and settles it after the last.
func (r *route) release(in *input) {
	if in.pending.Add(-1) == 0 {
		r.settle(in)
	}
}

// outSubject returns the subject to publish out to: the one the stage
// chose, on a route that lets it, or Out's mapping of the input's.
func (r *route) outSubject(in *input, out *artifact.Artifact) (string, error) {
	if r.cfg.ChooseSubject && out != &in.a && out.Subject != "" {
		return r.chosenSubject(out.Subject)
	}
	if r.mapping.Literal() {
		// The subscription delivers only subjects that match In.
		return r.mapping.Out(), nil
	}
	if !r.mapping.MapsIn() {
		return "", fmt.Errorf("%w: the output has no subject of its own, and Out %q is no mapping of In %q",
			stream.ErrSubject, r.cfg.Out, r.cfg.In)
	}
	s, err := r.mapping.Map(in.a.Subject)
	if err != nil {
		return "", fmt.Errorf("mapping %q to Out %q: %w", in.a.Subject, r.cfg.Out, err)
	}
	return s, nil
}

// chosenSubject checks a subject a stage chose for an output.
func (r *route) chosenSubject(s string) (string, error) {
	if _, ok := r.chosen.Load(s); ok {
		return s, nil
	}
	switch {
	case !subjectmap.ValidLiteral(s):
		return "", fmt.Errorf("%w: %q is not a subject without wildcards", stream.ErrSubject, s)
	case !r.mapping.Allows(s):
		return "", fmt.Errorf("%w: %q is outside Out %q (%s)", stream.ErrSubject, s, r.cfg.Out, r.mapping.Space())
	case !r.cross && subjectmap.Matches(s, r.cfg.In):
		return "", fmt.Errorf("%w: %q matches In %q: the route would consume its own output", stream.ErrSubject, s, r.cfg.In)
	}
	if r.nChosen.Load() < maxChosen {
		// A clone: s may be part of a payload's memory.
		if _, had := r.chosen.LoadOrStore(strings.Clone(s), struct{}{}); !had {
			r.nChosen.Add(1)
		}
	}
	return s, nil
}

// outputDown reports whether a route between two connections cannot reach
// its output side: its failed publishes are not the messages' fault.
func (r *route) outputDown() bool { return r.cross && !r.out.IsConnected() }

// stats fills what the route holds.
func (r *route) stats() RouteStats {
	s := RouteStats{Route: r.cfg.Name, JetStream: r.cfg.JetStream()}
	r.src.stats(&s)
	if r.stage != nil {
		s.Buffered, s.BufferCap = r.stage.buf.Len(), r.stage.buf.Cap()
	}
	return s
}
