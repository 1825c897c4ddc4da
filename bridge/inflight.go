package bridge

import (
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// delivery is one delivery of a JetStream message, and the input made of
// it, allocated together.
type delivery struct {
	in  input
	msg jetstream.Msg
	seq uint64 // stream sequence
	// delivered is how many times the server delivered msg.
	delivered uint64
	// idHeader is the pooled header of an output that is the input
	// itself, returned to its pool once the input is reported.
	idHeader *idHeader
	// prev and next link the in-flight list. received orders it: a copy
	// of in.a.Created, which keepAlive reads while a stage may be
	// changing in.
	prev, next *delivery
	received   time.Time
}

// inflight lists the deliveries received and not yet settled, oldest
// first: the sentinel of a ring linked through delivery.prev and next.
type inflight struct {
	mu   sync.Mutex
	ring delivery
	n    int
}

// push appends d, just received: the list stays in order of receipt
// because one goroutine receives.
func (l *inflight) push(d *delivery) {
	l.mu.Lock()
	s := &l.ring
	if s.next == nil {
		s.next, s.prev = s, s
	}
	d.prev, d.next = s.prev, s
	s.prev.next = d
	s.prev = d
	l.n++
	l.mu.Unlock()
}

// remove takes d, settled, off the list. Removing it twice is harmless.
func (l *inflight) remove(d *delivery) {
	l.mu.Lock()
	if d.next != nil {
		d.prev.next = d.next
		d.next.prev = d.prev
		d.prev, d.next = nil, nil
		l.n--
	}
	l.mu.Unlock()
}

// len returns the number of deliveries on the list.
func (l *inflight) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}

// olderThan returns the messages of the deliveries received before t.
func (l *inflight) olderThan(t time.Time) []jetstream.Msg {
	l.mu.Lock()
	defer l.mu.Unlock()
	var old []jetstream.Msg
	for d := l.ring.next; d != nil && d != &l.ring && d.received.Before(t); d = d.next {
		old = append(old, d.msg)
	}
	return old
}
