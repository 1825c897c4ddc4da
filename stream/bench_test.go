package stream_test

import (
	"context"
	"testing"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/stream"
)

// BenchmarkBuffer measures the message face: one goroutine sends, the
// benchmark goroutine receives. Allocations per op exclude the artifact
// itself, which is made once and reused.
func BenchmarkBuffer(b *testing.B) {
	// Options are made per run: a buffer owns its generator, and Close
	// shuts it down for good.
	cases := []struct {
		name string
		opts func() []stream.Option
	}{
		{"passthrough", func() []stream.Option { return nil }},
		{"generator", func() []stream.Option { return []stream.Option{stream.WithGenerator(stream.Passthrough())} }},
		{"generator+hooks", func() []stream.Option {
			return []stream.Option{stream.WithGenerator(stream.Passthrough()), stream.WithHooks(stream.Hooks{
				OnWrite: func(*artifact.Artifact) {}, OnRead: func(*artifact.Artifact) {}, OnDepth: func(int, int) {},
			})}
		}},
		{"parallel4", func() []stream.Option {
			return []stream.Option{stream.WithGenerator(stream.Parallel(4, stream.BySubject, stream.Passthrough()))}
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			buf, err := stream.NewBuffer(c.opts()...)
			if err != nil {
				b.Fatal(err)
			}
			defer buf.Close()
			a := artifact.New("bench.subject", make([]byte, 128))
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			done := make(chan struct{})
			go func() {
				defer close(done)
				for range b.N {
					if err := buf.Send(ctx, a); err != nil {
						b.Error(err)
						return
					}
				}
			}()
			for range b.N {
				if _, err := buf.Receive(ctx); err != nil {
					b.Fatal(err)
				}
			}
			<-done
		})
	}
}

// BenchmarkSendReceive is the single-goroutine cost of one Send and one
// Receive on a passthrough buffer: the floor of the message face.
func BenchmarkSendReceive(b *testing.B) {
	buf, _ := stream.NewBuffer()
	defer buf.Close()
	a := artifact.New("bench.subject", make([]byte, 128))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_ = buf.Send(ctx, a)
		_, _ = buf.Receive(ctx)
	}
}
