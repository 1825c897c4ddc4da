package bridge

import (
	"context"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"

	"github.com/natsbridge/bridge/artifact"
)

// coreSink publishes on core NATS: fire and forget, resolved at once.
type coreSink struct {
	r  *route
	nc *nats.Conn
	// replies carries requests to the output's connection and their
	// responses back, on a route between two connections.
	replies *replyProxy
	hard    context.Context
}

func (s *coreSink) start(hard context.Context) error {
	s.hard = hard
	if s.replies != nil {
		return s.replies.start()
	}
	return nil
}

func (s *coreSink) publish(in *input, out *artifact.Artifact, subject string) {
	if s.replies != nil && out.Reply != "" {
		// The requester's inbox is on the other side: the response comes
		// to the route, which forwards it.
		o := *out
		o.Reply = s.replies.register(out.Reply)
		out = &o
	}
	s.r.delivered(in, out, publishCore(s.nc, subject, out))
}

func (s *coreSink) close() {
	if s.replies != nil {
		s.replies.close(s.hard)
	}
}

// publishCore publishes a to subject, with its reply subject and headers.
func publishCore(nc *nats.Conn, subject string, a *artifact.Artifact) error {
	var err error
	switch {
	case len(a.Meta) > 0:
		stripControlHeaders(a.Meta)
		err = nc.PublishMsg(&nats.Msg{Subject: subject, Reply: a.Reply, Data: a.Payload, Header: nats.Header(a.Meta)})
	case a.Reply != "":
		err = nc.PublishRequest(subject, a.Reply, a.Payload)
	default:
		// Most messages carry no headers: no nats.Msg to fill.
		err = nc.Publish(subject, a.Payload)
	}
	if err != nil {
		return fmt.Errorf("publish to %q: %w", subject, err)
	}
	return nil
}

// stripControlHeaders removes the headers that instruct the server about
// one publish: a producer's Nats-Expected-Stream or Nats-Expected-Last-
// Sequence was meant for the input stream, and on an output it would make
// the output stream refuse the message; a Nats-Rollup would purge it.
func stripControlHeaders(h artifact.Metadata) {
	for k := range h {
		if strings.HasPrefix(k, "Nats-Expected-") || k == "Nats-Rollup" {
			delete(h, k)
		}
	}
}
