package bridge

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsbridge/bridge/artifact"
)

// Defaults for JetStream routes.
const (
	DefaultMaxDeliver = 5
	DefaultAckWait    = 30 * time.Second
)

// Headers added to messages dead-lettered by a JetStream route, besides
// Bridge-Error, Bridge-Route and Bridge-Subject.
const (
	HeaderStream    = "Bridge-Stream"
	HeaderSequence  = "Bridge-Sequence"
	HeaderDelivered = "Bridge-Delivered"
	// HeaderPayloadOmitted is set, to the payload's size, on a dead letter
	// sent without its payload because with the headers it would exceed
	// the server's max_payload.
	HeaderPayloadOmitted = "Bridge-Payload-Omitted"
)

const (
	// maxPubPending bounds the asynchronous JetStream publishes a route
	// has in flight.
	maxPubPending = 4096
	// retryConsumer is how often a route whose stream does not exist yet
	// tries again.
	retryConsumer = 2 * time.Second
	// nakDelayMax caps the growing delay before a failed message is
	// redelivered.
	nakDelayMax = time.Minute
	// outputCacheTTL is how long a route remembers whether a subject is
	// stored by a stream.
	outputCacheTTL = 30 * time.Second
)

// jsRoute is the JetStream part of a route.
type jsRoute struct {
	js   jetstream.JetStream
	cc   jetstream.ConsumeContext
	pubs chan pendingPub // asynchronous publishes, in order
	wg   sync.WaitGroup  // the acknowledgement collector

	mu sync.Mutex
	// inflight lists the messages received and not yet settled, oldest
	// first: the sentinel of a ring linked through tracker.prev and next.
	inflight tracker
	ready    bool

	cacheMu sync.Mutex
	stored  map[string]storedEntry // output subject -> stored by a stream?
}

type pendingPub struct {
	paf jetstream.PubAckFuture
	a   *artifact.Artifact
}

type storedEntry struct {
	stored  bool
	checked time.Time
}

func (r *route) initJS() error {
	if r.cfg.Durable == "" {
		return fmt.Errorf("%w: route %q: JetStream route without a durable name", ErrInvalidRoute, r.cfg.Name)
	}
	if r.cfg.MaxDeliver == 0 {
		r.cfg.MaxDeliver = DefaultMaxDeliver
	}
	if r.cfg.AckWait == 0 {
		r.cfg.AckWait = DefaultAckWait
	}
	// An output whose acknowledgement never comes (the output stream's
	// leader died with the publish in flight, while the connection stayed
	// up) must not hold the route forever: after the route's timeout, or
	// AckWait without one, the publish fails and the input is retried; the
	// output stream drops the copy if the first publish was stored.
	ackTimeout := r.cfg.Timeout
	if ackTimeout <= 0 {
		ackTimeout = r.cfg.AckWait
	}
	js, err := jetstream.New(r.nc,
		jetstream.WithPublishAsyncMaxPending(maxPubPending),
		jetstream.WithPublishAsyncTimeout(ackTimeout))
	if err != nil {
		return fmt.Errorf("route %q: %w", r.cfg.Name, err)
	}
	r.js = &jsRoute{
		js:     js,
		pubs:   make(chan pendingPub, maxPubPending),
		stored: make(map[string]storedEntry),
	}
	return nil
}

// startJS creates or updates the durable consumer and starts consuming. It
// retries until the stream exists or ctx is done.
func (r *route) startJS(ctx context.Context) error {
	size := r.cfg.BufferSize
	if size == 0 {
		size = 1024
	}
	cfg := jetstream.ConsumerConfig{
		Durable:       r.cfg.Durable,
		FilterSubject: r.cfg.In,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       r.cfg.AckWait,
		// The bridge, not the server, enforces MaxDeliver: a server that
		// stops delivering at the limit would lose a message whose dead
		// letter could not be stored on its last delivery. Here it comes
		// back, and dead-lettering is tried again.
		MaxDeliver: -1,
		// The server never lets more than the buffer's capacity be
		// outstanding: the route fetches only what it has room for,
		// however deep the stream.
		MaxAckPending: size,
	}
	for {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		cons, err := r.js.js.CreateOrUpdateConsumer(cctx, r.cfg.Stream, cfg)
		cancel()
		if err == nil {
			cc, err := cons.Consume(r.onJSMsg,
				jetstream.PullMaxMessages(min(size, 1000)),
				// Pull requests expire after 5s instead of 30s, so that a
				// consumer whose leader moved (node loss, stepdown) is
				// noticed through missed heartbeats within seconds.
				jetstream.PullExpiry(5*time.Second),
				jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
					r.failLog.do(func(suppressed int) {
						r.log.Warn("JetStream consumer", "err", err, "suppressed", suppressed)
					})
				}))
			if err == nil {
				r.js.mu.Lock()
				r.js.cc = cc
				r.js.ready = true
				r.js.mu.Unlock()
				r.log.Info("consuming JetStream", "stream", r.cfg.Stream, "durable", r.cfg.Durable)
				return nil
			}
		}
		r.log.Warn("JetStream consumer not available yet; retrying", "stream", r.cfg.Stream, "durable", r.cfg.Durable,
			"err", err, "retry", retryConsumer)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(retryConsumer):
		}
	}
}

