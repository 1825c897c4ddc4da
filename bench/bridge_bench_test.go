package bench_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/natsbridge/bridge/bench/internal/subproc"
	"github.com/natsbridge/bridge/bridge"
	"github.com/natsbridge/bridge/jq"
	"github.com/natsbridge/bridge/metrics/bridgemetrics"
)

// These benchmarks run the bridge package in-process, so that it can be
// profiled (make bench-profile), against a NATS server in a process of its
// own. The load (publisher and subscriber) runs in the benchmark process
// too: its goroutines carry the pprof label role=load, and the system
// under test's role=bridge or role=relay, so that a profile can be split:
//
//	go tool pprof -tagfocus role=bridge bench/results/cpu.pprof
//
// Allocations and CPU time (cpu-ns/op: the whole process's, per message)
// count the load as well; compare with BenchmarkRelayPassthrough, whose
// load is the same.
//
// The numbers are not those of make bench: one process shares its
// scheduler between load and bridge here.

// server is the NATS server process shared by the benchmarks, started on
// first use and stopped by TestMain.
var server struct {
	once sync.Once
	dir  string
	srv  *subproc.Server
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if server.srv != nil {
		_ = server.srv.Stop()
	}
	if server.dir != "" {
		_ = os.RemoveAll(server.dir)
	}
	os.Exit(code)
}

func natsURL(b *testing.B) string {
	b.Helper()
	server.once.Do(func() {
		ctx := context.Background()
		root, err := subproc.ModuleRoot(ctx)
		if err != nil {
			server.err = err
			return
		}
		if server.dir, err = os.MkdirTemp("", "bridge-bench-"); err != nil {
			server.err = err
			return
		}
		bins, err := subproc.Build(ctx, root, server.dir, "./bench/natsserver")
		if err != nil {
			server.err = err
			return
		}
		server.srv, server.err = subproc.StartServer(ctx, bins[0], "-js", "-store", filepath.Join(server.dir, "jetstream"))
	})
	if server.err != nil {
		b.Fatal(server.err)
	}
	return server.srv.URL
}

// system starts a relay from in to out and returns its stop function.
type system func(b *testing.B, url, in, out string) (stop func())

func BenchmarkBridgePassthrough(b *testing.B) {
	benchSystem(b, bridgeSystem(nil, true), []byte("x"), 128)
}

func BenchmarkBridgePassthroughNoMetrics(b *testing.B) {
	benchSystem(b, bridgeSystem(nil, false), []byte("x"), 128)
}

func BenchmarkBridgeJQ(b *testing.B) {
	p, err := jq.Compile(`{id: .id, v: .v}`)
	if err != nil {
		b.Fatal(err)
	}
	benchSystem(b, bridgeSystem(p, true), []byte(`{"id":1,"v":2,"pad":"`), 128)
}

// BenchmarkBridgeJQTimeout is BenchmarkBridgeJQ with the binary's default
// TIMEOUT, 5s: the cost of a deadline per message.
func BenchmarkBridgeJQTimeout(b *testing.B) {
	p, err := jq.Compile(`{id: .id, v: .v}`)
	if err != nil {
		b.Fatal(err)
	}
	sys := func(b *testing.B, url, in, out string) func() {
		rc := bridge.RouteConfig{Name: "bench", In: in, Out: out, PendingMsgs: 1 << 24, PendingBytes: 1 << 30,
			Process: p.Process, Timeout: 5 * time.Second}
		return runBridge(b, url, rc, true)
	}
	benchSystem(b, sys, []byte(`{"id":1,"v":2,"pad":"`), 128)
}

// BenchmarkBridgeMessage runs a message-mode program that only picks the
// output subject from a field: the payload goes on as it came.
func BenchmarkBridgeMessage(b *testing.B) {
	sys := func(b *testing.B, url, in, out string) func() {
		prefix, _, _ := strings.Cut(out, ".out")
		p, err := jq.Compile(`{subject: ("`+prefix+`." + (.kind // "out"))}`, jq.WithEmit(jq.EmitMessage))
		if err != nil {
			b.Fatal(err)
		}
		rc := bridge.RouteConfig{Name: "bench", In: in, Out: prefix + ".>", PendingMsgs: 1 << 24, PendingBytes: 1 << 30,
			Process: p.Process, ChooseSubject: true, Timeout: 5 * time.Second}
		return runBridge(b, url, rc, true)
	}
	benchSystem(b, sys, []byte(`{"id":1,"kind":"out","pad":"`), 128)
}

func BenchmarkRelayPassthrough(b *testing.B) {
	benchSystem(b, relaySystem, []byte("x"), 128)
}

// bridgeSystem runs a bridge.Bridge with one route, wired to the metrics
// package the way cmd/bridge wires it when withMetrics.
func bridgeSystem(p *jq.Program, withMetrics bool) system {
	return func(b *testing.B, url, in, out string) func() {
		// Pending limits high enough that the NATS client drops nothing,
		// so that every op is a message through the bridge. Drops with the
		// defaults are make bench's business.
		rc := bridge.RouteConfig{Name: "bench", In: in, Out: out, PendingMsgs: 1 << 24, PendingBytes: 1 << 30}
		if p != nil {
			rc.Process = p.Process
		}
		return runBridge(b, url, rc, withMetrics)
	}
}

