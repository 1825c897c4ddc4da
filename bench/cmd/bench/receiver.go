package main

import (
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// receiver counts what arrives on the output subject of one run: distinct
// sequence numbers, duplicates, and, when asked, latencies.
type receiver struct {
	format format
	base   time.Time // the clock base of send times
	// latFrom is the first sequence number whose latency is recorded (the
	// ones before warm up); latency recording is off when it is negative.
	latFrom int64

	mu      sync.Mutex
	seen    []uint64 // bitmap of sequence numbers
	unique  int64
	dups    int64
	probes  int64
	fences  int64
	foreign int64 // not a payload, or out of range
	first   time.Time
	last    time.Time
	lat     []time.Duration
	// firstCh is closed when the first payload arrives, fenceCh when the
	// first fence does.
	firstCh chan struct{}
	fenceCh chan struct{}
}

func newReceiver(f format, base time.Time, n int, latFrom int64) *receiver {
	r := &receiver{
		format:  f,
		base:    base,
		latFrom: latFrom,
		seen:    make([]uint64, (n+63)/64),
		firstCh: make(chan struct{}),
		fenceCh: make(chan struct{}),
	}
	if latFrom >= 0 {
		r.lat = make([]time.Duration, 0, max(n-int(latFrom), 0))
	}
	return r
}

// handle is the subscription callback.
func (r *receiver) handle(m *nats.Msg) {
	r.add(m.Data, time.Now())
}

// add records a payload that arrived at now.
func (r *receiver) add(data []byte, now time.Time) {
	seq, sent, ok := decode(r.format, data)
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case !ok:
		r.foreign++
		return
	case seq == probeSeq:
		r.probes++
		return
	case seq == fenceSeq:
		if r.fences == 0 {
			close(r.fenceCh)
		}
		r.fences++
		return
	case seq >= uint64(len(r.seen))*64:
		r.foreign++
		return
	}
	word, bit := seq/64, uint64(1)<<(seq%64)
	if r.seen[word]&bit != 0 {
		r.dups++
		return
	}
	r.seen[word] |= bit
	if r.unique == 0 {
		r.first = now
		close(r.firstCh)
	}
	r.unique++
	r.last = now
	if r.latFrom >= 0 && int64(seq) >= r.latFrom {
		r.lat = append(r.lat, now.Sub(r.base)-time.Duration(sent))
	}
}

// counts is a snapshot of a receiver.
type counts struct {
	unique, dups, probes, fences, foreign int64
	first, last                           time.Time
}

func (r *receiver) counts() counts {
	r.mu.Lock()
	defer r.mu.Unlock()
	return counts{r.unique, r.dups, r.probes, r.fences, r.foreign, r.first, r.last}
}

// latencies returns the recorded latencies; call it once the subscription
// has stopped.
func (r *receiver) latencies() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lat
}

// waitDrain waits until want distinct messages have arrived, or none has
// arrived for idle, or stop is closed.
func (r *receiver) waitDrain(want int64, idle time.Duration, stop <-chan struct{}) counts {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	c := r.counts()
	lastChange, lastN := time.Now(), c.unique+c.dups
	for c.unique < want {
		select {
		case <-stop:
			return c
		case <-tick.C:
		}
		c = r.counts()
		if n := c.unique + c.dups; n != lastN {
			lastChange, lastN = time.Now(), n
		} else if time.Since(lastChange) >= idle {
			break
		}
	}
	return c
}
