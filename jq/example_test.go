package jq_test

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/jq"
	"github.com/natsbridge/bridge/stream"
)

// A jq program as the Generator of a Buffer: each order fans out to one
// artifact per item in stock, and a payload that is not JSON comes out as
// an error about that artifact.
func ExampleProgram_Generator() {
	p, err := jq.Compile(`.id as $id | .items[] | select(.qty > 0) | {order: $id, sku, qty}`)
	if err != nil {
		panic(err)
	}
	buf, err := stream.NewBuffer(stream.WithGenerator(p.Generator()))
	if err != nil {
		panic(err)
	}
	defer buf.Close()

	ctx := context.Background()
	_ = buf.Send(ctx, artifact.New("orders", []byte(`{"id":7,"items":[{"sku":"a","qty":2},{"sku":"b","qty":0},{"sku":"c","qty":1}]}`)))
	_ = buf.Send(ctx, artifact.New("orders", []byte(`not json`)))
	_ = buf.CloseSend()
	for {
		a, err := buf.Receive(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Println("dead-letter:", errors.Is(err, jq.ErrNotJSON))
			continue
		}
		fmt.Println(a.Subject, string(a.Payload))
	}
	// Output:
	// orders {"order":7,"qty":2,"sku":"a"}
	// orders {"order":7,"qty":1,"sku":"c"}
	// dead-letter: true
}

// A program in message mode routes each order to a subject chosen from its
// content and tags it with a header; the payload goes out byte for byte.
// Emitting several values fans one input out to several subjects.
func ExampleWithEmit() {
	p, err := jq.Compile(`
		{subject: "orders.\(.region)", headers: {"X-Tenant": header("x-tenant")}},
		(.items[] | {subject: "items.\(.kind)", payload: {order: $subject, sku}})`,
		jq.WithEmit(jq.EmitMessage))
	if err != nil {
		panic(err)
	}
	in := artifact.New("orders.in", []byte(`{"region":"eu", "items":[{"kind":"book","sku":"b-1"}]}`))
	in.SetMeta("X-Tenant", "acme")
	err = p.Process(context.Background(), in, func(out *artifact.Artifact) error {
		fmt.Println(out.Subject, out.Meta.Get("X-Tenant"), string(out.Payload))
		return nil
	})
	fmt.Println("error:", err)
	// Output:
	// orders.eu acme {"region":"eu", "items":[{"kind":"book","sku":"b-1"}]}
	// items.book acme {"order":"orders.in","sku":"b-1"}
	// error: <nil>
}
