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
}

func newStoredCache(js jetstream.JetStream, log *slog.Logger) *storedCache {
	return &storedCache{js: js, log: log, entries: make(map[string]storedEntry)}
}

// has reports whether a stream stores subject. Answers are kept for
// storedTTL; now is the time now, or close enough to it (such as when the
// input arrived) to spare a clock read per message. A lookup waits for the
// server (up to 5 s) on the caller's goroutine, which publishes: the
// settlement of what is already published goes on meanwhile.
func (c *storedCache) has(subject string, now time.Time) bool {
	c.mu.Lock()
	e, ok := c.entries[subject]
	c.mu.Unlock()
	if ok && now.Sub(e.checked) < storedTTL {
		return e.stored
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_, err := c.js.StreamNameBySubject(ctx, subject)
	cancel()
	stored := err == nil
	if err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
		// Unknown: assume stored, so the publish waits for a server
		// acknowledgement; that fails if no stream answers, and the
		// message is retried.
		stored = true
		c.log.Warn("cannot tell whether a stream stores the output subject", "subject", subject, "err", err)
	}
	c.mu.Lock()
	if len(c.entries) >= storedMax {
		clear(c.entries)
	}
	c.entries[subject] = storedEntry{stored: stored, checked: now}
	c.mu.Unlock()
	return stored
}