// runBridge runs a bridge.Bridge with the route rc and opts, with metrics
// wired the way cmd/bridge wires them when withMetrics, and returns its
// stop function.
func runBridge(b *testing.B, url string, rc bridge.RouteConfig, withMetrics bool, opts ...bridge.Option) (stop func()) {
	pprof.Do(b.Context(), pprof.Labels("role", "bridge"), func(context.Context) {
		nc, err := nats.Connect(url, nats.Name("bench-bridge"),
			// Slow-consumer drops show in the lost metric.
			nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
		if err != nil {
			b.Fatal(err)
		}
		if withMetrics {
			m, err := bridgemetrics.New(nil)
			if err != nil {
				b.Fatal(err)
			}
			opts = append(opts, bridge.WithHooks(bridgemetrics.Hooks(m)))
		}
		br, err := bridge.New(nc, []bridge.RouteConfig{rc}, opts...)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- br.Run(ctx) }()
		stop = func() {
			cancel()
			if err := <-done; err != nil {
				b.Errorf("bridge.Run: %v", err)
			}
			nc.Close()
		}
	})
	return stop
}

// relaySystem is bench/relay in-process.
func relaySystem(b *testing.B, url, in, out string) func() {
	var nc *nats.Conn
	pprof.Do(b.Context(), pprof.Labels("role", "relay"), func(context.Context) {
		var err error
		if nc, err = nats.Connect(url, nats.Name("bench-relay")); err != nil {
			b.Fatal(err)
		}
		sub, err := nc.Subscribe(in, func(m *nats.Msg) { _ = nc.Publish(out, m.Data) })
		if err == nil {
			err = sub.SetPendingLimits(1<<24, 1<<30) // as the bridge's
		}
		if err != nil {
			b.Fatal(err)
		}
		if err := nc.Flush(); err != nil {
			b.Fatal(err)
		}
	})
	return nc.Close
}

var runID atomic.Int64

// benchSystem publishes b.N messages of size bytes (prefix, padded with
// x and closed with `"}` when prefix starts with '{') as fast as possible
// and waits for them on the output.
func benchSystem(b *testing.B, sys system, prefix []byte, size int) {
	url := natsURL(b)
	id := runID.Add(1)
	in, out := fmt.Sprintf("benchgo.%d.in", id), fmt.Sprintf("benchgo.%d.out", id)
	msg := append([]byte(nil), prefix...)
	for len(msg) < size-2 {
		msg = append(msg, 'x')
	}
	if prefix[0] == '{' {
		msg = append(msg, `"}`...)
	}
	probe := []byte(`{"id":-1,"v":0}`)

	var received, probes, last atomic.Int64 // last: UnixNano of the last output
	var pub, sub *nats.Conn
	pprof.Do(b.Context(), pprof.Labels("role", "load"), func(context.Context) {
		var err error
		if pub, err = nats.Connect(url, nats.Name("bench-pub")); err != nil {
			b.Fatal(err)
		}
		if sub, err = nats.Connect(url, nats.Name("bench-sub")); err != nil {
			b.Fatal(err)
		}
		s, err := sub.Subscribe(out, func(m *nats.Msg) {
			if len(m.Data) > 5 && string(m.Data[:6]) == `{"id":` && m.Data[6] == '-' {
				probes.Add(1)
				return
			}
			received.Add(1)
			last.Store(time.Now().UnixNano())
		})
		if err == nil {
			err = s.SetPendingLimits(-1, -1)
		}
		if err == nil {
			err = sub.Flush()
		}
		if err != nil {
			b.Fatal(err)
		}
	})
	defer pub.Close()
	defer sub.Close()
	stop := sys(b, url, in, out)
	defer stop()

	// Ready once a probe comes through.
	deadline := time.Now().Add(10 * time.Second)
	for probes.Load() == 0 {
		if time.Now().After(deadline) {
			b.Fatal("no probe relayed within 10s")
		}
		if err := pub.Publish(in, probe); err != nil {
			b.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)

	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu := time.Now(), processCPU()
	pprof.Do(b.Context(), pprof.Labels("role", "load"), func(context.Context) {
		for range b.N {
			if err := pub.Publish(in, msg); err != nil {
				b.Fatal(err)
			}
		}
		if err := pub.FlushTimeout(time.Minute); err != nil {
			b.Fatal(err)
		}
	})
	// With messages lost, ns/op includes the idle wait; msgs/s does not.
	if err := waitCount(&received, int64(b.N), 500*time.Millisecond); err != nil {
		b.Log(err)
	}
	b.StopTimer()
	cpu = processCPU() - cpu
	elapsed := time.Unix(0, last.Load()).Sub(start)
	b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(received.Load())/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(int64(b.N)-received.Load()), "lost")
}

// waitCount waits until n reaches want, or has not moved for idle.
func waitCount(n *atomic.Int64, want int64, idle time.Duration) error {
	last, since := n.Load(), time.Now()
	for n.Load() < want {
		time.Sleep(time.Millisecond)
		if v := n.Load(); v != last {
			last, since = v, time.Now()
		} else if time.Since(since) > idle {
			return errors.New("output stopped short")
		}
	}
	return nil
}
