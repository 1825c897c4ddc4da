package bridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/internal/subjectmap"
	"github.com/natsbridge/bridge/stream"
)

// Headers added to dead-lettered messages.
const (
	HeaderError   = "Bridge-Error"
	HeaderRoute   = "Bridge-Route"
	HeaderSubject = "Bridge-Subject"
	// HeaderPreviousError keeps the Bridge-Error header of a received
	// message (for example one replayed from a DLQ), which would otherwise
	// mark it as failed.
	HeaderPreviousError = "Bridge-Previous-Error"
)

// Defaults for RouteConfig fields left zero.
const (
	DefaultPendingMsgs  = nats.DefaultSubPendingMsgsLimit  // 524,288
	DefaultPendingBytes = nats.DefaultSubPendingBytesLimit // 64 MiB
)

// ErrPermanent marks processing errors that retrying cannot fix, such as a
// payload that is not JSON. A Process function wraps its error with it (or
// with an error that matches it) to classify the failure as ReasonDecode.
var ErrPermanent = errors.New("bridge: permanent error")

// RouteConfig describes one route.
type RouteConfig struct {
	// Name labels the route in logs and hooks. Required, unique.
	Name string
	// In is the subject (wildcards allowed) the route subscribes to.
	In string
	// Out is the output subject; it may use nats-server mapping tokens
	// such as {{wildcard(1)}} that refer to In's wildcards.
	Out string
	// Queue is the queue group; "" subscribes without one.
	Queue string
	// DLQ is the dead-letter subject; "" means failures are only reported.
	DLQ string
	// Process is the processing stage; nil passes messages through.
	Process stream.ProcessFunc
	// BufferSize is the route's queue capacity; 0 means
	// stream.DefaultBufferSize.
	BufferSize int
	// Overflow is the policy when the queue is full. Fail is not allowed:
	// a NATS callback has nowhere to return the message to.
	Overflow stream.Overflow
	// Workers is the number of parallel processing workers; messages on
	// the same subject keep their order. 0 means 1.
	Workers int
	// Timeout bounds the processing of one message; 0 means none.
	Timeout time.Duration
	// PendingMsgs and PendingBytes are the NATS client's pending limits
	// for the subscription: how much it holds while the route applies
	// backpressure, before it drops (reported as slow_consumer). 0 means
	// DefaultPendingMsgs and DefaultPendingBytes. Core routes only.
	PendingMsgs, PendingBytes int

	// Stream, when set, makes this a JetStream route: it consumes In from
	// this stream through the durable pull consumer Durable, and
	// acknowledges each message only after its outputs are published. See
	// the package documentation for the delivery guarantees.
	Stream string
	// Durable is the durable consumer name; required with Stream.
	Durable string
	// MaxDeliver is how many times a message is delivered before it is
	// dead-lettered and terminated; 0 means DefaultMaxDeliver.
	MaxDeliver int
	// AckWait is how long the server waits for an acknowledgement before
	// redelivering; 0 means DefaultAckWait. The route sends progress
	// acknowledgements while a message is in its buffer or its stage.
	AckWait time.Duration
	// NoMsgID leaves the outputs of a JetStream route without the
	// Nats-Msg-Id header that lets an output stream drop the copies a
	// redelivery makes: at least once into output streams instead of
	// exactly once, for about 20% more throughput.
	NoMsgID bool
}

// route is a running RouteConfig.
type route struct {
	cfg     RouteConfig
	mapping *subjectmap.Mapping
	hooks   RouteHooks
	log     *slog.Logger
	nc      *nats.Conn
	buf     *stream.Buffer
	sub     *nats.Subscription
	track   bool // attach a tracker to every input
	failLog sometimes

	sendCtx     context.Context // cancelled at the hard-stop deadline
	slowDropped int             // slow-consumer drops already reported
	pub         nats.Msg        // reused by the publish loop, or by onMsgDirect

	// direct is set on core routes without a processing stage and with the
	// block policy: their callback publishes at once (see onMsgDirect).
	direct bool
	// msg is the artifact onMsgDirect reuses for every message.
	msg artifact.Artifact
	// seen counts the messages onMsgDirect has taken, to time one in
	// LatencySampling.
	seen uint32

	js *jsRoute // set on JetStream routes
}

