package bridge

import (
	"context"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsbridge/bridge/artifact"
)

// maxPubPending bounds the asynchronous JetStream publishes a route has in
// flight.
const maxPubPending = 4096

// jsSink publishes the outputs of a JetStream route: asynchronously, with a
// server acknowledgement, to a subject a stream stores; as a core publish
// otherwise (on the same connection as the input's acknowledgement, so it
// reaches the server first).
type jsSink struct {
	r      *route
	nc     *nats.Conn
	js     jetstream.JetStream
	stored *storedCache
	hard   context.Context
	pubs   chan pendingPub // asynchronous publishes, in order
	wg     sync.WaitGroup  // the acknowledgement collector
}

type pendingPub struct {
	paf jetstream.PubAckFuture
	in  *input
	out *artifact.Artifact
}

func newJSSink(r *route, nc *nats.Conn, js jetstream.JetStream) *jsSink {
	return &jsSink{r: r, nc: nc, js: js, stored: newStoredCache(js, r.log)}
}

func (s *jsSink) start(hard context.Context) error {
	s.hard = hard
	s.pubs = make(chan pendingPub, maxPubPending)
	s.wg.Go(s.collect)
	return nil
}

func (s *jsSink) publish(in *input, out *artifact.Artifact, subject string) {
	var h nats.Header
	if len(out.Meta) > 0 {
		stripControlHeaders(out.Meta)
		h = nats.Header(out.Meta)
	}
	m := &nats.Msg{Subject: subject, Reply: out.Reply, Data: out.Payload, Header: h}
	if !s.stored.has(subject, in.a.Created) {
		err := s.nc.PublishMsg(m)
		if err != nil {
			err = fmt.Errorf("publish to %q: %w", subject, err)
		}
		s.r.delivered(in, out, err)
		return
	}
	paf, err := s.js.PublishMsgAsync(m)
	if err != nil {
		s.r.delivered(in, out, fmt.Errorf("publish to %q: %w", subject, err))
		return
	}
	s.pubs <- pendingPub{paf: paf, in: in, out: out}
}

// collect settles outputs as their publish acknowledgements arrive. It ends
// when pubs is closed and empty.
func (s *jsSink) collect() {
	for p := range s.pubs {
		select {
		case <-p.paf.Ok():
			s.r.delivered(p.in, p.out, nil)
		case err := <-p.paf.Err():
			s.r.delivered(p.in, p.out, fmt.Errorf("publish to %q: %w", p.paf.Msg().Subject, err))
		case <-s.hard.Done():
			// Past the shutdown deadline: the input is handed back, and
			// its redelivery's output deduplicated if this one was stored.
			p.in.drop(ReasonShutdown)
			s.r.release(p.in)
		}
	}
}

func (s *jsSink) close() {
	close(s.pubs)
	s.wg.Wait()
}
