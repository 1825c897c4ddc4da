package bridge

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

const (
	// retryConsumer is how often a route whose stream does not exist yet
	// tries again.
	retryConsumer = 2 * time.Second
	// nakDelayMax caps the growing delay before a failed message is
	// redelivered.
	nakDelayMax = time.Minute
)

// jsSource is a durable pull consumer of a stream.
type jsSource struct {
	r  *route
	js jetstream.JetStream

	mu       sync.Mutex
	cc       jetstream.ConsumeContext
	consumes bool
	flight   inflight
}

func newJSSource(r *route, js jetstream.JetStream) *jsSource { return &jsSource{r: r, js: js} }

// start creates or updates the durable consumer and starts consuming. It
// retries until the stream exists or ctx is done.
func (s *jsSource) start(ctx context.Context) error {
	cfg := &s.r.cfg
	ccfg := jetstream.ConsumerConfig{
		Durable:       cfg.Durable,
		FilterSubject: cfg.In,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       cfg.AckWait,
		// The bridge, not the server, enforces MaxDeliver: a server that
		// stops delivering at the limit would lose a message whose dead
		// letter could not be stored on its last delivery. Here it comes
		// back, and dead-lettering is tried again.
		MaxDeliver: -1,
		// The server never lets more than the buffer's capacity be
		// outstanding: the route fetches only what it has room for,
		// however deep the stream.
		MaxAckPending: cfg.BufferSize,
	}
	for {
		err := s.consume(ctx, ccfg)
		if err == nil {
			s.r.log.Info("route started: consuming JetStream", "stream", cfg.Stream, "durable", cfg.Durable,
				"in", cfg.In, "out", cfg.Out)
			return nil
		}
		s.r.log.Warn("JetStream consumer not available yet; retrying", "stream", cfg.Stream, "durable", cfg.Durable,
			"err", err, "retry", retryConsumer)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(retryConsumer):
		}
	}
}

func (s *jsSource) consume(ctx context.Context, ccfg jetstream.ConsumerConfig) error {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	cons, err := s.js.CreateOrUpdateConsumer(cctx, s.r.cfg.Stream, ccfg)
	cancel()
	if err != nil {
		return err
	}
	cc, err := cons.Consume(s.onMsg,
		jetstream.PullMaxMessages(min(ccfg.MaxAckPending, 1000)),
		// Pull requests expire after 5s instead of 30s, so that a
		// consumer whose leader moved (node loss, stepdown) is noticed
		// through missed heartbeats within seconds.
		jetstream.PullExpiry(5*time.Second),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			s.r.failLog.do(func(suppressed int) {
				s.r.log.Warn("JetStream consumer", "err", err, "suppressed", suppressed)
			})
		}))
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.cc, s.consumes = cc, true
	s.mu.Unlock()
	return nil
}

// onMsg is the consumer callback: the entry of a JetStream route.
func (s *jsSource) onMsg(m jetstream.Msg) {
	d := new(delivery)
	in := &d.in
	in.js = d
	in.fill(m.Subject(), "", m.Data(), m.Headers(), monoNow())
	d.msg = m
	if seq, delivered, ok := ackInfo(m.Reply()); ok {
		d.seq, d.delivered = seq, delivered
	} else if md, err := m.Metadata(); err == nil {
		d.seq, d.delivered = md.Sequence.Stream, md.NumDelivered
	}
	d.received = in.a.Created
	s.flight.push(d)
	if d.delivered > 2*uint64(s.r.cfg.MaxDeliver) && !s.r.cross {
		// Delivered far more often than it failed: whatever happens to it
		// does not let the bridge settle it (a crash, say). Stop trying.
		// Not on a route between two systems, where an outage of the
		// other one redelivers every message many times.
		in.fail(ReasonMaxDeliver, fmt.Errorf("delivered %d times without being settled", d.delivered))
	}
	s.r.accept(in)
}

func (s *jsSource) ready() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.consumes
}

// drain stops fetching and lets the client hand over what it fetched.
func (s *jsSource) drain(hard context.Context) {
	s.mu.Lock()
	cc := s.cc
	s.consumes = false
	s.mu.Unlock()
	if cc == nil {
		return
	}
	cc.Drain()
	select {
	case <-cc.Closed():
		return
	case <-hard.Done():
	}
	cc.Stop()
	// The callback in progress, if any, returns; it may be waiting for
	// room among the asynchronous publishes, which is bounded in time.
	select {
	case <-cc.Closed():
	case <-time.After(5 * time.Second):
		s.r.log.Warn("JetStream consumer did not stop in time")
	}
}

// tick tells the server that messages held longer than a third of AckWait
// are still being worked on, so slow work is not redelivered.
func (s *jsSource) tick() {
	for _, m := range s.flight.olderThan(monoNow().Add(-s.r.cfg.AckWait / 3)) {
		_ = m.InProgress()
	}
}

func (s *jsSource) stats(st *RouteStats) {
	st.InFlight, st.InFlightLimit = s.flight.len(), s.r.cfg.BufferSize
}

func (s *jsSource) ack(in *input) {
	s.flight.remove(in.js)
	if err := in.js.msg.Ack(); err != nil {
		s.r.log.Warn("ack failed; the message will be redelivered and its outputs deduplicated", "err", err)
	}
}

// handBack lets another consumer have a message that was not processed
// (shutdown) now, instead of after AckWait.
func (s *jsSource) handBack(in *input) {
	s.flight.remove(in.js)
	_ = in.js.msg.Nak()
}

func (s *jsSource) redeliver(in *input, o outcome) (outcome, bool) {
	d := in.js
	retry, delay := retryable(o.reason, o.err)
	// A route between two systems does not give up on a message because
	// the other system is down: that is no fault of the message, and
	// nothing is acknowledged until it is back.
	last := (d.delivered >= uint64(s.r.cfg.MaxDeliver) || o.reason == ReasonMaxDeliver) &&
		!(o.reason == ReasonPublish && s.r.outputDown())
	if retry && !last {
		if delay <= 0 {
			delay = nakDelay(d.delivered)
		}
		s.flight.remove(d)
		_ = d.msg.NakWithDelay(delay)
		return o, true
	}
	if retry {
		o.err = fmt.Errorf("%w (delivered %d times, the maximum)", o.err, d.delivered)
		o.reason = ReasonMaxDeliver
	}
	return o, false
}

func (s *jsSource) reject(in *input, o outcome) {
	s.flight.remove(in.js)
	_ = in.js.msg.TermWithReason(string(o.reason))
}

func (s *jsSource) keep(in *input) {
	d := in.js
	s.r.log.Warn("dead-lettering failed; the message will be redelivered", "sequence", d.seq)
	s.flight.remove(d)
	_ = d.msg.NakWithDelay(nakDelay(d.delivered))
}

func (s *jsSource) done(in *input) { recycleIDHeader(in.js) }

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
