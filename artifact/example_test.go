package artifact_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/natsbridge/bridge/artifact"
)

// An artifact is a payload with its subject; New gives it an identity and
// a creation time, and metadata travels as NATS headers would.
func ExampleNew() {
	a := artifact.New("orders.created", []byte(`{"id":42}`))
	a.SetMeta(artifact.KeyType, "order.created")
	a.SetMeta(artifact.KeyContentType, "application/json")

	fmt.Println(a.Subject, string(a.Payload))
	fmt.Println("type:", a.Type())
	fmt.Println("has an ID:", !a.ID.IsZero(), "and a time:", !a.Created.IsZero())
	// Output:
	// orders.created {"id":42}
	// type: order.created
	// has an ID: true and a time: true
}

// Derive builds an output from an input: same subject, reply subject,
// creation time and metadata (copied), a new ID and the new payload.
func ExampleArtifact_Derive() {
	in := artifact.New("orders.created", []byte(`{"id":42}`))
	in.Reply = "_INBOX.reply"
	in.SetMeta(artifact.KeyType, "order.created")

	out := in.Derive([]byte(`{"id":42,"checked":true}`))
	out.SetMeta(artifact.KeyType, "order.checked") // the input keeps its own

	fmt.Println(out.Subject, out.Reply, string(out.Payload))
	fmt.Println("types:", in.Type(), "->", out.Type())
	fmt.Println("new ID:", out.ID != in.ID, "same time:", out.Created.Equal(in.Created))
	// Output:
	// orders.created _INBOX.reply {"id":42,"checked":true}
	// types: order.created -> order.checked
	// new ID: true same time: true
}

// Metadata holds strings, one or more per key. The typed accessors store
// values in a canonical form and parse them back, reporting a missing key
// and a malformed value with errors of their own.
func ExampleMetadata() {
	m := artifact.Metadata{}
	m.Add("Tag", "blue")
	m.Add("Tag", "urgent")
	artifact.Set(m, "Attempt", int64(3))
	artifact.Set(m, "Backoff", 1500*time.Millisecond)
	m.Set("Broken", "three")

	fmt.Println(m.Get("Tag"), m.Values("Tag"))
	attempt, _ := m.Int64("Attempt")
	backoff, _ := m.Duration("Backoff")
	fmt.Println("attempt", attempt, "backoff", backoff, "stored as", m.Get("Backoff"))

	_, err := m.Int64("Missing")
	fmt.Println(errors.Is(err, artifact.ErrNoKey))
	_, err = m.Int64("Broken")
	fmt.Println(errors.Is(err, artifact.ErrMalformed))
	// Output:
	// blue [blue urgent]
	// attempt 3 backoff 1.5s stored as 1.5s
	// true
	// true
}

// The binary encoding keeps every field but the transport's own state, and
// decoding rejects anything that is not a complete encoding.
func ExampleArtifact_MarshalBinary() {
	a := artifact.New("orders.created", []byte(`{"id":42}`))
	a.Reply = "_INBOX.reply"
	a.SetMeta(artifact.KeyType, "order.created")

	data, err := a.MarshalBinary()
	if err != nil {
		fmt.Println(err)
		return
	}
	var b artifact.Artifact
	if err := b.UnmarshalBinary(data); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(b.ID == a.ID, b.Created.Equal(a.Created), b.Meta.Equal(a.Meta))
	fmt.Println(b.Subject, b.Reply, string(b.Payload))
	fmt.Println(len(data) == a.EncodedLen())

	err = b.UnmarshalBinary(data[:len(data)-1]) // one byte short
	fmt.Println(errors.Is(err, artifact.ErrMalformed), "and b is unchanged:", string(b.Payload))
	// Output:
	// true true true
	// orders.created _INBOX.reply {"id":42}
	// true
	// true and b is unchanged: {"id":42}
}
