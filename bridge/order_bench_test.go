package bridge_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/bridge"
	"github.com/natsbridge/bridge/internal/natstest"
	"github.com/natsbridge/bridge/stream"
)

// BenchmarkOrderByHeader runs a slow stage (1 ms a message: a call to
// another service, say) over 16 tenants with ORDER_BY=header:X-Tenant: with
// 4 workers the tenants are processed side by side, each in order, so the
// same messages take about a quarter of the time they take with 1, even on
// 2 cores. One op is one message; compare the workers' ns/op.
func BenchmarkOrderByHeader(b *testing.B) {
	order, err := stream.ParseOrder("header:X-Tenant")
	if err != nil {
		b.Fatal(err)
	}
	slow := func(ctx context.Context, a *artifact.Artifact, emit stream.Emit) error {
		select {
		case <-time.After(time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
		return emit(a)
	}
	for _, workers := range []int{1, 4} {
		b.Run("workers="+strconv.Itoa(workers), func(b *testing.B) {
			s := natstest.Start(b, nil)
			nc := natstest.Connect(b, s)
			out, err := nc.SubscribeSync("o.out")
			if err != nil {
				b.Fatal(err)
			}
			r := start(b, nc, []bridge.RouteConfig{{Name: "o", In: "o.in", Out: "o.out", Process: slow,
				Workers: workers, OrderBy: order, BufferSize: 4096}})
			msgs := make([]*nats.Msg, 16)
			for k := range msgs {
				msgs[k] = nats.NewMsg("o.in")
				msgs[k].Header.Set("X-Tenant", "t"+strconv.Itoa(k))
				msgs[k].Data = []byte("x")
			}
			b.ResetTimer()
			for i := range b.N {
				if err := nc.PublishMsg(msgs[i%16]); err != nil {
					b.Fatal(err)
				}
			}
			for range b.N {
				if _, err := out.NextMsg(time.Minute); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			_ = r.stop()
		})
	}
}
