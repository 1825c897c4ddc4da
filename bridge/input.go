package bridge

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/natsbridge/bridge/artifact"
)

// Headers added to dead-lettered messages.
const (
	HeaderError   = artifact.KeyError
	HeaderRoute   = "Bridge-Route"
	HeaderSubject = "Bridge-Subject"
	// HeaderPreviousError keeps the Bridge-Error header of a received
	// message (for example one replayed from a DLQ), which would otherwise
	// mark it as failed.
	HeaderPreviousError = "Bridge-Previous-Error"
)

// input is one message a source handed over, followed until it is
// settled. The route holds it once while it works on it, and each output
// holds it until its publish is resolved; the last release settles it.
type input struct {
	a       artifact.Artifact
	pending atomic.Int32
	outputs atomic.Int32
	// failure is the first failure or drop of the input or of one of its
	// outputs; the input's outcome when set.
	failure atomic.Pointer[outcome]
	// js is set on JetStream routes: what to acknowledge.
	js *delivery
	// traceCtx holds the input's span, on a route that traces,
	// spanAttrs the attributes of a recording span until it ends, and
	// traceHeader the headers of its output when it had none.
	traceCtx    context.Context
	spanAttrs   *spanAttrs
	traceHeader *traceHeader
}

// fill makes in the input of a message received on subject, with the
// message's own byte slices and header map (not copied). created is the
// time it was received, or zero when the route does not time it.
func (in *input) fill(subject, reply string, data []byte, h nats.Header, created time.Time) {
	in.a = artifact.Artifact{
		ID:      artifact.NewID(),
		Subject: subject,
		Reply:   reply,
		Payload: data,
		Created: created,
		Meta:    artifact.Metadata(h),
		Origin:  in,
	}
	keepPreviousError(in.a.Meta)
}

// keepPreviousError renames the error header of a message that failed
// elsewhere (say, replayed from a DLQ): it is input like any other here, so
// keep its error, but not under the key that marks a failure in this
// bridge.
func keepPreviousError(meta artifact.Metadata) {
	if vs, ok := meta[artifact.KeyError]; ok {
		delete(meta, artifact.KeyError)
		meta[HeaderPreviousError] = vs
	}
}

// inputOf returns the input a, handed to a stage or dropped by a buffer,
// stands for: the route's own artifacts carry it as their Origin.
func inputOf(a *artifact.Artifact) *input {
	in, _ := a.Origin.(*input)
	return in
}

// outcomeKind is what became of an input.
type outcomeKind uint8

const (
	processed outcomeKind = iota
	filtered
	failed
	dropped
)

// outcome is what became of one input, or of one of its outputs.
type outcome struct {
	kind   outcomeKind
	reason Reason // for failed and dropped
	err    error  // for failed
}

// fail records that in failed for reason, unless something else already
// failed or dropped it: the first cause is the one reported.
func (in *input) fail(reason Reason, err error) {
	in.failure.CompareAndSwap(nil, &outcome{kind: failed, reason: reason, err: err})
}

// drop records that in was dropped for reason.
func (in *input) drop(reason Reason) {
	in.failure.CompareAndSwap(nil, &outcome{kind: dropped, reason: reason})
}

// outcome returns what became of in, once nothing holds it.
func (in *input) outcome() outcome {
	if o := in.failure.Load(); o != nil {
		return *o
	}
	if in.outputs.Load() == 0 {
		return outcome{kind: filtered}
	}
	return outcome{kind: processed}
}

// epoch anchors monoNow: time.Now reads both the wall and the monotonic
// clock, and the hot path needs one clock read, not two.
var epoch = time.Now()

// monoNow returns the current time with a single monotonic clock read.
func monoNow() time.Time { return epoch.Add(time.Since(epoch)) }
