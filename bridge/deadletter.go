package bridge

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsbridge/bridge/artifact"
)

// Headers added to messages dead-lettered by a JetStream route, besides
// Bridge-Error, Bridge-Route and Bridge-Subject.
const (
	HeaderStream    = "Bridge-Stream"
	HeaderSequence  = "Bridge-Sequence"
	HeaderDelivered = "Bridge-Delivered"
	// HeaderPayloadOmitted is set, to the payload's size, on a dead letter
	// sent without its payload because with the headers it would exceed
	// the server's max_payload.
	HeaderPayloadOmitted = "Bridge-Payload-Omitted"
)

// deadLetterTimeout bounds the wait for a DLQ stream's acknowledgement.
const deadLetterTimeout = 5 * time.Second

// deadLetters publishes the route's dead letters, on the connection the
// route consumes from. A JetStream route waits for the DLQ stream's
// acknowledgement before it terminates a message, which may take seconds:
// its dead letters are published by a goroutine of their own, so that the
// settlement of its other messages goes on meanwhile. A core route's dead
// letters are core publishes, which do not wait: they are published where
// the failure is settled.
type deadLetters struct {
	r      *route
	nc     *nats.Conn
	js     jetstream.JetStream // nil on core routes
	stored *storedCache
	queue  chan deadLetter
	wg     sync.WaitGroup
}

type deadLetter struct {
	in *input
	o  outcome
}

func newDeadLetters(r *route, nc *nats.Conn, js jetstream.JetStream) *deadLetters {
	d := &deadLetters{r: r, nc: nc}
	if r.cfg.JetStream() && r.cfg.DLQ != "" {
		d.js = js
		d.stored = newStoredCache(js, r.log)
	}
	return d
}

func (d *deadLetters) start() {
	if d.js == nil {
		return
	}
	// A JetStream route has at most BufferSize messages unsettled, so
	// adding never waits.
	d.queue = make(chan deadLetter, d.r.cfg.BufferSize)
	d.wg.Go(func() {
		for dl := range d.queue {
			d.r.rejected(dl.in, dl.o, d.publish(dl.in, dl.o.err))
		}
	})
}

// add dead-letters in, which failed as o says, and then settles it.
func (d *deadLetters) add(in *input, o outcome) {
	if d.queue == nil {
		d.r.rejected(in, o, d.publish(in, o.err))
		return
	}
	d.queue <- deadLetter{in: in, o: o}
}

func (d *deadLetters) close() {
	if d.queue != nil {
		close(d.queue)
		d.wg.Wait()
	}
}

// publish publishes the dead letter of in: its payload and headers, and
// what failed. If the server refuses it as larger than its max_payload, it
// publishes it again without the payload: the headers still say what
// failed and, on a JetStream route, where to find the message.
func (d *deadLetters) publish(in *input, cause error) error {
	r := d.r
	h := make(nats.Header, len(in.a.Meta)+7)
	for k, vs := range in.a.Meta {
		h[k] = vs
	}
	stripControlHeaders(artifact.Metadata(h))
	delete(h, jetstream.MsgIDHeader)
	h.Set(HeaderError, cause.Error())
	h.Set(HeaderRoute, r.cfg.Name)
	h.Set(HeaderSubject, in.a.Subject)
	if dl := in.js; dl != nil {
		h.Set(HeaderStream, r.cfg.Stream)
		h.Set(HeaderSequence, strconv.FormatUint(dl.seq, 10))
		h.Set(HeaderDelivered, strconv.FormatUint(dl.delivered, 10))
		h.Set(jetstream.MsgIDHeader, "dlq:"+msgID(r.cfg.Stream, dl.seq, 0))
	}
	if r.tracing != nil && in.traceCtx != nil {
		inject(in.traceCtx, artifact.Metadata(h))
	}
	// Not the reply subject: a requester waits for an answer, not for its
	// own request back.
	m := &nats.Msg{Subject: r.cfg.DLQ, Data: in.a.Payload, Header: h}
	err := d.send(m)
	if errors.Is(err, nats.ErrMaxPayload) {
		h.Set(HeaderPayloadOmitted, strconv.Itoa(len(m.Data)))
		m.Data = nil
		err = d.send(m)
	}
	if err != nil {
		return fmt.Errorf("publish to DLQ %q: %w", r.cfg.DLQ, err)
	}
	return nil
}

func (d *deadLetters) send(m *nats.Msg) error {
	if d.js == nil || !d.stored.has(m.Subject, monoNow()) {
		return d.nc.PublishMsg(m)
	}
	ctx, cancel := context.WithTimeout(context.Background(), deadLetterTimeout)
	defer cancel()
	_, err := d.js.PublishMsg(ctx, m)
	return err
}

// dlqFailed says that cause could not be dead-lettered either.
func dlqFailed(cause, dlqErr error) error {
	return fmt.Errorf("%w (dead-lettering failed too: %w)", cause, dlqErr)
}
