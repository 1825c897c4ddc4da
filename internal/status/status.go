package status

import (
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Status builds the status page of one bridge. Make one with New, feed it
// failures with Failed, run its sampler between Start and Stop, and serve
// PageHandler and JSONHandler. Its methods are safe for concurrent use.
type Status struct {
	g        prometheus.Gatherer
	routes   []Route
	opts     options
	failures map[string]*ring // one per route, made by New

	mu      sync.Mutex
	history []*reading // oldest first, spanning at most one window
	state   int        // idle, running, stopped
	stop    chan struct{}
	done    chan struct{}
}

const (
	idle = iota
	running
	stopped
)

// New returns the status of the routes, whose metrics g gathers. The
// routes are shown in the order given.
//
// Available options: [WithInterval], [WithWindow], [WithFailures].
func New(g prometheus.Gatherer, routes []Route, opts ...Option) (*Status, error) {
	o := options{interval: DefaultInterval, window: DefaultWindow, failures: DefaultFailures}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if o.window < o.interval {
		return nil, fmt.Errorf("%w: window %v is shorter than the interval %v", ErrInvalidOption, o.window, o.interval)
	}
	if g == nil {
		return nil, fmt.Errorf("%w: nil gatherer", ErrInvalidOption)
	}
	s := &Status{
		g:        g,
		routes:   append([]Route(nil), routes...),
		opts:     o,
		failures: make(map[string]*ring, len(routes)),
	}
	for _, r := range routes {
		s.failures[r.Name] = &ring{buf: make([]Failure, 0, o.failures)}
	}
	return s, nil
}

// Start takes a first reading of the counters and starts the goroutine that
// reads them every interval, until Stop. Without it, snapshots have totals
// but no rates or latencies. Start after Start or Stop does nothing.
func (s *Status) Start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != idle {
		return
	}
	s.state = running
	s.history = []*reading{s.gather()}
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	go s.sample(s.stop, s.done)
}

// Stop ends the sampler started by Start and waits for it. It may be called
// more than once, and before Start; the handlers keep serving totals.
func (s *Status) Stop() {
	s.mu.Lock()
	prev := s.state
	s.state = stopped
	s.mu.Unlock()
	if prev != running {
		return
	}
	close(s.stop)
	<-s.done
}

// sample reads the counters every interval until stop is closed.
func (s *Status) sample(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(s.opts.interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		rd := s.gather()
		s.mu.Lock()
		s.history = append(s.history, rd)
		// Drop the readings older than a window: no snapshot can use them.
		for len(s.history) > 1 && s.history[0].at.Before(rd.at.Add(-s.opts.window)) {
			s.history[0] = nil
			s.history = s.history[1:]
		}
		s.mu.Unlock()
	}
}

// gather reads the metrics now. A failed collector leaves its metrics out.
func (s *Status) gather() *reading {
	families, _ := s.g.Gather()
	return read(time.Now(), families)
}
