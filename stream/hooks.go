package stream

import "github.com/natsbridge/bridge/artifact"

// DropReason says why a Buffer discarded an artifact.
type DropReason string

// Drop reasons reported through [Hooks.OnDrop].
const (
	// DropOverflow: the buffer was full and the policy dropped the newest
	// or the oldest artifact.
	DropOverflow DropReason = "overflow"
	// DropFiltered: middleware returned no artifact and no error.
	DropFiltered DropReason = "filtered"
	// DropClosed: the artifact was still queued when the buffer was closed.
	DropClosed DropReason = "closed"
)

// Hooks observe a Buffer. Any hook may be nil, and an unset hook costs one
// nil check. Hooks may be called concurrently from several goroutines and
// must not block: they run on the hot path.
type Hooks struct {
	// OnWrite is called when an artifact enters the queue.
	OnWrite func(a *artifact.Artifact)
	// OnRead is called when Receive or Read hands out an artifact.
	OnRead func(a *artifact.Artifact)
	// OnDrop is called for every artifact the buffer discards, with why.
	OnDrop func(a *artifact.Artifact, reason DropReason)
	// OnError is called for every error the buffer surfaces: middleware
	// rejections, generator errors, artifacts carrying errors, corrupt
	// frames.
	OnError func(err error)
	// OnDepth reports the number of queued artifacts and the queue
	// capacity each time an artifact enters the queue and, on a Buffer
	// without a Generator, each time Receive or Read takes one out. A
	// Generator takes artifacts from the queue itself, unseen by the
	// Buffer, so with one the last depth reported can be above the current
	// one until the next enqueue; [Buffer.Len] reads the current depth.
	OnDepth func(depth, capacity int)
	// OnClose is called once when Close finishes, with its result.
	OnClose func(err error)
}
