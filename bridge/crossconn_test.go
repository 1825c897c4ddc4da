package bridge_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/bridge"
	"github.com/natsbridge/bridge/internal/natstest"
	"github.com/natsbridge/bridge/stream"
)

// twoSystems starts two servers that know nothing of each other, one with
// a user and password, one with a token, and connects to each with its
// credential.
func twoSystems(t *testing.T) (a, b *natstest.Server, ncA, ncB *nats.Conn) {
	t.Helper()
	oa := natstest.Options(t)
	oa.Username, oa.Password = "edge", "edge-secret"
	ob := natstest.Options(t)
	ob.Authorization = "central-token"
	a, b = natstest.Start(t, oa), natstest.Start(t, ob)
	ncA = natstest.Connect(t, a, nats.UserInfo("edge", "edge-secret"))
	ncB = natstest.Connect(t, b, nats.Token("central-token"))
	return a, b, ncA, ncB
}

// TestCrossCore carries core messages from one system to another, on the
// same subject: a loop only where both are one system.
func TestCrossCore(t *testing.T) {
	_, _, ncA, ncB := twoSystems(t)
	var c counts
	start(t, ncA, []bridge.RouteConfig{{Name: "up", In: "telemetry.>", Out: "telemetry.>", OutConn: "central"}},
		bridge.WithConn("central", ncB), bridge.WithHooks(c.hooks()))
	got := collect(t, ncB, "telemetry.>")
	for i := range 100 {
		if err := ncA.Publish("telemetry.site1."+strconv.Itoa(i%3), []byte(strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	for i, m := range got.waitN(t, 100) {
		if string(m.Data) != strconv.Itoa(i) || m.Subject != "telemetry.site1."+strconv.Itoa(i%3) {
			t.Fatalf("message %d: %s %q", i, m.Subject, m.Data)
		}
	}
	natstest.WaitFor(t, 5*time.Second, c.balanced)

	// The same route on one connection loops, and is refused.
	_, err := bridge.New(ncA, []bridge.RouteConfig{{Name: "up", In: "telemetry.>", Out: "telemetry.>"}})
	if !errors.Is(err, bridge.ErrInvalidRoute) {
		t.Fatalf("a route into its own input: %v", err)
	}
	_, err = bridge.New(ncA, []bridge.RouteConfig{{Name: "up", In: "a", Out: "b", OutConn: "nowhere"}})
	if fe, ok := errors.AsType[*bridge.FieldError](err); !ok || fe.Field != "OutConn" {
		t.Fatalf("unknown connection: %v", err)
	}
}

// TestCrossRequestReply answers requests from many requesters on one
// system with responders on the other, through the bridge.
func TestCrossRequestReply(t *testing.T) {
	_, _, ncA, ncB := twoSystems(t)
	var replies sync.Map // outcome -> *atomic.Int64
	count := func(o bridge.ReplyOutcome) int64 {
		v, _ := replies.LoadOrStore(o, new(atomic.Int64))
		return v.(*atomic.Int64).Load()
	}
	hooks := bridge.Hooks{Route: func(string) bridge.RouteHooks {
		return bridge.RouteHooks{Replied: func(o bridge.ReplyOutcome) {
			v, _ := replies.LoadOrStore(o, new(atomic.Int64))
			v.(*atomic.Int64).Add(1)
		}}
	}}
	start(t, ncA, []bridge.RouteConfig{{Name: "api", In: "api.>", Out: "svc.>", OutConn: "central", ReplyTimeout: 2 * time.Second}},
		bridge.WithConn("central", ncB), bridge.WithHooks(hooks))
	// Two responders answer every request; only the first answer counts.
	for i := range 2 {
		sub, err := ncB.Subscribe("svc.>", func(m *nats.Msg) {
			if strings.HasSuffix(m.Subject, ".silent") {
				return
			}
			_ = m.Respond([]byte(fmt.Sprintf("%s from %d", m.Data, i)))
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = sub.Unsubscribe() })
	}
	if err := ncB.Flush(); err != nil {
		t.Fatal(err)
	}

	const requesters, each = 50, 4
	var wg sync.WaitGroup
	errs := make(chan error, requesters*each)
	for r := range requesters {
		nc := natstest.ConnectURL(t, ncA.ConnectedUrl(), nats.UserInfo("edge", "edge-secret"))
		wg.Go(func() {
			for i := range each {
				req := fmt.Sprintf("r%d-%d", r, i)
				resp, err := nc.Request("api.q", []byte(req), 5*time.Second)
				if err != nil {
					errs <- fmt.Errorf("%s: %w", req, err)
					continue
				}
				if !strings.HasPrefix(string(resp.Data), req+" from ") {
					errs <- fmt.Errorf("%s answered %q", req, resp.Data)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// One response per request was forwarded; every second one is
	// unmatched; a request nobody answers expires.
	if _, err := ncA.Request("api.silent", []byte("x"), 100*time.Millisecond); err == nil {
		t.Error("a request nobody answers got an answer")
	}
	natstest.WaitFor(t, 10*time.Second, func() error {
		f, u, e := count(bridge.ReplyForwarded), count(bridge.ReplyUnmatched), count(bridge.ReplyExpired)
		if f != requesters*each || u != requesters*each || e != 1 {
			return fmt.Errorf("forwarded %d, unmatched %d, expired %d; want %d, %d, 1", f, u, e, requesters*each, requesters*each)
		}
		return nil
	})
}

// TestCrossReady names the connection that is down.
func TestCrossReady(t *testing.T) {
	_, b, ncA, ncB := twoSystems(t)
	r := start(t, ncA, []bridge.RouteConfig{{Name: "up", In: "x", Out: "x", OutConn: "central"}}, bridge.WithConn("central", ncB))
	b.Shutdown()
	natstest.WaitFor(t, 10*time.Second, func() error {
		err := r.Ready()
		if err == nil || !strings.Contains(err.Error(), `connection "central"`) {
			return fmt.Errorf("Ready() = %v, want central named", err)
		}
		return nil
	})
}

// TestCrossJetStream carries a stream of one system into a stream of the
// other exactly once, through a restart of the output side while the
// input side keeps filling: nothing is acknowledged on the input side
// before the other side stores it.
func TestCrossJetStream(t *testing.T) {
	_, b, ncA, ncB := twoSystems(t)
	jsA, err := jetstream.New(ncA)
	if err != nil {
		t.Fatal(err)
	}
	jsB, err := jetstream.New(ncB)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jsA.CreateStream(t.Context(), jetstream.StreamConfig{Name: "EDGE", Subjects: []string{"edge.>"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := jsB.CreateStream(t.Context(), jetstream.StreamConfig{Name: "CENTRAL", Subjects: []string{"central.>"}}); err != nil {
		t.Fatal(err)
	}
	var c counts
	pass := func(_ context.Context, a *artifact.Artifact, emit stream.Emit) error { return emit(a) }
	start(t, ncA, []bridge.RouteConfig{{
		Name: "up", In: "edge.>", Out: "central.>", Stream: "EDGE", OutConn: "central",
		AckWait: 2 * time.Second, Timeout: time.Second, MaxDeliver: 1000, Process: pass,
	}}, bridge.WithConn("central", ncB), bridge.WithHooks(c.hooks()))

	const n = 3000
	publish := func(from, to int) {
		for i := from; i < to; i++ {
			if _, err := jsA.PublishAsync("edge.m", []byte(strconv.Itoa(i))); err != nil {
				t.Fatal(err)
			}
		}
		select {
		case <-jsA.PublishAsyncComplete():
		case <-time.After(30 * time.Second):
			t.Fatal("input not stored")
		}
	}
	publish(0, n/2)
	opts := b.Opts.Clone()
	b.Shutdown()
	b.WaitForShutdown()
	publish(n/2, n) // while the output side is down
	natstest.Start(t, opts)
	waitCount(t, "CENTRAL", n, func() uint64 {
		s, err := jsB.Stream(context.Background(), "CENTRAL")
		if err != nil {
			return 0
		}
		info, err := s.Info(context.Background())
		if err != nil {
			return 0
		}
		return info.State.Msgs
	})
	natstest.WaitFor(t, 30*time.Second, func() error {
		cons, err := jsA.Consumer(context.Background(), "EDGE", "bridge-up")
		if err != nil {
			return err
		}
		info, err := cons.Info(context.Background())
		if err != nil {
			return err
		}
		if info.NumPending != 0 || info.NumAckPending != 0 {
			return fmt.Errorf("pending %d, ack pending %d", info.NumPending, info.NumAckPending)
		}
		return nil
	})
	// Exactly once: n distinct messages, whatever was redelivered.
	s, _ := jsB.Stream(t.Context(), "CENTRAL")
	seen := map[string]bool{}
	for seq := uint64(1); seq <= n; seq++ {
		m, err := s.GetMsg(t.Context(), seq)
		if err != nil {
			t.Fatal(err)
		}
		seen[string(m.Data)] = true
	}
	if len(seen) != n {
		t.Fatalf("%d distinct messages in CENTRAL, want %d", len(seen), n)
	}
	natstest.WaitFor(t, 5*time.Second, c.balanced)
	t.Logf("received %d deliveries for %d messages; failed %d (retried)", c.received.Load(), n, c.failed.Load())
}
