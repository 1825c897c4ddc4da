package bridge

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// ReplyOutcome is what became of a response that a route between two
// connections carried back, or of the wait for it. The set is fixed, so it
// is safe as a metric label: ReplyOutcomes lists it.
type ReplyOutcome string

// Reply outcomes.
const (
	// ReplyForwarded: the first response to a request came back in time
	// and went to the requester.
	ReplyForwarded ReplyOutcome = "forwarded"
	// ReplyExpired: no response came within the route's ReplyTimeout.
	ReplyExpired ReplyOutcome = "expired"
	// ReplyUnmatched: a response came for no request waiting: a second
	// response, a late one, or one the route never asked for. Dropped.
	ReplyUnmatched ReplyOutcome = "unmatched"
)

// ReplyOutcomes returns every reply outcome, in a fixed order.
func ReplyOutcomes() []ReplyOutcome {
	return []ReplyOutcome{ReplyForwarded, ReplyExpired, ReplyUnmatched}
}

// replyProxy carries requests across two connections. A request's reply
// subject is an inbox on the input side, which the output side cannot
// reach; so the route publishes the request with a reply subject of its
// own on the output side, and forwards the first response to come back to
// the requester's inbox.
type replyProxy struct {
	r       *route
	in, out *nats.Conn
	prefix  string // <inbox>. on the output side; a token follows
	next    atomic.Uint64

	mu      sync.Mutex
	sub     *nats.Subscription
	waiting map[string]*pendingReply
	closed  bool
}

type pendingReply struct {
	reply string // the requester's reply subject, on the input side
	timer *time.Timer
}

func newReplyProxy(r *route, in, out *nats.Conn) *replyProxy {
	return &replyProxy{r: r, in: in, out: out, prefix: out.NewInbox() + ".", waiting: map[string]*pendingReply{}}
}

// start subscribes to the route's reply subjects on the output side.
func (p *replyProxy) start() error {
	sub, err := p.out.Subscribe(p.prefix+"*", p.onResponse)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.sub = sub
	p.mu.Unlock()
	return nil
}

// register returns the reply subject, on the output side, of a request
// whose requester waits on reply.
func (p *replyProxy) register(reply string) string {
	token := strconv.FormatUint(p.next.Add(1), 36)
	pr := &pendingReply{reply: reply}
	p.mu.Lock()
	if !p.closed {
		p.waiting[token] = pr
		pr.timer = time.AfterFunc(p.r.cfg.ReplyTimeout, func() { p.expire(token) })
	}
	p.mu.Unlock()
	return p.prefix + token
}

// take removes and returns the request waiting for token, if any.
func (p *replyProxy) take(token string) *pendingReply {
	p.mu.Lock()
	defer p.mu.Unlock()
	pr := p.waiting[token]
	delete(p.waiting, token)
	return pr
}

func (p *replyProxy) expire(token string) {
	if p.take(token) != nil {
		p.report(ReplyExpired)
	}
}

// onResponse forwards the first response to a request to its requester.
func (p *replyProxy) onResponse(m *nats.Msg) {
	pr := p.take(m.Subject[len(p.prefix):])
	if pr == nil {
		p.report(ReplyUnmatched)
		return
	}
	pr.timer.Stop()
	resp := &nats.Msg{Subject: pr.reply, Data: m.Data, Header: m.Header}
	if err := p.in.PublishMsg(resp); err != nil {
		p.r.failLog.do(func(suppressed int) {
			p.r.log.Warn("forwarding a response to its requester failed", "err", err, "suppressed", suppressed)
		})
		p.report(ReplyExpired)
		return
	}
	p.report(ReplyForwarded)
}

func (p *replyProxy) report(o ReplyOutcome) {
	if h := p.r.hooks.Replied; h != nil {
		h(o)
	}
}

// close stops taking responses once the route is drained: the responses
// still awaited are given up on, as expired.
func (p *replyProxy) close(hard context.Context) {
	p.mu.Lock()
	p.closed = true
	sub := p.sub
	p.mu.Unlock()
	if sub != nil {
		// Responses in flight may still arrive: drain what came in.
		if err := sub.Drain(); err != nil || hard.Err() != nil {
			_ = sub.Unsubscribe()
		}
	}
	p.mu.Lock()
	waiting := p.waiting
	p.waiting = map[string]*pendingReply{}
	p.mu.Unlock()
	for _, pr := range waiting {
		if pr.timer.Stop() {
			p.report(ReplyExpired)
		}
	}
}
