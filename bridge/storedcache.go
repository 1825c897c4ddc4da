package bridge

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

const (
	// storedTTL is how long a route remembers whether a subject is stored
	// by a stream.
	storedTTL = 30 * time.Second
	// unknownTTL is how long it remembers that it could not tell (the
	// server did not answer): soon enough, it asks again.
	unknownTTL = time.Second
	// storedMax bounds the cache: mapped outputs can have unbounded
	// subjects.
	storedMax = 10000
)

// storedCache tells whether a stream stores a subject, so that a publish
// to it waits for the server's acknowledgement.
type storedCache struct {
	js  jetstream.JetStream
	log *slog.Logger

	mu      sync.Mutex
	entries map[string]storedEntry
}

type storedEntry struct {
	stored  bool
	checked time.Time
	ttl     time.Duration
}

func newStoredCache(js jetstream.JetStream, log *slog.Logger) *storedCache {
	return &storedCache{js: js, log: log, entries: make(map[string]storedEntry)}
}

// has reports whether a stream stores subject. Answers are kept for
// storedTTL; now is the time now, or close enough to it (such as when the
// input arrived) to spare a clock read per message. A lookup waits for the
// server (up to 5 s) on the caller's goroutine, which publishes: the
// settlement of what is already published goes on meanwhile.
//
// When it cannot tell, it says stored, so that the publish waits for a
// server acknowledgement: that fails if no stream answers, and the message
// is retried. While the connection is down it does not ask (the answer
// would be a 5 s wait for nothing) and remembers nothing: the first lookup
// once it is back gets the server's answer.
func (c *storedCache) has(subject string, now time.Time) bool {
	c.mu.Lock()
	e, ok := c.entries[subject]
	c.mu.Unlock()
	if ok && now.Sub(e.checked) < e.ttl {
		return e.stored
	}
	if !c.js.Conn().IsConnected() {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_, err := c.js.StreamNameBySubject(ctx, subject)
	cancel()
	e = storedEntry{stored: err == nil, checked: now, ttl: storedTTL}
	if err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
		e.stored, e.ttl = true, unknownTTL
		c.log.Warn("cannot tell whether a stream stores the output subject", "subject", subject, "err", err)
	}
	c.mu.Lock()
	if len(c.entries) >= storedMax {
		clear(c.entries)
	}
	c.entries[subject] = e
	c.mu.Unlock()
	return e.stored
}
