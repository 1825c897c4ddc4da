// Command jsrelay is the floor a JetStream route of the bridge is measured
// against: a bare at-least-once relay with the jetstream package. It reads
// a durable pull consumer (Consumer.Messages), publishes each message's
// payload to the output subject with PublishMsgAsync, and acknowledges the
// input once the output's publish acknowledgement has arrived (a failed
// publish naks it for redelivery). The output subject must be stored by a
// stream, or the publishes fail with no responders.
//
// It prints "ready" on stdout once the consumer exists, and on SIGINT or
// SIGTERM stops reading, waits for the publishes in flight and exits,
// reporting its counts on stderr.
//
// Usage:
//
//	jsrelay [-url nats://127.0.0.1:4222] -stream IN [-in filter] -out subject [-durable jsrelay] [-msg-id]
//
// -url defaults to $NATS_URL, then to nats.DefaultURL.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

type config struct {
	url, stream, in, out, durable  string
	maxAckPending, batch, inflight int
	msgID                          bool
}

func main() {
	var c config
	flag.StringVar(&c.url, "url", envOr("NATS_URL", nats.DefaultURL), "NATS server URL")
	flag.StringVar(&c.stream, "stream", "", "stream to consume (required)")
	flag.StringVar(&c.in, "in", "", "filter subject of the consumer; empty takes the whole stream")
	flag.StringVar(&c.out, "out", "", "subject to publish to, stored by a stream (required)")
	flag.StringVar(&c.durable, "durable", "jsrelay", "durable consumer name")
	// The defaults match a bridge route with the default buffer (1024):
	// MaxAckPending is its buffer size, PullMaxMessages min(size, 1000).
	flag.IntVar(&c.maxAckPending, "max-ack-pending", 1024, "MaxAckPending of the consumer; 0 means the server default (1000)")
	flag.IntVar(&c.batch, "batch", 1000, "messages buffered by the pull iterator (PullMaxMessages); 0 means the jetstream default (500)")
	flag.IntVar(&c.inflight, "inflight", 4096, "asynchronous publishes in flight at most")
	flag.BoolVar(&c.msgID, "msg-id", false, "give each output a Nats-Msg-Id (<stream>:<sequence>:0, as the bridge does), so the output stream drops redelivered copies")
	flag.Parse()
	if c.stream == "" || c.out == "" {
		fmt.Fprintln(os.Stderr, "jsrelay: -stream and -out are required")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, c); err != nil {
		fmt.Fprintln(os.Stderr, "jsrelay:", err)
		os.Exit(1)
	}
}

// pending is a publish in flight and the input it acknowledges.
type pending struct {
	ack jetstream.PubAckFuture
	in  jetstream.Msg
}

func run(ctx context.Context, c config) error {
	nc, err := nats.Connect(c.url, nats.Name("bench-jsrelay"))
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(c.inflight))
	if err != nil {
		return err
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, c.stream, jetstream.ConsumerConfig{
		Durable:       c.durable,
		FilterSubject: c.in,
		AckPolicy:     jetstream.AckExplicitPolicy,
		MaxAckPending: c.maxAckPending,
	})
	if err != nil {
		return fmt.Errorf("consumer %s on stream %s: %w", c.durable, c.stream, err)
	}
	var opts []jetstream.PullMessagesOpt
	if c.batch > 0 {
		opts = append(opts, jetstream.PullMaxMessages(c.batch))
	}
	it, err := cons.Messages(opts...)
	if err != nil {
		return err
	}
	fmt.Println("ready")
	go func() {
		<-ctx.Done()
		it.Stop() // Next returns ErrMsgIteratorClosed
	}()

	// The acker settles inputs in order as their publishes complete; the
	// channel's capacity, like the publisher's, bounds what is in flight.
	var acked, naked atomic.Int64
	inflight := make(chan pending, c.inflight)
	var wg sync.WaitGroup
	wg.Go(func() {
		for p := range inflight {
			select {
			case <-p.ack.Ok():
				if p.in.Ack() == nil {
					acked.Add(1)
				}
			case <-p.ack.Err():
				_ = p.in.Nak()
				naked.Add(1)
			}
		}
	})

	var relayErr error
	for {
		m, err := it.Next()
		if err != nil {
			if !errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				relayErr = err
			}
			break
		}
		h := outHeader(m)
		if c.msgID {
			h = withMsgID(h, c.stream, m)
		}
		f, err := js.PublishMsgAsync(&nats.Msg{Subject: c.out, Data: m.Data(), Header: h})
		if err != nil {
			_ = m.Nak()
			naked.Add(1)
			continue
		}
		inflight <- pending{ack: f, in: m}
	}
	close(inflight)
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(10 * time.Second):
	}
	wg.Wait()
	_ = nc.FlushTimeout(5 * time.Second)
	fmt.Fprintf(os.Stderr, "jsrelay: acked %d, naked %d\n", acked.Load(), naked.Load())
	return relayErr
}

// outHeader returns the input's headers for the output, or nil when it has
// none (JetStream adds none to a message published without them).
func outHeader(m jetstream.Msg) nats.Header {
	h := m.Headers()
	if len(h) == 0 {
		return nil
	}
	return h
}

// withMsgID returns h (or a new header) with the Nats-Msg-Id of m.
func withMsgID(h nats.Header, stream string, m jetstream.Msg) nats.Header {
	md, err := m.Metadata()
	if err != nil {
		return h
	}
	if h == nil {
		h = nats.Header{}
	}
	h.Set(jetstream.MsgIDHeader, stream+":"+strconv.FormatUint(md.Sequence.Stream, 10)+":0")
	return h
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
