package bridge

import (
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsbridge/bridge/internal/natstest"
)

// TestStoredCacheWhileDown checks what a route's cache of stored subjects
// says across an outage of its connection: stored while it cannot ask,
// and the server's answer as soon as the connection is back, not a guess
// made while it was down.
func TestStoredCacheWhileDown(t *testing.T) {
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(t.Context(), jetstream.StreamConfig{Name: "S", Subjects: []string{"stored.>"}}); err != nil {
		t.Fatal(err)
	}
	c := newStoredCache(js, slog.New(slog.NewTextHandler(io.Discard, nil)))
	now := time.Now()
	if !c.has("stored.x", now) || c.has("plain.x", now) {
		t.Fatal("connected: stored.x not stored, or plain.x stored")
	}

	opts := s.Opts.Clone()
	s.Shutdown()
	s.WaitForShutdown()
	natstest.WaitFor(t, 10*time.Second, func() error {
		if nc.IsConnected() {
			return errors.New("still connected")
		}
		return nil
	})
	if !c.has("plain.y", now) {
		t.Error("down: plain.y, never asked about, not taken as stored")
	}

	natstest.Start(t, opts)
	natstest.WaitFor(t, 10*time.Second, func() error {
		if !nc.IsConnected() {
			return errors.New("not reconnected")
		}
		return nil
	})
	if c.has("plain.y", now) {
		t.Error("back: plain.y still taken as stored, the guess made while down")
	}
	if !c.has("stored.x", now) || c.has("plain.x", now) {
		t.Error("back: the answers from before the outage are lost")
	}
}
