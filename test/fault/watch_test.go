package fault_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/natsbridge/bridge/internal/natstest"
)

// readySample is one answer of /readyz.
type readySample struct {
	at    time.Time
	ready bool
}

// readyWatch asks a bridge's /readyz every readyEvery, from its start until
// the test ends, and keeps the answers.
type readyWatch struct {
	mu      sync.Mutex
	samples []readySample
	stop    chan struct{}
	done    chan struct{}
}

const readyEvery = 50 * time.Millisecond

// watchReady starts watching p's /readyz; p must be serving HTTP.
func watchReady(t *testing.T, p *bridgeProc) *readyWatch {
	t.Helper()
	w := &readyWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(readyEvery)
		defer tick.Stop()
		for {
			code, _, err := p.get("/readyz")
			if err == nil {
				w.mu.Lock()
				w.samples = append(w.samples, readySample{at: time.Now(), ready: code == http.StatusOK})
				w.mu.Unlock()
			}
			select {
			case <-w.stop:
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(w.close)
	return w
}

func (w *readyWatch) close() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
}

// firstNotReady returns the time of the first 503 at or after from.
func (w *readyWatch) firstNotReady(from time.Time) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.samples {
		if !s.at.Before(from) && !s.ready {
			return s.at, true
		}
	}
	return time.Time{}, false
}

// readyBetween returns the samples strictly between from and to that said
// ready, and how many samples there were.
func (w *readyWatch) readyBetween(from, to time.Time) (ready []time.Time, n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.samples {
		if s.at.After(from) && s.at.Before(to) {
			n++
			if s.ready {
				ready = append(ready, s.at)
			}
		}
	}
	return ready, n
}

// notReadyCount returns how many samples between from and to said 503.
func (w *readyWatch) notReadyCount(from, to time.Time) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, s := range w.samples {
		if s.at.After(from) && s.at.Before(to) && !s.ready {
			n++
		}
	}
	return n
}

// logEvent is one line of the bridge's log.
type logEvent struct {
	at   time.Time
	line string
}

var logTimeRE = regexp.MustCompile(`^time=(\S+) `)

// events returns the lines of p's log whose message is msg, with the time
// each was written (slog's text format: time=... msg="...").
func (p *bridgeProc) events(msg string) []logEvent {
	var out []logEvent
	needle := `msg="` + msg + `"`
	for line := range strings.Lines(p.log.String()) {
		if !strings.Contains(line, needle) {
			continue
		}
		m := logTimeRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, m[1])
		if err != nil {
			continue
		}
		out = append(out, logEvent{at: at, line: strings.TrimSpace(line)})
	}
	return out
}

// connEvent is one change of the bridge's connection, as logged.
type connEvent struct {
	at   time.Time
	up   bool
	line string
}

// connEvents returns the disconnections and reconnections the bridge
// logged, in order.
func (p *bridgeProc) connEvents() []connEvent {
	var out []connEvent
	for line := range strings.Lines(p.log.String()) {
		var up bool
		switch {
		case strings.Contains(line, `msg="disconnected from NATS"`):
		case strings.Contains(line, `msg="reconnected to NATS"`):
			up = true
		default:
			continue
		}
		m := logTimeRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, m[1])
		if err != nil {
			continue
		}
		out = append(out, connEvent{at: at, up: up, line: strings.TrimSpace(line)})
	}
	return out
}

// checkReadyWhileDown fails the test if /readyz answered 200 at any time
// the bridge's log says it was disconnected: from each "disconnected from
// NATS" line to the next "reconnected to NATS", leaving out margin at both
// ends (a log line and the connection state are not the same instant). It
// returns the down intervals it checked.
func checkReadyWhileDown(t *testing.T, p *bridgeProc, w *readyWatch, margin time.Duration) [][2]time.Time {
	t.Helper()
	var (
		downs [][2]time.Time
		since time.Time
	)
	for _, e := range p.connEvents() {
		switch {
		case !e.up && since.IsZero():
			since = e.at
		case e.up && !since.IsZero():
			downs = append(downs, [2]time.Time{since, e.at})
			since = time.Time{}
		}
	}
	if !since.IsZero() {
		t.Fatalf("the bridge logged a disconnection at %v and no reconnection", since.Format(time.StampMilli))
	}
	for _, d := range downs {
		ready, n := w.readyBetween(d[0].Add(margin), d[1].Add(-margin))
		if len(ready) > 0 {
			t.Errorf("/readyz answered 200 %d of %d times while the bridge was disconnected (%v to %v), first at %v",
				len(ready), n, d[0].Format(time.StampMilli), d[1].Format(time.StampMilli), ready[0].Format(time.StampMilli))
		}
	}
	return downs
}

