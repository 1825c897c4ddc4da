package bridge

import (
	"strconv"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsbridge/bridge/artifact"
)

// setMsgID gives out, the idx-th output of in, its Nats-Msg-Id: a
// redelivery of in produces the same IDs, so an output stream's duplicate
// window drops the copies.
func (r *route) setMsgID(in *input, out *artifact.Artifact, idx int) {
	d := in.js
	id := msgID(r.cfg.Stream, d.seq, idx)
	if out.Meta == nil && out == &in.a && d.idHeader == nil {
		// The input had no headers and is its own output: its only
		// header is its ID, in a map recycled once it is settled.
		d.idHeader = idHeaders.Get().(*idHeader)
		d.idHeader.id[0] = id
		out.Meta = artifact.Metadata(d.idHeader.h)
		return
	}
	if out.Meta == nil {
		out.Meta = make(artifact.Metadata, 1)
	}
	out.Meta.Set(jetstream.MsgIDHeader, id)
}

// msgID is the Nats-Msg-Id of the idx-th output of the message at seq in
// stream.
func msgID(stream string, seq uint64, idx int) string {
	var buf [64]byte // on the stack: one allocation, the string's
	b := append(buf[:0], stream...)
	b = append(b, ':')
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(idx), 10)
	return string(b)
}

// idHeader is a header holding only a Nats-Msg-Id, pooled: most outputs of
// a JetStream route without a stage need nothing else, and the map is the
// largest allocation of their path.
type idHeader struct {
	h  nats.Header
	id [1]string
}

var idHeaders = sync.Pool{New: func() any {
	ih := &idHeader{h: make(nats.Header, 1)}
	ih.h[jetstream.MsgIDHeader] = ih.id[:]
	return ih
}}

// recycleIDHeader returns d's ID header to the pool, once nothing reads it:
// the input is settled and reported, and the NATS client has finished with
// the publish (resolved or failed) or never started it.
func recycleIDHeader(d *delivery) {
	ih := d.idHeader
	if ih == nil {
		return
	}
	d.idHeader = nil
	d.in.a.Meta = nil
	if vs := ih.h[jetstream.MsgIDHeader]; len(ih.h) != 1 || len(vs) != 1 || &vs[0] != &ih.id[0] {
		return // changed by a hook: not reusable as it is
	}
	ih.id[0] = ""
	idHeaders.Put(ih)
}
