package bridge

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// coreSource is a core NATS subscription.
type coreSource struct {
	r   *route
	nc  *nats.Conn
	sub *nats.Subscription
	// closed is closed by the subscription's closed handler, which the
	// client calls after its last callback.
	closed chan struct{}

	// reuse is set on routes without a stage: each input is settled
	// before the callback returns, so one input serves every message.
	reuse bool
	in    input
	seen  uint32 // messages taken, to time one in latencySampling

	slowDropped int // slow-consumer drops already reported
}

func (s *coreSource) start(context.Context) error {
	s.reuse = s.r.stage == nil
	s.closed = make(chan struct{})
	cfg := &s.r.cfg
	var err error
	if cfg.Queue != "" {
		s.sub, err = s.nc.QueueSubscribe(cfg.In, cfg.Queue, s.onMsg)
	} else {
		s.sub, err = s.nc.Subscribe(cfg.In, s.onMsg)
	}
	if err != nil {
		return fmt.Errorf("route %q: subscribe to %q: %w", cfg.Name, cfg.In, err)
	}
	s.sub.SetClosedHandler(func(string) { close(s.closed) })
	if err := s.sub.SetPendingLimits(cfg.PendingMsgs, cfg.PendingBytes); err != nil {
		_ = s.sub.Unsubscribe()
		return fmt.Errorf("route %q: pending limits: %w", cfg.Name, err)
	}
	return nil
}

// onMsg is the subscription callback: the entry of the hot path.
func (s *coreSource) onMsg(m *nats.Msg) {
	var in *input
	if s.reuse {
		in = &s.in
		in.outputs.Store(0)
		in.failure.Store(nil)
	} else {
		in = new(input)
	}
	var created time.Time
	// NATS calls back one message at a time: seen needs no lock. The
	// first message is timed, so a quiet route has a latency too.
	if s.seen++; s.seen%latencySampling == 1 {
		created = monoNow()
	}
	in.fill(m.Subject, m.Reply, m.Data, m.Header, created)
	s.r.accept(in)
}

func (s *coreSource) ready() bool { return s.sub != nil && s.sub.IsValid() }

func (s *coreSource) drain(hard context.Context) {
	if s.sub == nil {
		return
	}
	if !s.nc.IsConnected() {
		// No server to confirm a drain, and nothing more can arrive:
		// what the client holds is already being handed over.
		_ = s.sub.Unsubscribe()
	} else if err := s.sub.Drain(); err != nil {
		s.r.log.Warn("draining subscription", "err", err)
		_ = s.sub.Unsubscribe()
	}
	select {
	case <-s.closed:
	case <-hard.Done():
		_ = s.sub.Unsubscribe()
		<-s.closed // the callback in progress, if any, returns
	}
	s.tick()
}

// tick reports messages the NATS client dropped since the last call.
func (s *coreSource) tick() {
	if s.sub == nil {
		return
	}
	n, err := s.sub.Dropped()
	if err != nil || n <= s.slowDropped {
		return
	}
	d := n - s.slowDropped
	s.slowDropped = n
	s.r.log.Warn("NATS client dropped messages: the route is slower than its input (slow consumer)", "dropped", d)
	if h := s.r.hooks.Dropped; h != nil {
		h(ReasonSlowConsumer, d)
	}
}

func (s *coreSource) stats(st *RouteStats) {
	st.PendingLimit = s.r.cfg.PendingMsgs
	if s.sub != nil {
		if n, _, err := s.sub.Pending(); err == nil {
			st.Pending = n
		}
	}
}

// A core message is settled by the route alone: nothing to acknowledge,
// nothing to deliver again.
func (s *coreSource) ack(*input)                                    {}
func (s *coreSource) handBack(*input)                               {}
func (s *coreSource) redeliver(_ *input, o outcome) (outcome, bool) { return o, false }
func (s *coreSource) reject(*input, outcome)                        {}
func (s *coreSource) keep(*input)                                   {}
func (s *coreSource) done(*input)                                   {}
