package jq_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/itchyny/gojq"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/jq"
	"github.com/natsbridge/bridge/stream"
)

// benchPayload is a ~200 byte order, typical of the bridge's traffic.
var benchPayload = []byte(`{"id":"ord-000123","customer":{"id":"c-42","name":"Ada Lovelace","tier":"gold"},` +
	`"price":19.99,"qty":3,"currency":"EUR","tags":["priority","gift"],"created":"2025-01-02T03:04:05Z","channel":"web"}`)

func BenchmarkProcess(b *testing.B) {
	benchmarks := []struct{ name, prog string }{
		{"mapping", `{id: .id, total: (.price * .qty)}`},
		{"identity", `.`},
		{"filter", `select(.qty > 10)`},
	}
	for _, bm := range benchmarks {
		p := compile(b, bm.prog)
		a := artifact.New("orders", benchPayload)
		a.SetMeta("Trace-Id", "abc")
		emit := func(*artifact.Artifact) error { return nil }
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(benchPayload)))
			for b.Loop() {
				if err := p.Process(b.Context(), a, emit); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bm.name+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(benchPayload)))
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := p.Process(b.Context(), a, emit); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkWorkload runs Process on issue 12's workload: distinct ~128 B
// objects, a mapping program, and programs that only read a field.
func BenchmarkWorkload(b *testing.B) {
	benchmarks := []struct {
		name, prog string
		emit       jq.Emit
	}{
		{"mapping", `{seq: .seq, t: .t, id: .id, v: (.v * 2)}`, jq.EmitPayload},
		// The same program in payload mode encodes its object; in
		// message mode it only picks the subject.
		{"route-payload", `{subject: ("orders." + .kind)}`, jq.EmitPayload},
		{"route-message", `{subject: ("orders." + .kind)}`, jq.EmitMessage},
		{"tenant-header", `{headers: {"X-Tenant": (header("trace-id") + "-" + .kind)}}`, jq.EmitMessage},
	}
	as := workloadArtifacts(b, 1024)
	for _, bm := range benchmarks {
		p, err := jq.Compile(bm.prog, jq.WithEmit(bm.emit))
		if err != nil {
			b.Fatal(err)
		}
		emit := func(*artifact.Artifact) error { return nil }
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(as[0].Payload)))
			cpu := processCPU()
			i := 0
			for b.Loop() {
				if err := p.Process(b.Context(), as[i%len(as)], emit); err != nil {
					b.Fatal(err)
				}
				i++
			}
			reportCPU(b, cpu)
		})
	}
}

// BenchmarkWorkers measures the stage alone, as a route runs it: the
// mapping program on the workload in stream.Parallel, fed by one goroutine
// and drained by another. With no order kept (a nil key) every worker
// takes any input, so WORKERS=2 can use both cores on one subject; keyed
// by subject, the workload's single subject keeps to one worker.
func BenchmarkWorkers(b *testing.B) {
	p := compile(b, `{seq: .seq, t: .t, id: .id, v: (.v * 2)}`)
	as := workloadArtifacts(b, 1024)
	cases := []struct {
		name    string
		workers int
		key     stream.KeyFunc
	}{
		{"unordered/1", 1, nil},
		{"unordered/2", 2, nil},
		{"unordered/4", 4, nil},
		{"subject/2", 2, stream.BySubject},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			g := stream.Parallel(c.workers, c.key, p.Generator())
			defer g.Close()
			in := make(chan *artifact.Artifact, 64)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			out, errs := g.Generate(ctx, in)
			b.ReportAllocs()
			b.SetBytes(int64(len(as[0].Payload)))
			b.ResetTimer()
			cpu := processCPU()
			go func() {
				defer close(in)
				for i := range b.N {
					in <- as[i%len(as)]
				}
			}()
			for n := 0; n < b.N; {
				select {
				case <-out:
					n++
				case err, ok := <-errs:
					if ok {
						b.Fatal(err)
					}
					errs = nil // closed after the last result was sent
				}
			}
			b.StopTimer()
			reportCPU(b, cpu)
			for range out {
			}
			if errs != nil {
				for err := range errs {
					b.Error(fmt.Errorf("after the run: %w", err))
				}
			}
		})
	}
}