// scrape returns the bridge's /metrics.
func (p *bridgeProc) scrape() (string, error) {
	code, body, err := p.get("/metrics")
	if err != nil {
		return "", err
	}
	if code != http.StatusOK {
		return "", fmt.Errorf("/metrics: %d", code)
	}
	return body, nil
}

// sumSamples adds up the samples of name in a /metrics body whose labels
// include every one of labels (fragments such as `route="a"`), over every
// other label (reason, say).
func sumSamples(body, name string, labels ...string) float64 {
	var sum float64
	for line := range strings.Lines(body) {
		rest, ok := strings.CutPrefix(line, name)
		if !ok {
			continue
		}
		var labelSet, value string
		switch {
		case strings.HasPrefix(rest, "{"):
			labelSet, value, ok = strings.Cut(rest[1:], "} ")
			if !ok {
				continue
			}
		case strings.HasPrefix(rest, " "):
			value = rest[1:]
		default:
			continue // another metric whose name starts with name
		}
		match := true
		for _, l := range labels {
			match = match && strings.Contains(labelSet, l)
		}
		if !match {
			continue
		}
		if v, err := strconv.ParseFloat(strings.Fields(value)[0], 64); err == nil {
			sum += v
		}
	}
	return sum
}

// routeCounts is what a route's counters say about its inputs.
type routeCounts struct {
	in, processed, filtered, failed, dropped, deadLettered, out float64
}

func (c routeCounts) settled() float64 { return c.processed + c.filtered + c.failed + c.dropped }

func (c routeCounts) String() string {
	return fmt.Sprintf("in %.0f = processed %.0f + filtered %.0f + failed %.0f + dropped %.0f (dead-lettered %.0f, outputs %.0f)",
		c.in, c.processed, c.filtered, c.failed, c.dropped, c.deadLettered, c.out)
}

// routeCounts reads a route's counters from one scrape.
func (p *bridgeProc) routeCounts(route string) (routeCounts, error) {
	body, err := p.scrape()
	if err != nil {
		return routeCounts{}, err
	}
	l := `route="` + route + `"`
	return routeCounts{
		in:           sumSamples(body, "bridge_messages_in_total", l),
		processed:    sumSamples(body, "bridge_messages_processed_total", l),
		filtered:     sumSamples(body, "bridge_messages_filtered_total", l),
		failed:       sumSamples(body, "bridge_messages_failed_total", l),
		dropped:      sumSamples(body, "bridge_messages_dropped_total", l),
		deadLettered: sumSamples(body, "bridge_messages_dead_lettered_total", l),
		out:          sumSamples(body, "bridge_messages_out_total", l),
	}, nil
}

// waitRouteSettled waits until every input of the route is accounted for:
// bridge_messages_in_total = processed + filtered + failed + dropped
// (failed and dropped summed over reasons), with at least minIn inputs. It
// returns the counts.
func waitRouteSettled(t *testing.T, p *bridgeProc, route string, minIn float64, timeout time.Duration) routeCounts {
	t.Helper()
	var c routeCounts
	natstest.WaitFor(t, timeout, func() error {
		var err error
		if c, err = p.routeCounts(route); err != nil {
			return err
		}
		if c.in < minIn || c.in != c.settled() {
			return fmt.Errorf("%w: route %s: %v, want in ≥ %.0f and every input settled", natstest.ErrTest, route, c, minIn)
		}
		return nil
	})
	return c
}