func newRoute(cfg RouteConfig, nc *nats.Conn, hooks RouteHooks, log *slog.Logger) (*route, error) {
	if cfg.Name == "" {
		return nil, fmt.Errorf("%w: route without a name", ErrInvalidRoute)
	}
	m, err := subjectmap.New(cfg.In, cfg.Out)
	if err != nil {
		return nil, fmt.Errorf("%w: route %q: %w", ErrInvalidRoute, cfg.Name, err)
	}
	if cfg.Overflow == stream.Fail {
		return nil, fmt.Errorf("%w: route %q: overflow policy fail is not supported", ErrInvalidRoute, cfg.Name)
	}
	if cfg.PendingMsgs == 0 {
		cfg.PendingMsgs = DefaultPendingMsgs
	}
	if cfg.PendingBytes == 0 {
		cfg.PendingBytes = DefaultPendingBytes
	}
	r := &route{
		cfg:     cfg,
		mapping: m,
		hooks:   hooks,
		log:     log.With("route", cfg.Name),
		nc:      nc,
		track:   cfg.Process != nil || cfg.Stream != "",
	}
	if cfg.Stream != "" {
		if err := r.initJS(); err != nil {
			return nil, err
		}
	}
	r.failLog.interval = 5 * time.Second
	r.direct = cfg.Process == nil && cfg.Overflow == stream.Block && cfg.Stream == ""
	return r, nil
}

// start makes the buffer and subscribes. sendCtx is cancelled when the
// bridge gives up draining.
func (r *route) start(sendCtx context.Context) error {
	r.sendCtx = sendCtx
	bh := r.hooks.Buffer
	userDrop := bh.OnDrop
	bh.OnDrop = func(a *artifact.Artifact, why stream.DropReason) {
		if userDrop != nil {
			userDrop(a, why)
		}
		switch why {
		case stream.DropFiltered:
			r.finish(a, outcome{filtered: true})
		case stream.DropOverflow:
			r.finish(a, outcome{drop: ReasonOverflow})
		default:
			r.finish(a, outcome{drop: ReasonShutdown})
		}
	}
	opts := []stream.Option{
		stream.WithHooks(bh),
		stream.WithOverflow(r.cfg.Overflow),
		stream.WithLogger(r.log),
	}
	if r.cfg.BufferSize > 0 {
		opts = append(opts, stream.WithBufferSize(r.cfg.BufferSize))
	}
	if r.cfg.Process != nil {
		fn := stream.FromFunc(r.instrument(stream.WithTimeout(r.cfg.Timeout, r.cfg.Process)))
		opts = append(opts, stream.WithGenerator(stream.Parallel(r.cfg.Workers, stream.BySubject, fn)))
	}
	buf, err := stream.NewBuffer(opts...)
	if err != nil {
		return fmt.Errorf("route %q: %w", r.cfg.Name, err)
	}
	r.buf = buf
	if r.js != nil {
		// Consuming starts in startJS, which may have to wait for the
		// stream; the collector settles asynchronous publishes.
		r.js.wg.Go(r.collectAcks)
		return nil
	}
	cb := r.onMsg
	if r.direct {
		cb = r.onMsgDirect
	}
	if r.cfg.Queue != "" {
		r.sub, err = r.nc.QueueSubscribe(r.cfg.In, r.cfg.Queue, cb)
	} else {
		r.sub, err = r.nc.Subscribe(r.cfg.In, cb)
	}
	if err == nil {
		err = r.sub.SetPendingLimits(r.cfg.PendingMsgs, r.cfg.PendingBytes)
	}
	if err != nil {
		_ = buf.Close()
		return fmt.Errorf("route %q: subscribe to %q: %w", r.cfg.Name, r.cfg.In, err)
	}
	return nil
}

// epoch anchors now: time.Now reads both the wall and the monotonic clock,
// and the hot path needs one clock read, not two.
var epoch = time.Now()

// now returns the current time with a single monotonic clock read.
func now() time.Time { return epoch.Add(time.Since(epoch)) }

