// Command relay is the floor the bridge is measured against: a bare nats.go
// relay that subscribes to one subject and, from the subscription callback,
// publishes each message's payload (and headers, if any) to another. No
// buffer, no processing, no metrics; nats.go defaults for everything.
//
// It prints "ready" on stdout once subscribed, and drains and exits on
// SIGINT or SIGTERM, reporting its counts on stderr.
//
// Usage:
//
//	relay [-url nats://127.0.0.1:4222] -in subject -out subject [-queue group]
//
// -url defaults to $NATS_URL, then to nats.DefaultURL.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
)

func main() {
	url := flag.String("url", envOr("NATS_URL", nats.DefaultURL), "NATS server URL")
	in := flag.String("in", "", "subject to subscribe to (required)")
	out := flag.String("out", "", "subject to publish to (required)")
	queue := flag.String("queue", "", "queue group; empty subscribes without one")
	flag.Parse()
	if *in == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "relay: -in and -out are required")
		os.Exit(2)
	}
	if err := run(*url, *in, *out, *queue); err != nil {
		fmt.Fprintln(os.Stderr, "relay:", err)
		os.Exit(1)
	}
}

func run(url, in, out, queue string) error {
	nc, err := nats.Connect(url, nats.Name("bench-relay"),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			fmt.Fprintln(os.Stderr, "relay: async error:", err)
		}))
	if err != nil {
		return err
	}
	defer nc.Close()

	var relayed, failed atomic.Int64
	cb := func(m *nats.Msg) {
		var err error
		if m.Header == nil {
			err = nc.Publish(out, m.Data)
		} else {
			err = nc.PublishMsg(&nats.Msg{Subject: out, Data: m.Data, Header: m.Header})
		}
		if err != nil {
			failed.Add(1)
			return
		}
		relayed.Add(1)
	}
	var sub *nats.Subscription
	if queue != "" {
		sub, err = nc.QueueSubscribe(in, queue, cb)
	} else {
		sub, err = nc.Subscribe(in, cb)
	}
	if err != nil {
		return err
	}
	if err := nc.Flush(); err != nil {
		return err
	}
	fmt.Println("ready")

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	dropped, _ := sub.Dropped()
	closed := make(chan struct{})
	nc.SetClosedHandler(func(*nats.Conn) { close(closed) })
	if err := nc.Drain(); err == nil {
		select {
		case <-closed:
		case <-time.After(10 * time.Second):
		}
	}
	fmt.Fprintf(os.Stderr, "relay: relayed %d, publish errors %d, dropped by the client (slow consumer) %d\n",
		relayed.Load(), failed.Load(), dropped)
	return nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