// onJSMsg is the consumer callback: the entry of a JetStream route.
func (r *route) onJSMsg(m jetstream.Msg) {
	t := newTracker()
	a := t.in
	*a = artifact.Artifact{
		ID:      artifact.NewID(),
		Subject: m.Subject(),
		Payload: m.Data(),
		Created: now(),
		Meta:    artifact.Metadata(m.Headers()),
	}
	keepPreviousError(a.Meta)
	t.msg = m
	if seq, delivered, ok := ackInfo(m.Reply()); ok {
		t.seq, t.delivered = seq, delivered
	} else if md, err := m.Metadata(); err == nil {
		t.seq = md.Sequence.Stream
		t.delivered = md.NumDelivered
	}
	t.pending.Store(1)
	a.Origin = t
	t.received = a.Created
	r.js.pushInflight(t)
	if h := r.hooks.Received; h != nil {
		h(a)
	}
	if t.delivered > 2*uint64(r.cfg.MaxDeliver) {
		// Delivered far more often than it failed: whatever happens to it
		// does not let the bridge settle it (a crash, say). Stop trying.
		r.finish(a, outcome{fail: ReasonMaxDeliver,
			err: fmt.Errorf("delivered %d times without being settled", t.delivered)})
		return
	}
	if err := r.buf.Send(r.sendCtx, a); err != nil {
		r.finish(a, outcome{drop: ReasonShutdown})
	}
}

// idHeader is a header holding only a Nats-Msg-Id, pooled: most outputs of
// a forward-only JetStream route need nothing else, and the map is the
// largest allocation of their path.
type idHeader struct {
	h  nats.Header
	id [1]string
}

var idHeaders = sync.Pool{New: func() any {
	ih := &idHeader{h: make(nats.Header, 1)}
	ih.h[jetstream.MsgIDHeader] = ih.id[:]
	return ih
}}

// recycleIDHeader returns t's ID header to the pool, once nothing reads it:
// the input is settled and reported, and the NATS client has finished with
// the publish (resolved or failed) or never started it.
func recycleIDHeader(t *tracker) {
	ih := t.idHeader
	if ih == nil {
		return
	}
	t.idHeader = nil
	t.in.Meta = nil
	if vs := ih.h[jetstream.MsgIDHeader]; len(ih.h) != 1 || len(vs) != 1 || &vs[0] != &ih.id[0] {
		return // changed by a hook: not reusable as it is
	}
	ih.id[0] = ""
	idHeaders.Put(ih)
}

// ackInfo reads the stream sequence and the delivery count of a JetStream
// message from its reply subject, as Msg.Metadata does but without
// allocating, in either of the server's two forms:
//
//	$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<tm>.<pending>
//	$JS.ACK.<domain>.<hash>.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<tm>.<pending>[.<token>...]
//
// The first has 9 tokens, the second at least 11.
func ackInfo(reply string) (seq, delivered uint64, ok bool) {
	const prefix = "$JS.ACK."
	rest, found := strings.CutPrefix(reply, prefix)
	if !found {
		return 0, 0, false
	}
	skip := 0 // tokens before <delivered>
	switch n := strings.Count(reply, ".") + 1; {
	case n == 9:
		skip = 2
	case n >= 11:
		skip = 4
	default:
		return 0, 0, false
	}
	for range skip {
		_, rest, _ = strings.Cut(rest, ".")
	}
	d, rest, _ := strings.Cut(rest, ".")
	sq, _, _ := strings.Cut(rest, ".")
	delivered, err1 := strconv.ParseUint(d, 10, 64)
	seq, err2 := strconv.ParseUint(sq, 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return seq, delivered, true
}

// msgID is the Nats-Msg-Id of the idx-th output of the message at seq in
// stream: a redelivery produces the same IDs, so an output stream's
// duplicate window drops the copies.
func msgID(stream string, seq uint64, idx int) string {
	var buf [64]byte // on the stack: one allocation, the string's
	b := append(buf[:0], stream...)
	b = append(b, ':')
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(idx), 10)
	return string(b)
}

