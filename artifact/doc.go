// Package artifact defines the message envelope that flows through the
// bridge: a payload with its subject, reply subject, identity, creation time
// and metadata, plus a compact versioned binary encoding.
//
// # Metadata
//
// [Metadata] has the shape of NATS headers (a string key with one or more
// string values), so an artifact can be converted to and from a NATS message
// without copying. Keys are case-sensitive, as in nats.go. Typed accessors
// ([Metadata.Int64], [Get], [Set] …) store values as strings in a canonical
// form so that they survive a trip through NATS headers.
//
// # Ownership
//
// An [Artifact] is not safe for concurrent mutation. Once handed to another
// goroutine (sent on a channel, passed to a Buffer) the sender must treat it
// as immutable; use [Artifact.Clone] to keep a private copy. Payload slices
// are never copied implicitly: [New] and the transport adapters keep the
// slice they are given, and [Artifact.UnmarshalBinary] copies the input once
// because, as [encoding.BinaryUnmarshaler] requires, it must not retain it.
//
// # Encoding
//
// [Artifact.MarshalBinary] and [Artifact.AppendBinary] write version 1 of the
// wire format; [Artifact.UnmarshalBinary] rejects any other version and any
// malformed input with an error matching [ErrMalformed] or [ErrVersion],
// and never panics.
package artifact