// fill makes a the artifact of m.
func fill(a *artifact.Artifact, m *nats.Msg) {
	*a = artifact.Artifact{
		ID:      artifact.NewID(),
		Subject: m.Subject,
		Reply:   m.Reply,
		Payload: m.Data,
		Created: now(),
		Meta:    artifact.Metadata(m.Header),
	}
	keepPreviousError(a.Meta)
}

// keepPreviousError renames the error header of a message that failed
// elsewhere (say, replayed from a DLQ): it is input like any other here, so
// keep its error, but not under the key that marks a failure in this
// bridge.
func keepPreviousError(meta artifact.Metadata) {
	if vs, ok := meta[artifact.KeyError]; ok {
		delete(meta, artifact.KeyError)
		meta[HeaderPreviousError] = vs
	}
}

// onMsgDirect is the callback of a forward-only route: a core route without
// a processing stage and with the block policy. Its buffer would add
// nothing but a goroutine hop: blocking while publishing is what the block
// policy does, and the NATS client's pending queue holds what arrives
// meanwhile. So it publishes at once, reusing one artifact (hooks do not
// keep it), with no ID (nothing reads it), and it reads the clock only for
// the messages it times.
func (r *route) onMsgDirect(m *nats.Msg) {
	a := &r.msg
	*a = artifact.Artifact{Subject: m.Subject, Reply: m.Reply, Payload: m.Data, Meta: artifact.Metadata(m.Header)}
	keepPreviousError(a.Meta)
	// NATS calls back one message at a time, so r.seen needs no lock.
	r.seen++
	timed := r.seen%LatencySampling == 0
	if timed {
		a.Created = now()
	}
	h := &r.hooks
	if h.Forwarded == nil && h.Received != nil {
		h.Received(a)
	}
	subject, err := r.outSubject(a)
	if err == nil {
		err = r.send(subject, a)
	}
	if err != nil {
		if h.Forwarded != nil && h.Received != nil {
			h.Received(a)
		}
		r.fail(a, ReasonPublish, fmt.Errorf("publish to %q: %w", subject, err))
		return
	}
	if timed && h.Latency != nil {
		h.Latency(now().Sub(a.Created))
	}
	if h.Forwarded != nil {
		h.Forwarded(a)
		return
	}
	if h.Published != nil {
		h.Published(a)
	}
	r.report(a, outcome{}, 1)
}

// onMsg is the subscription callback: the entry of the hot path.
func (r *route) onMsg(m *nats.Msg) {
	var a *artifact.Artifact
	if r.track {
		t := newTracker()
		a = t.in
		fill(a, m)
		t.pending.Store(1)
		a.Origin = t
	} else {
		a = new(artifact.Artifact)
		fill(a, m)
	}
	if h := r.hooks.Received; h != nil {
		h(a)
	}
	if err := r.buf.Send(r.sendCtx, a); err != nil {
		// Only after the drain deadline: the buffer is closed.
		r.finish(a, outcome{drop: ReasonShutdown})
	}
}

// instrument wraps the processing stage to count outputs, time it, and hold
// the input's tracker until the stage has finished with it.
func (r *route) instrument(fn stream.ProcessFunc) stream.ProcessFunc {
	return func(ctx context.Context, a *artifact.Artifact, emit stream.Emit) error {
		t, _ := a.Origin.(*tracker)
		start := now()
		err := fn(ctx, a, func(o *artifact.Artifact) error {
			if t == nil {
				return emit(o)
			}
			// Count before the hand-over: the output may be published and
			// released before emit returns. Undoing is safe because the
			// input's own unit keeps pending above zero until fn returns.
			idx := t.outputs.Add(1)
			t.pending.Add(1)
			if t.msg != nil && !r.cfg.NoMsgID {
				headerFor(o).Set(jetstream.MsgIDHeader, msgID(r.cfg.Stream, t.seq, int(idx)-1))
			}
			if err := emit(o); err != nil {
				t.outputs.Add(-1)
				t.pending.Add(-1)
				return err
			}
			return nil
		})
		if h := r.hooks.ProcessingTime; h != nil {
			h(now().Sub(start))
		}
		if err == nil {
			// On error the input travels on as an *ArtifactError and the
			// publish loop releases it after dead-lettering.
			r.release(t)
		}
		return err
	}
}

