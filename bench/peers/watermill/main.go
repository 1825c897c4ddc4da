// Command watermill is a passthrough relay built the way Watermill 1.5.1
// documents it: a message.Router with one handler from a watermill-nats v2
// subscriber to a publisher, in core NATS mode (JetStream disabled),
// Watermill's defaults otherwise (NATSMarshaler, one subscriber per topic,
// ack wait 30s). The handler returns each message as it came.
//
// It runs until SIGINT or SIGTERM, then closes the router and exits.
//
// Usage:
//
//	watermill -url nats://127.0.0.1:4222 -in subject -out subject
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/ThreeDotsLabs/watermill"
	wmnats "github.com/ThreeDotsLabs/watermill-nats/v2/pkg/nats"
	"github.com/ThreeDotsLabs/watermill/message"
)

func main() {
	url := flag.String("url", "nats://127.0.0.1:4222", "NATS server URL")
	in := flag.String("in", "", "subject to subscribe to (required)")
	out := flag.String("out", "", "subject to publish to (required)")
	flag.Parse()
	if *in == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "watermill: -in and -out are required")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *url, *in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "watermill:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, url, in, out string) error {
	logger := watermill.NopLogger{}
	core := wmnats.JetStreamConfig{Disabled: true}
	sub, err := wmnats.NewSubscriber(wmnats.SubscriberConfig{URL: url, JetStream: core}, logger)
	if err != nil {
		return err
	}
	pub, err := wmnats.NewPublisher(wmnats.PublisherConfig{URL: url, JetStream: core}, logger)
	if err != nil {
		return err
	}
	router, err := message.NewRouter(message.RouterConfig{}, logger)
	if err != nil {
		return err
	}
	router.AddHandler("relay", in, sub, out, pub, func(m *message.Message) ([]*message.Message, error) {
		return []*message.Message{m}, nil
	})
	// Run returns once ctx is done and the router has closed its handlers,
	// subscriber and publisher.
	return router.Run(ctx)
}
