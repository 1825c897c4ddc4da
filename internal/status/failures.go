package status

import (
	"sync"
	"time"
	"unicode/utf8"
)

// Limits of what a failure keeps, so that a long subject or a verbose error
// cannot grow the page or the memory the rings hold.
const (
	maxSubjectLen = 256
	maxErrorLen   = 512
)

// ring holds the last failures of one route.
type ring struct {
	mu   sync.Mutex
	buf  []Failure // fixed length once full
	next int       // where the next failure goes once buf is full
}

func (r *ring) add(f Failure) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.buf) < cap(r.buf) {
		r.buf = append(r.buf, f)
		return
	}
	r.buf[r.next] = f
	r.next = (r.next + 1) % len(r.buf)
}

// recent returns the failures, newest first.
func (r *ring) recent() []Failure {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Failure, 0, len(r.buf))
	for i := range r.buf {
		// The newest is just before next.
		out = append(out, r.buf[(r.next-1-i+2*len(r.buf))%len(r.buf)])
	}
	return out
}

// Failed records that an input of route, received on subject, failed for
// reason with err. It keeps the time, the reason, the subject and err's
// text (each cut to a bounded length), never the payload. Failures of a
// route that New was not given are ignored. It is safe for concurrent use,
// does not block beyond a short lock, and is a no-op on a nil *Status.
func (s *Status) Failed(route, subject, reason string, err error) {
	if s == nil {
		return
	}
	r := s.failures[route]
	if r == nil {
		return
	}
	f := Failure{Time: time.Now().UTC(), Reason: reason, Subject: truncate(subject, maxSubjectLen)}
	if err != nil {
		f.Error = truncate(err.Error(), maxErrorLen)
	}
	r.add(f)
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut
// with an ellipsis.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "…"
	cut := n - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}