// publishLoop moves results from the buffer to NATS until the buffer is
// drained (io.EOF) or closed.
func (r *route) publishLoop(ctx context.Context) {
	for {
		a, err := r.buf.Receive(ctx)
		if err == nil {
			r.publish(a)
			continue
		}
		var ae *stream.ArtifactError
		if errors.As(err, &ae) && ae.Artifact != nil {
			r.fail(ae.Artifact, classify(ae.Err), ae.Err)
			continue
		}
		if r.js != nil {
			r.stopJS()
		}
		return // io.EOF, closed, or ctx done
	}
}

func (r *route) publish(a *artifact.Artifact) {
	if r.js != nil {
		r.publishJS(a)
		return
	}
	subject, err := r.outSubject(a)
	if err == nil {
		err = r.send(subject, a)
	}
	if err != nil {
		r.fail(a, ReasonPublish, fmt.Errorf("publish to %q: %w", subject, err))
		return
	}
	r.published(a)
}

// published reports an output a as published.
func (r *route) published(a *artifact.Artifact) {
	if h := r.hooks.Published; h != nil {
		h(a)
	}
	if h := r.hooks.Latency; h != nil {
		h(now().Sub(a.Created))
	}
	r.finish(a, outcome{})
}

// outSubject returns the subject to publish a to.
func (r *route) outSubject(a *artifact.Artifact) (string, error) {
	if r.mapping.Literal() {
		// A literal output needs no mapping: the subscription delivers
		// only subjects that match In.
		return r.mapping.Out(), nil
	}
	return r.mapping.Map(a.Subject)
}

// send publishes a to subject on core NATS.
func (r *route) send(subject string, a *artifact.Artifact) error {
	if len(a.Meta) == 0 {
		// Most messages carry no headers: no nats.Msg to fill.
		if a.Reply == "" {
			return r.nc.Publish(subject, a.Payload)
		}
		return r.nc.PublishRequest(subject, a.Reply, a.Payload)
	}
	stripControlHeaders(nats.Header(a.Meta))
	r.pub = nats.Msg{Subject: subject, Reply: a.Reply, Data: a.Payload, Header: nats.Header(a.Meta)}
	err := r.nc.PublishMsg(&r.pub)
	r.pub = nats.Msg{}
	return err
}

// fail dead-letters a, if the route has a DLQ, and records the failure.
// On a JetStream route the decision waits until the input is settled: it
// may be retried instead.
func (r *route) fail(a *artifact.Artifact, reason Reason, err error) {
	if r.js != nil {
		r.finish(a, outcome{fail: reason, err: err})
		return
	}
	if r.cfg.DLQ != "" {
		if dlqErr := r.deadLetter(a, err); dlqErr != nil {
			err = fmt.Errorf("%w (dead-lettering failed too: %w)", err, dlqErr)
		} else if h := r.hooks.DeadLettered; h != nil {
			h(a)
		}
	}
	r.failLog.do(func(suppressed int) {
		r.log.Warn("message failed", "reason", reason, "subject", a.Subject, "err", err, "suppressed", suppressed)
	})
	r.finish(a, outcome{fail: reason, err: err})
}

func (r *route) deadLetter(a *artifact.Artifact, cause error) error {
	h := headerFor(a)
	stripControlHeaders(h)
	h.Set(HeaderError, cause.Error())
	h.Set(HeaderRoute, r.cfg.Name)
	h.Set(HeaderSubject, a.Subject)
	a.Meta = artifact.Metadata(h)
	// Not the reply subject: a requester waits for an answer, not for its
	// own request back.
	return r.nc.PublishMsg(&nats.Msg{Subject: r.cfg.DLQ, Data: a.Payload, Header: h})
}

// stripControlHeaders removes the headers that instruct the server about
// one publish: a producer's Nats-Expected-Stream or Nats-Expected-Last-
// Sequence was meant for the input stream, and on an output it would make
// the output stream refuse the message; a Nats-Rollup would purge it.
func stripControlHeaders(h nats.Header) {
	for k := range h {
		if strings.HasPrefix(k, "Nats-Expected-") || k == "Nats-Rollup" {
			delete(h, k)
		}
	}
}

