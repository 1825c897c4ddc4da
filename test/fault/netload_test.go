package fault_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// netLoad publishes a scenario's messages in the background: n numbered
// JetStream messages into IN, and n core messages into core.in.<k>.
type netLoad struct {
	done chan struct{}
	err  error // set before done is closed
}

func startNetLoad(t *testing.T, nc *nats.Conn, js *jsClient, sc netScenario) *netLoad {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := &netLoad{done: make(chan struct{})}
	go func() {
		defer close(l.done)
		l.err = publishNet(ctx, nc, js, sc)
	}()
	t.Cleanup(func() {
		cancel()
		<-l.done
	})
	return l
}

// wait waits until every message is published and acknowledged.
func (l *netLoad) wait(timeout time.Duration) error {
	select {
	case <-l.done:
		return l.err
	case <-time.After(timeout):
		return fmt.Errorf("publishing not finished within %v", timeout)
	}
}

func publishNet(ctx context.Context, nc *nats.Conn, js *jsClient, sc netScenario) error {
	start := time.Now()
	prefix := corePrefix(sc)
	for i := range sc.n {
		if sc.rate > 0 {
			// Pacing, not synchronization.
			if wait := time.Until(start.Add(time.Duration(float64(i) / sc.rate * float64(time.Second)))); wait > 0 {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(wait):
				}
			}
		}
		if _, err := js.PublishMsgAsync(paddedNumbered(i, sc.size), jetstream.WithStallWait(time.Minute)); err != nil {
			return fmt.Errorf("publish %d: %w", i, err)
		}
		if err := nc.Publish(fmt.Sprintf("core.in.%d", i%4), pad(fmt.Sprintf("%s%d-", prefix, i), sc.size)); err != nil {
			return fmt.Errorf("core publish %d: %w", i, err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Minute):
		return fmt.Errorf("%d publishes not acknowledged", js.PublishAsyncPending())
	}
	if e := js.pubErrs.Load(); e != 0 {
		return fmt.Errorf("%d publishes failed", e)
	}
	return nc.Flush()
}

// corePrefix starts the payload of each core message of a scenario.
func corePrefix(sc netScenario) string {
	return "core-" + strings.ReplaceAll(sc.name, " ", "_") + "-"
}

// paddedNumbered is numbered(i) with its JSON padded to about size bytes.
func paddedNumbered(i, size int) *nats.Msg {
	m := numbered(i)
	if extra := size - len(m.Data) - len(`,"pad":""`); extra > 0 {
		m.Data = fmt.Appendf(nil, `{"n":%d,"pad":"%s"}`, i, strings.Repeat("x", extra))
	}
	return m
}

// pad pads s with dots to size bytes.
func pad(s string, size int) []byte {
	if len(s) >= size {
		return []byte(s)
	}
	return []byte(s + strings.Repeat(".", size-len(s)))
}