// publishJS publishes one output of a JetStream route: asynchronously with
// a server acknowledgement when a stream stores the subject, as a core
// publish otherwise (on the same connection, so it reaches the server
// before the input's acknowledgement does).
func (r *route) publishJS(a *artifact.Artifact) {
	subject, err := r.outSubject(a)
	if err != nil {
		r.fail(a, ReasonPublish, err)
		return
	}
	t, _ := a.Origin.(*tracker)
	setID := r.cfg.Process == nil && t != nil && !r.cfg.NoMsgID
	if setID && a.Meta == nil {
		// The input had no headers: the output's only one is its ID, in
		// a header recycled once the input is settled.
		t.idHeader = idHeaders.Get().(*idHeader)
		t.idHeader.id[0] = msgID(r.cfg.Stream, t.seq, 0)
		a.Meta = artifact.Metadata(t.idHeader.h)
	}
	var h nats.Header
	if setID || len(a.Meta) > 0 {
		h = headerFor(a)
		stripControlHeaders(h)
		if setID && t.idHeader == nil {
			h.Set(jetstream.MsgIDHeader, msgID(r.cfg.Stream, t.seq, 0))
		}
	}
	m := &nats.Msg{Subject: subject, Reply: a.Reply, Data: a.Payload, Header: h}
	if !r.storedByStream(subject, a.Created) {
		if err := r.nc.PublishMsg(m); err != nil {
			r.fail(a, ReasonPublish, err)
			return
		}
		r.published(a)
		return
	}
	paf, err := r.js.js.PublishMsgAsync(m)
	if err != nil {
		r.fail(a, ReasonPublish, err)
		return
	}
	r.js.pubs <- pendingPub{paf: paf, a: a}
}

// collectAcks settles outputs as their publish acknowledgements arrive. It
// ends when pubs is closed and empty.
func (r *route) collectAcks() {
	for p := range r.js.pubs {
		select {
		case <-p.paf.Ok():
			r.published(p.a)
		case err := <-p.paf.Err():
			r.fail(p.a, ReasonPublish, err)
		}
	}
}

// storedByStream reports whether a stream stores subject, so that its
// publishes need the server's acknowledgement. Answers are cached for
// outputCacheTTL; t is the time now, or close enough to it (such as when
// the input arrived) to spare a clock read per message.
func (r *route) storedByStream(subject string, t time.Time) bool {
	j := r.js
	j.cacheMu.Lock()
	e, ok := j.stored[subject]
	j.cacheMu.Unlock()
	if ok && t.Sub(e.checked) < outputCacheTTL {
		return e.stored
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_, err := j.js.StreamNameBySubject(ctx, subject)
	cancel()
	stored := err == nil
	if err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
		// Unknown: assume stored, so the publish waits for a server
		// acknowledgement; that fails if no stream answers, and the
		// message is retried.
		stored = true
		r.log.Warn("cannot tell whether a stream stores the output subject", "subject", subject, "err", err)
	}
	j.cacheMu.Lock()
	if len(j.stored) > 10000 {
		clear(j.stored) // mapped outputs can have unbounded subjects
	}
	j.stored[subject] = storedEntry{stored: stored, checked: t}
	j.cacheMu.Unlock()
	return stored
}

// settleJS acknowledges, retries or dead-letters a settled input and
// returns the outcome to report.
func (r *route) settleJS(t *tracker, o outcome) outcome {
	r.js.removeInflight(t)
	m := t.msg
	switch {
	case o.drop != "":
		// Not processed (shutdown): let another consumer have it now.
		_ = m.Nak()
		return o
	case o.fail == "":
		if err := m.Ack(); err != nil {
			r.log.Warn("ack failed; the message will be redelivered and its outputs deduplicated", "err", err)
		}
		return o
	}
	// An output larger than the server's max_payload is refused however
	// often it is tried.
	permanent := o.fail == ReasonDecode || o.fail == ReasonGenerator || errors.Is(o.err, nats.ErrMaxPayload)
	last := t.delivered >= uint64(r.cfg.MaxDeliver) || o.fail == ReasonMaxDeliver
	if !permanent && !last {
		_ = m.NakWithDelay(nakDelay(t.delivered))
		return o
	}
	if last && !permanent {
		o.err = fmt.Errorf("%w (delivered %d times, the maximum)", o.err, t.delivered)
		o.fail = ReasonMaxDeliver
	}
	if r.cfg.DLQ != "" {
		if err := r.deadLetterJS(t, o.err); err != nil {
			// Keep it: it comes back and is dead-lettered again.
			r.log.Warn("dead-lettering failed; the message will be redelivered", "err", err)
			_ = m.NakWithDelay(nakDelay(t.delivered))
			return o
		}
		if h := r.hooks.DeadLettered; h != nil {
			h(t.in)
		}
	}
	r.failLog.do(func(suppressed int) {
		r.log.Warn("message failed", "reason", o.fail, "subject", t.in.Subject, "sequence", t.seq,
			"err", o.err, "suppressed", suppressed)
	})
	_ = m.TermWithReason(string(o.fail))
	return o
}

