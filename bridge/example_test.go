package bridge_test

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/natsbridge/bridge/bridge"
	"github.com/natsbridge/bridge/jq"
)

// A route from orders.<region> to billing.<region> that reshapes each
// order with a jq program, run against an in-process NATS server. It
// imports nothing of this module but its public packages, so it can be
// copied into a program of its own.
func Example() {
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true})
	if err != nil {
		panic(err)
	}
	srv.Start()
	defer srv.Shutdown()
	if !srv.ReadyForConnections(10 * time.Second) {
		panic("NATS server not ready")
	}
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		panic(err)
	}
	defer nc.Close()

	// Lent outputs: the route copies only what it keeps.
	prog, err := jq.Compile(`{order: .id, total: (.qty * .price)}`, jq.WithLentOutputs())
	if err != nil {
		panic(err)
	}
	b, err := bridge.New(nc, []bridge.RouteConfig{{
		Name:        "billing",
		In:          "orders.*",
		Out:         "billing.{{wildcard(1)}}",
		DLQ:         "dead.orders",
		Process:     prog.Process,
		LentOutputs: prog.LendsOutputs(),
	}})
	if err != nil {
		panic(err)
	}
	out, err := nc.SubscribeSync("billing.>")
	if err != nil {
		panic(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	defer func() {
		cancel() // drains: everything received is published first
		if err := <-done; err != nil {
			fmt.Println("run:", err)
		}
	}()
	<-b.Started() // subscribed

	_ = nc.Publish("orders.eu", []byte(`{"id":7,"qty":3,"price":2.5}`))
	m, err := out.NextMsg(10 * time.Second)
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Subject, string(m.Data))
	// Output:
	// billing.eu {"order":7,"total":7.5}
}