// headerFor returns a's metadata as a header to modify, allocating one if
// a has none.
func headerFor(a *artifact.Artifact) nats.Header {
	if a.Meta == nil {
		a.Meta = make(artifact.Metadata, 4)
	}
	return nats.Header(a.Meta)
}

// pollSlowConsumer reports messages the NATS client dropped since the last
// call.
func (r *route) pollSlowConsumer() {
	if r.sub == nil {
		return
	}
	n, err := r.sub.Dropped()
	if err != nil || n <= r.slowDropped {
		return
	}
	d := n - r.slowDropped
	r.slowDropped = n
	r.log.Warn("NATS client dropped messages: the route is slower than its input (slow consumer)", "dropped", d)
	if h := r.hooks.Dropped; h != nil {
		h(ReasonSlowConsumer, d)
	}
}

func classify(err error) Reason {
	switch {
	case errors.Is(err, stream.ErrTimeout):
		return ReasonTimeout
	case errors.Is(err, ErrPermanent):
		return ReasonDecode
	default:
		return ReasonGenerator
	}
}

// outcome is what became of one artifact.
type outcome struct {
	filtered bool
	drop     Reason
	fail     Reason
	err      error
}

// tracker follows one input through the processing stage: it is released
// once by the input and once by each output, and reports the input's fate
// when the last release comes.
type tracker struct {
	in      *artifact.Artifact
	pending atomic.Int32
	outputs atomic.Int32
	state   atomic.Pointer[outcome] // first failure or drop wins

	msg jetstream.Msg // JetStream routes: what to acknowledge
	seq uint64        // its stream sequence
	// delivered is how many times the server delivered msg.
	delivered uint64
	// idHeader is the pooled header of the output of a forward-only
	// JetStream route, returned to its pool once the input is reported.
	idHeader *idHeader
	// prev and next link the JetStream route's in-flight list, under
	// jsRoute.mu. received orders it: a copy of in.Created, which
	// keepAlive reads while a processing stage may be changing in.
	prev, next *tracker
	received   time.Time
}

// newTracker returns a tracker whose input artifact, t.in, is allocated
// with it.
func newTracker() *tracker {
	both := new(struct {
		t tracker
		a artifact.Artifact
	})
	both.t.in = &both.a
	return &both.t
}

// finish records what became of a and, when a is the last thing
// outstanding for its input, reports the input's fate.
func (r *route) finish(a *artifact.Artifact, o outcome) {
	t, _ := a.Origin.(*tracker)
	if t == nil {
		// Untracked: a is its own input and its only output.
		r.report(a, o, 1)
		return
	}
	if o.fail != "" || o.drop != "" {
		first := o // a copy, so that o does not escape on the common path
		t.state.CompareAndSwap(nil, &first)
	}
	r.release(t)
}

func (r *route) release(t *tracker) {
	if t == nil || t.pending.Add(-1) != 0 {
		return
	}
	o := outcome{}
	if s := t.state.Load(); s != nil {
		o = *s
	} else if t.outputs.Load() == 0 {
		o.filtered = true
	}
	if t.msg != nil {
		o = r.settleJS(t, o)
	}
	r.report(t.in, o, int(t.outputs.Load()))
	recycleIDHeader(t)
}

func (r *route) report(in *artifact.Artifact, o outcome, outputs int) {
	switch {
	case o.fail != "":
		if h := r.hooks.Failed; h != nil {
			h(in, o.fail, o.err)
		}
	case o.drop != "":
		if h := r.hooks.Dropped; h != nil {
			h(o.drop, 1)
		}
	case o.filtered:
		if h := r.hooks.Filtered; h != nil {
			h(in)
		}
	default:
		if h := r.hooks.Processed; h != nil {
			h(in, outputs)
		}
	}
}

// sometimes runs a function at most once per interval, telling it how many
// calls it skipped: rate-limited logging for per-message failures.
type sometimes struct {
	interval   time.Duration
	last       atomic.Int64
	suppressed atomic.Int64
}

func (s *sometimes) do(f func(suppressed int)) {
	now := time.Now().UnixNano()
	last := s.last.Load()
	if now-last < int64(s.interval) || !s.last.CompareAndSwap(last, now) {
		s.suppressed.Add(1)
		return
	}
	f(int(s.suppressed.Swap(0)))
}
