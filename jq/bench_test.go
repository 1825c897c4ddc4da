package jq_test

import (
	"testing"

	"github.com/natsbridge/bridge/artifact"
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
	benchmarks := []struct{ name, prog string }{
		{"mapping", `{seq: .seq, t: .t, id: .id, v: (.v * 2)}`},
		{"route-payload", `{subject: ("orders." + .kind)}`},
	}
	as := workloadArtifacts(b, 1024)
	for _, bm := range benchmarks {
		p := compile(b, bm.prog)
		emit := func(*artifact.Artifact) error { return nil }
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(as[0].Payload)))
			i := 0
			for b.Loop() {
				if err := p.Process(b.Context(), as[i%len(as)], emit); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