// BenchmarkStage measures the processing stage alone, with ORDER_BY=none,
// as a route runs it: the mapping program, compiled with lent outputs as
// the binary compiles a route's, in 1, 2 and 4 workers, each handing its
// outputs on from its own goroutine (a route's stage calls the sink there;
// here the sink discards them). The inputs come in rounds of 16384, each
// queued before the workers start on it, so that no producer competes with
// the workers for the machine's cores. A round's queue is 128 KiB of
// pointers to 1024 artifacts: a queue of all b.N inputs would be live heap
// that every garbage collection scans. Rounds of a route's buffer size
// (1024) were too short: each starts the workers again, and the second
// waits for an idle core to wake, which a running route's workers do not;
// on this project's 2-core VM that left a core idle ~40% of a 2-worker
// round. Only the workers' time counts: ns/op and cpu-ns/op cover the
// rounds, not the queueing between them. One op is one message; on 2
// cores, workers=2 should take a little over half the time of workers=1.
// BenchmarkWorkers measures the same with a producer and a consumer
// goroutine around the stage.
func BenchmarkStage(b *testing.B) {
	// Lent outputs, as the binary's routes compile their programs.
	p, err := jq.Compile(`{seq: .seq, t: .t, id: .id, v: (.v * 2)}`, jq.WithLentOutputs())
	if err != nil {
		b.Fatal(err)
	}
	as := workloadArtifacts(b, 1024)
	const round = 16 * stream.DefaultBufferSize
	for _, workers := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			// The sink takes the outputs; counting them here would make
			// the workers contend for the counter.
			sink := func(*artifact.Artifact) error { return nil }
			stage := stream.FromFunc(func(ctx context.Context, a *artifact.Artifact, _ stream.Emit) error {
				return p.Process(ctx, a, sink)
			})
			g := stream.Parallel(workers, nil, stage)
			defer g.Close()
			b.ReportAllocs()
			b.SetBytes(int64(len(as[0].Payload)))
			b.ResetTimer()
			var wall, cpu time.Duration
			for done := 0; done < b.N; {
				n := min(round, b.N-done)
				in := make(chan *artifact.Artifact, n)
				for i := range n {
					in <- as[(done+i)%len(as)]
				}
				close(in)
				done += n
				start, cpu0 := time.Now(), processCPU()
				out, errs := g.Generate(b.Context(), in)
				for err := range errs {
					b.Fatal(err)
				}
				for range out {
					b.Fatal("the stage emitted on its channel")
				}
				wall += time.Since(start)
				cpu += processCPU() - cpu0
			}
			b.StopTimer()
			b.ReportMetric(float64(wall)/float64(b.N), "ns/op")
			b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// reportCPU reports the process's CPU time per operation since start, GC
// included.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkDecode compares the stage's decoder with encoding/json (with
// UseNumber and the trailing-data check), which it replaced, on the
// workload.
func BenchmarkDecode(b *testing.B) {
	payloads := workload(1024)
	for _, dec := range []struct {
		name string
		fn   func([]byte) (any, error)
	}{{"encoding-json", referenceDecode}, {"jq", jq.Decode}} {
		b.Run(dec.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(payloads[0])))
			cpu := processCPU()
			i := 0
			for b.Loop() {
				if _, err := dec.fn(payloads[i%len(payloads)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
			reportCPU(b, cpu)
		})
	}
}

// BenchmarkEncode compares the stage's encoder with gojq.Marshal on the
// mapping program's output.
func BenchmarkEncode(b *testing.B) {
	v := map[string]any{"seq": 123456, "t": 1700000000123456000, "id": "a-123456", "v": 7.0}
	for _, enc := range []struct {
		name string
		fn   func(any) ([]byte, error)
	}{{"gojq", gojq.Marshal}, {"jq", func(v any) ([]byte, error) { return jq.Encode(v, 128) }}} {
		b.Run(enc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := enc.fn(v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
