package status

import (
	"math"
	"time"
)

// Snapshot reads the metrics now and returns the state of every route, with
// rates and latencies since the oldest reading the sampler keeps.
func (s *Status) Snapshot() Snapshot {
	families, err := s.g.Gather()
	now := read(time.Now(), families)

	// The base is the oldest reading within the window, so that the rates
	// span a little less than the window, never more.
	s.mu.Lock()
	var base *reading
	for _, rd := range s.history {
		if !rd.at.Before(now.at.Add(-s.opts.window)) {
			base = rd
			break
		}
	}
	s.mu.Unlock()
	span := 0.0
	if base != nil {
		span = now.at.Sub(base.at).Seconds()
	}
	// Rates over a fraction of an interval would be noise.
	if span < s.opts.interval.Seconds()/2 {
		base, span = nil, 0
	}

	snap := Snapshot{
		Time:          now.at.UTC(),
		Version:       now.version,
		Started:       now.started,
		WindowSeconds: math.Round(span*1000) / 1000,
		Connections:   now.connections,
		Routes:        make([]RouteStatus, 0, len(s.routes)),
	}
	if snap.Connections == nil {
		snap.Connections = []Connection{}
	}
	if err != nil {
		snap.Error = err.Error()
	}
	for _, r := range s.routes {
		snap.Routes = append(snap.Routes, s.route(r, now, base, span))
	}
	return snap
}

// route builds the state of r from the reading now and, when base is not
// nil, the rates over span seconds since base.
func (s *Status) route(r Route, now, base *reading, span float64) RouteStatus {
	rs := RouteStatus{
		Name:     r.Name,
		In:       r.In,
		Out:      r.Out,
		Kind:     KindCore,
		Stream:   r.Stream,
		Failures: s.failures[r.Name].recent(),
		Totals:   Totals{FailedBy: map[string]uint64{}, DroppedBy: map[string]uint64{}},
	}
	if r.Stream != "" {
		rs.Kind = KindJetStream
	}
	cur := now.routes[r.Name]
	if cur == nil {
		return rs
	}
	rs.Totals = totals(cur)
	if cur.depth != nil && cur.capacity != nil {
		rs.Buffer = &Buffer{Depth: *cur.depth, Capacity: *cur.capacity}
	}
	rs.Pending = cur.pending
	if base == nil {
		return rs
	}
	// A route without series in the base reading had them made since, at 0.
	prev := base.routes[r.Name]
	if prev == nil {
		prev = &routeReading{}
	}
	rate := func(c, p float64) float64 {
		if d := c - p; d > 0 && !math.IsInf(d, 1) { // false for NaN, too
			return d / span
		}
		return 0
	}
	rs.Rates = &Rates{
		In:       rate(cur.in, prev.in),
		Out:      rate(cur.out, prev.out),
		Filtered: rate(cur.filtered, prev.filtered),
		Failed:   rate(cur.failed(), prev.failed()),
		Dropped:  rate(cur.dropped(), prev.dropped()),
	}
	h := cur.latency
	if len(prev.latency.bounds) > 0 {
		var ok bool
		if h, ok = cur.latency.since(prev.latency); !ok {
			return rs
		}
	}
	p50, ok50 := h.quantile(0.5)
	p99, ok99 := h.quantile(0.99)
	if ok50 && ok99 {
		rs.Latency = &Latency{P50: p50, P99: p99}
	}
	return rs
}

func totals(r *routeReading) Totals {
	t := Totals{
		In:        count(r.in),
		Out:       count(r.out),
		Processed: count(r.processed),
		Filtered:  count(r.filtered),
		Failed:    count(r.failed()),
		Dropped:   count(r.dropped()),
		FailedBy:  make(map[string]uint64, len(r.failedBy)),
		DroppedBy: make(map[string]uint64, len(r.droppedBy)),
	}
	for k, v := range r.failedBy {
		t.FailedBy[k] = count(v)
	}
	for k, v := range r.droppedBy {
		t.DroppedBy[k] = count(v)
	}
	return t
}

// count converts a counter's value, an integer held in a float64.
func count(v float64) uint64 {
	if v <= 0 || math.IsNaN(v) {
		return 0
	}
	return uint64(math.Round(v))
}
