// Command relay is the floor the bridge is measured against: a bare nats.go
// relay that subscribes to one subject and, from the subscription callback,
// publishes each message's payload (and headers, if any) to another. No
// buffer, no metrics; nats.go defaults for everything.
//
// With -map it processes each payload in the callback first, the way a
// hand-written service would, and publishes the results: -map json decodes
// the benchmark's JSON record with encoding/json into a map and encodes the
// object {seq, t, id, v: v*2} built by hand; -map gojq runs the -jq program
// with gojq (encoding/json with UseNumber in, gojq.Marshal out). A payload
// the transform rejects is counted and not published.
//
// It prints "ready" on stdout once subscribed, and drains and exits on
// SIGINT or SIGTERM, reporting its counts on stderr.
//
// Usage:
//
//	relay [-url nats://127.0.0.1:4222] -in subject -out subject [-queue group] [-map json|gojq [-jq program]]
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
	mapping := flag.String("map", "", "process each payload in the callback: json (the benchmark record, by hand) or gojq (the -jq program)")
	program := flag.String("jq", ".", "jq program of -map gojq")
	flag.Parse()
	if *in == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "relay: -in and -out are required")
		os.Exit(2)
	}
	tr, err := newTransform(*mapping, *program)
	if err != nil {
		fmt.Fprintln(os.Stderr, "relay:", err)
		os.Exit(2)
	}
	if err := run(*url, *in, *out, *queue, tr); err != nil {
		fmt.Fprintln(os.Stderr, "relay:", err)
		os.Exit(1)
	}
}

func run(url, in, out, queue string, tr transform) error {
	nc, err := nats.Connect(url, nats.Name("bench-relay"),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			fmt.Fprintln(os.Stderr, "relay: async error:", err)
		}))
	if err != nil {
		return err
	}
	defer nc.Close()

	var relayed, failed, rejected atomic.Int64
	publish := func(m *nats.Msg, data []byte) {
		var err error
		if m.Header == nil {
			err = nc.Publish(out, data)
		} else {
			err = nc.PublishMsg(&nats.Msg{Subject: out, Data: data, Header: m.Header})
		}
		if err != nil {
			failed.Add(1)
			return
		}
		relayed.Add(1)
	}
	cb := func(m *nats.Msg) { publish(m, m.Data) }
	if tr != nil {
		cb = func(m *nats.Msg) {
			outs, err := tr(m.Data)
			if err != nil {
				rejected.Add(1)
				return
			}
			for _, data := range outs {
				publish(m, data)
			}
		}
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
	fmt.Fprintf(os.Stderr, "relay: relayed %d, publish errors %d, dropped by the client (slow consumer) %d, rejected by -map %d\n",
		relayed.Load(), failed.Load(), dropped, rejected.Load())
	return nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
