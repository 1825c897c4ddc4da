package main

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/natsbridge/bridge/internal/config"
	"github.com/natsbridge/bridge/internal/natstest"
)

// TestConnEventsRateLimit feeds failed attempts to a connection's event
// logger on a fake clock: the first of each reason is logged at once with
// a hint, repeats once per repeatEvery with their count, secrets never.
func TestConnEventsRateLimit(t *testing.T) {
	var buf bytes.Buffer
	s := config.ConnSettings{URL: "nats://bridge:url-s3cret@edge:4222", User: "bridge", Password: "pw-s3cret"}
	e := newConnEvents("edge", "BRIDGE_CONN_0_", s, config.NATSConfig{PingInterval: 10 * time.Second, MaxPingsOut: 2},
		slog.New(slog.NewTextHandler(&buf, nil)), nil)
	clock := time.Unix(1e9, 0)
	e.now = func() time.Time { return clock }
	e.downSince = clock
	lines := func() []string { return strings.Split(strings.TrimSpace(buf.String()), "\n") }

	for range 6 {
		e.failed(nats.ErrAuthorization)
		clock = clock.Add(time.Second)
	}
	if got := lines(); len(got) != 1 ||
		!strings.Contains(got[0], `msg="cannot connect to NATS; retrying" connection=edge err="nats: authorization violation" failed_attempts=1`) ||
		!strings.Contains(got[0], `reason="the server refused the credentials (BRIDGE_CONN_0_USER and BRIDGE_CONN_0_PASSWORD)"`) {
		t.Fatalf("after 6 refusals in 6 s, the log is:\n%s", buf.String())
	}

	clock = clock.Add(repeatEvery)
	e.failed(nats.ErrAuthorization)
	if got := lines(); len(got) != 2 ||
		!strings.Contains(got[1], `msg="still cannot connect to NATS; retrying" connection=edge err="nats: authorization violation" failed_attempts=7 down_for=36s`) ||
		!strings.Contains(got[1], "repeated=5") {
		t.Fatalf("after repeatEvery, the log is:\n%s", buf.String())
	}

	// Another reason is logged at once, redacted; the same one, but for
	// its case or a port, is not.
	e.failed(errors.New("dial nats://bridge:url-s3cret@edge:4222 with pw-s3cret from 127.0.0.1:50001: connection refused"))
	e.failed(errors.New("dial nats://bridge:url-s3cret@edge:4222 with pw-s3cret from 127.0.0.1:50002: Connection Refused"))
	if got := lines(); len(got) != 3 || !strings.Contains(got[2], `err="dial nats://[redacted]@edge:4222 with [redacted] from 127.0.0.1:50001: connection refused"`) {
		t.Fatalf("a new reason: the log is:\n%s", buf.String())
	}

	// Connected again: the next failure is news.
	if attrs := fmt.Sprint(e.up(true)); attrs != "[down_for 36s failed_attempts 9]" {
		t.Errorf("up = %s", attrs)
	}
	e.failed(nats.ErrAuthorization)
	if got := lines(); len(got) != 4 || !strings.Contains(got[3], `msg="cannot connect to NATS; retrying"`) || !strings.Contains(got[3], "failed_attempts=1") {
		t.Fatalf("after a connection, the log is:\n%s", buf.String())
	}

	e.disconnected(nil, nats.ErrStaleConnection)
	if got := lines(); !strings.Contains(got[4], `msg="disconnected from NATS" connection=edge err="nats: stale connection" reason="the server did not answer 2 pings 10s apart (NATS_PING_INTERVAL, NATS_MAX_PINGS_OUT)"`) {
		t.Errorf("stale connection logged as:\n%s", got[4])
	}
	for _, secret := range []string{"url-s3cret", "pw-s3cret"} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("the log shows %q", secret)
		}
	}
}

// TestConnectNoticesSilentPartition puts a proxy between a connection made
// by connect and a server, and makes it drop everything without closing
// anything. The client must notice within its ping bound, idle or while it
// publishes (a stalled write would otherwise hold the client's lock, and
// its pings, for a minute), and recover when the network heals.
func TestConnectNoticesSilentPartition(t *testing.T) {
	const interval, pingsOut = 250 * time.Millisecond, 2
	for _, busy := range []bool{false, true} {
		t.Run(map[bool]string{false: "idle", true: "publishing"}[busy], func(t *testing.T) {
			s := natstest.Start(t, nil)
			proxy := natstest.NewProxy(t, s.Addr().String())
			cfg, err := config.Load([]string{
				"NATS_URL=" + proxy.URL(),
				"NATS_PING_INTERVAL=" + interval.String(),
				"NATS_MAX_PINGS_OUT=" + fmt.Sprint(pingsOut),
				"BRIDGE_ROUTE_0_IN=a", "BRIDGE_ROUTE_0_OUT=b",
			})
			if err != nil {
				t.Fatal(err)
			}
			log := &natstest.Output{}
			nc, err := connect(cfg, config.DefaultConn, proxy.URL(), slog.New(slog.NewTextHandler(log, nil)), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(nc.Close)
			got := make(chan struct{}, 1)
			if _, err := nc.Subscribe("probe", func(*nats.Msg) {
				select {
				case got <- struct{}{}:
				default:
				}
			}); err != nil {
				t.Fatal(err)
			}
			natstest.WaitFor(t, 10*time.Second, func() error {
				if !nc.IsConnected() {
					return fmt.Errorf("%w: %v", natstest.ErrTest, nc.Status())
				}
				return nil
			})
			if err := nc.Flush(); err != nil {
				t.Fatal(err)
			}

			stop, done := make(chan struct{}), &sync.WaitGroup{}
			if busy {
				payload := make([]byte, 64<<10)
				done.Go(func() {
					for {
						select {
						case <-stop:
							return
						default:
						}
						_ = nc.Publish("load", payload)
					}
				})
			}
			proxy.Blackhole()
			start := time.Now()
			bound := interval * (pingsOut + 1)
			// Slack for a loaded machine; nats.go's defaults would take
			// 4 to 6 minutes, or a minute for a stalled write.
			natstest.WaitFor(t, bound+3*time.Second, func() error {
				if nc.IsConnected() {
					return fmt.Errorf("%w: still CONNECTED %v after the partition", natstest.ErrTest, time.Since(start))
				}
				return nil
			})
			t.Logf("noticed after %v (bound %v)", time.Since(start).Round(time.Millisecond), bound)
			close(stop)
			done.Wait()
			if !busy {
				// The client calls the disconnect handler, which logs,
				// after it leaves CONNECTED.
				natstest.WaitFor(t, 5*time.Second, func() error {
					if !strings.Contains(log.String(), `msg="disconnected from NATS" connection=default err="nats: stale connection"`) {
						return fmt.Errorf("%w: the log does not say why:\n%s", natstest.ErrTest, log)
					}
					return nil
				})
			}

			proxy.Heal()
			natstest.WaitFor(t, 20*time.Second, func() error {
				if !nc.IsConnected() {
					return fmt.Errorf("%w: %v after the heal", natstest.ErrTest, nc.Status())
				}
				return nil
			})
			pub := natstest.Connect(t, s)
			natstest.WaitFor(t, 10*time.Second, func() error {
				_ = pub.Publish("probe", nil)
				select {
				case <-got:
					return nil
				default:
					return fmt.Errorf("%w: the subscription does not receive after the heal", natstest.ErrTest)
				}
			})
			if !strings.Contains(log.String(), `msg="reconnected to NATS" connection=default`) {
				t.Errorf("the reconnection is not logged:\n%s", log)
			}
		})
	}
}