// deadLetterJS publishes the original message to the DLQ, waiting for the
// server's acknowledgement when a stream stores the DLQ subject.
func (r *route) deadLetterJS(t *tracker, cause error) error {
	h := make(nats.Header, len(t.msg.Headers())+6)
	for k, vs := range t.msg.Headers() {
		h[k] = vs
	}
	stripControlHeaders(h)
	h.Set(HeaderError, cause.Error())
	h.Set(HeaderRoute, r.cfg.Name)
	h.Set(HeaderSubject, t.in.Subject)
	h.Set(HeaderStream, r.cfg.Stream)
	h.Set(HeaderSequence, strconv.FormatUint(t.seq, 10))
	h.Set(HeaderDelivered, strconv.FormatUint(t.delivered, 10))
	h.Set(jetstream.MsgIDHeader, "dlq:"+msgID(r.cfg.Stream, t.seq, 0))
	m := &nats.Msg{Subject: r.cfg.DLQ, Data: t.msg.Data(), Header: h}
	err := r.publishDeadLetter(m)
	if errors.Is(err, nats.ErrMaxPayload) {
		// The headers pushed an input near max_payload over it: a dead
		// letter without the payload still records what failed and where
		// to find it (stream and sequence), instead of retrying forever.
		h.Set(HeaderPayloadOmitted, strconv.Itoa(len(m.Data)))
		m.Data = nil
		err = r.publishDeadLetter(m)
	}
	return err
}

func (r *route) publishDeadLetter(m *nats.Msg) error {
	if !r.storedByStream(m.Subject, now()) {
		return r.nc.PublishMsg(m)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := r.js.js.PublishMsg(ctx, m)
	return err
}

// nakDelay grows with the number of deliveries: 1s, 2s, 4s … up to a minute.
func nakDelay(delivered uint64) time.Duration {
	if delivered < 1 {
		delivered = 1
	}
	if delivered > 7 {
		return nakDelayMax
	}
	return min(time.Second<<(delivered-1), nakDelayMax)
}

// pushInflight appends t, just received, to the in-flight list: the list
// stays in order of receipt because one goroutine receives.
func (j *jsRoute) pushInflight(t *tracker) {
	j.mu.Lock()
	s := &j.inflight
	if s.next == nil {
		s.next, s.prev = s, s
	}
	t.prev, t.next = s.prev, s
	s.prev.next = t
	s.prev = t
	j.mu.Unlock()
}

// removeInflight takes t, settled, off the in-flight list.
func (j *jsRoute) removeInflight(t *tracker) {
	j.mu.Lock()
	if t.next != nil {
		t.prev.next = t.next
		t.next.prev = t.prev
		t.prev, t.next = nil, nil
	}
	j.mu.Unlock()
}

// keepAlive tells the server that messages held longer than a third of
// AckWait are still being worked on, so slow work is not redelivered.
func (r *route) keepAlive() {
	j := r.js
	threshold := now().Add(-r.cfg.AckWait / 3)
	j.mu.Lock()
	var old []jetstream.Msg
	for t := j.inflight.next; t != nil && t != &j.inflight && t.received.Before(threshold); t = t.next {
		old = append(old, t.msg)
	}
	j.mu.Unlock()
	for _, m := range old {
		_ = m.InProgress()
	}
}

// drainJS stops fetching, lets the client hand over what it fetched, and
// closes the buffer's input.
func (r *route) drainJS(hard context.Context) {
	r.js.mu.Lock()
	cc := r.js.cc
	r.js.ready = false
	r.js.mu.Unlock()
	if cc != nil {
		cc.Drain()
		select {
		case <-cc.Closed():
		case <-hard.Done():
			cc.Stop()
		}
	}
	_ = r.buf.CloseSend()
}

// stopJS waits for the outstanding publish acknowledgements after the
// publish loop has ended.
func (r *route) stopJS() {
	close(r.js.pubs)
	r.js.wg.Wait()
}

func (r *route) readyJS() bool {
	r.js.mu.Lock()
	defer r.js.mu.Unlock()
	return r.js.ready
}
