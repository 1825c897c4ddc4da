package bench_test

import (
	"context"
	"fmt"
	"runtime/pprof"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsbridge/bridge/bridge"
)

// BenchmarkBridgeJetStream drains a backlog of b.N messages of 128 B from
// a stream through a JetStream route, with metrics, into a second stream:
// the in-process counterpart of make bench's jetstream-128B, for
// profiling. The backlog is stored before the timer starts.
func BenchmarkBridgeJetStream(b *testing.B) {
	benchJetStream(b, bridgeJS)
}

// BenchmarkRelayJetStream is BenchmarkBridgeJetStream with bench/jsrelay's
// loop in place of the bridge.
func BenchmarkRelayJetStream(b *testing.B) {
	benchJetStream(b, relayJS)
}

// jsSystem starts relaying stream's subject in to out, and returns its stop
// function.
type jsSystem func(b *testing.B, url, stream, in, out string) (stop func())

func benchJetStream(b *testing.B, sys jsSystem) {
	url := natsURL(b)
	id := runID.Add(1)
	in, out := fmt.Sprintf("benchjs.%d.in", id), fmt.Sprintf("benchjs.%d.out", id)
	inStream, outStream := fmt.Sprintf("BENCHJS_IN_%d", id), fmt.Sprintf("BENCHJS_OUT_%d", id)

	ctl, err := nats.Connect(url, nats.Name("bench-ctl"))
	if err != nil {
		b.Fatal(err)
	}
	defer ctl.Close()
	js, err := jetstream.New(ctl, jetstream.WithPublishAsyncMaxPending(4096))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(b.Context(), 5*time.Minute)
	defer cancel()
	for name, subject := range map[string]string{inStream: in, outStream: out} {
		if _, err := js.CreateStream(ctx, jetstream.StreamConfig{
			Name: name, Subjects: []string{subject}, Storage: jetstream.MemoryStorage,
		}); err != nil {
			b.Fatal(err)
		}
		defer func() { _ = js.DeleteStream(context.Background(), name) }()
	}
	msg := make([]byte, 128)
	for i := range msg {
		msg[i] = 'x'
	}
	for range b.N {
		if _, err := js.PublishAsync(in, msg); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-ctx.Done():
		b.Fatal("backlog not stored")
	}
	outS, err := js.Stream(ctx, outStream)
	if err != nil {
		b.Fatal(err)
	}

	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu := time.Now(), processCPU()
	stop := sys(b, url, inStream, in, out)
	defer stop()
	for {
		info, err := outS.Info(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if info.State.Msgs >= uint64(b.N) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	b.StopTimer()
	elapsed := time.Since(start)
	b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
}

func bridgeJS(b *testing.B, url, stream, in, out string) (stop func()) {
	rc := bridge.RouteConfig{Name: "bench", In: in, Out: out, Stream: stream, Durable: "bench"}
	return runBridge(b, url, rc, true)
}

// relayJS is bench/jsrelay in-process: Consumer.Messages, PublishMsgAsync,
// Ack once the publish is acknowledged.
func relayJS(b *testing.B, url, stream, in, out string) (stop func()) {
	pprof.Do(b.Context(), pprof.Labels("role", "relay"), func(context.Context) {
		nc, err := nats.Connect(url, nats.Name("bench-jsrelay"))
		if err != nil {
			b.Fatal(err)
		}
		js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096))
		if err != nil {
			b.Fatal(err)
		}
		cons, err := js.CreateOrUpdateConsumer(b.Context(), stream, jetstream.ConsumerConfig{
			Durable: "relay", FilterSubject: in, AckPolicy: jetstream.AckExplicitPolicy, MaxAckPending: 1024,
		})
		if err != nil {
			b.Fatal(err)
		}
		it, err := cons.Messages(jetstream.PullMaxMessages(1000))
		if err != nil {
			b.Fatal(err)
		}
		type pending struct {
			ack jetstream.PubAckFuture
			in  jetstream.Msg
		}
		inflight := make(chan pending, 4096)
		var wg sync.WaitGroup
		wg.Go(func() {
			for p := range inflight {
				select {
				case <-p.ack.Ok():
					_ = p.in.Ack()
				case <-p.ack.Err():
					_ = p.in.Nak()
				}
			}
		})
		wg.Go(func() {
			defer close(inflight)
			for {
				m, err := it.Next()
				if err != nil {
					return
				}
				f, err := js.PublishMsgAsync(&nats.Msg{Subject: out, Data: m.Data()})
				if err != nil {
					_ = m.Nak()
					continue
				}
				inflight <- pending{ack: f, in: m}
			}
		})
		stop = func() {
			it.Stop()
			wg.Wait()
			nc.Close()
		}
	})
	return stop
}
