package artifact

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// Artifact is one message: a payload and everything needed to route it.
//
// The zero value is a valid, empty artifact. Fields are exported so that
// transports can fill them without allocation; see the package
// documentation for ownership rules.
type Artifact struct {
	// ID identifies the artifact. [New] assigns a fresh one; the zero ID
	// means "none".
	ID ID
	// Subject is the subject the artifact was received on or will be
	// published to.
	Subject string
	// Reply is the reply subject of a request, carried through so that a
	// responder downstream can answer the original requester.
	Reply string
	// Payload is the message body. It is not copied by this package.
	Payload []byte
	// Created is when the artifact entered the system.
	Created time.Time
	// Meta holds string metadata, shaped like NATS headers. It may be nil.
	Meta Metadata
	// Origin is opaque state of the transport that received the message,
	// such as the handle to acknowledge it. Clone and Derive carry it from
	// an input to everything made from it; the encoding leaves it out.
	Origin any
}

// New returns an artifact with a fresh ID, the current time, and the given
// subject and payload. payload is kept, not copied.
func New(subject string, payload []byte) *Artifact {
	return &Artifact{ID: NewID(), Subject: subject, Payload: payload, Created: time.Now()}
}

// Clone returns a deep copy of a: payload and metadata are copied, so the
// copy can be mutated freely.
func (a *Artifact) Clone() *Artifact {
	c := *a
	if a.Payload != nil {
		c.Payload = append([]byte(nil), a.Payload...)
	}
	c.Meta = a.Meta.Clone()
	return &c
}

// Derive returns a new artifact that keeps a's subject, reply subject,
// creation time, origin and a copy of its metadata, with a fresh ID and the
// given payload. Generators use it to build outputs from an input.
func (a *Artifact) Derive(payload []byte) *Artifact {
	return &Artifact{
		ID:      NewID(),
		Subject: a.Subject,
		Reply:   a.Reply,
		Payload: payload,
		Created: a.Created,
		Meta:    a.Meta.Clone(),
		Origin:  a.Origin,
	}
}

// Type returns the value of the well-known [KeyType] metadata, or "".
func (a *Artifact) Type() string { return a.Meta.Get(KeyType) }

// Err returns a non-nil error when the artifact's metadata carries
// [KeyError]. The error matches [ErrCarried] with errors.Is.
func (a *Artifact) Err() error {
	msg, ok := a.Meta.Lookup(KeyError)
	if !ok {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrCarried, msg)
}

// SetErr records err in the artifact's metadata under [KeyError]; a nil err
// removes it.
func (a *Artifact) SetErr(err error) {
	if err == nil {
		a.Meta.Del(KeyError)
		return
	}
	a.SetMeta(KeyError, err.Error())
}

// SetMeta sets key to the single value v, allocating Meta if needed.
func (a *Artifact) SetMeta(key, v string) {
	if a.Meta == nil {
		a.Meta = make(Metadata, 1)
	}
	a.Meta.Set(key, v)
}

// ID is a 16-byte artifact identifier: 8 random bytes chosen once per process
// followed by an 8-byte counter, so IDs are unique across processes with
// overwhelming probability and cost one atomic add to make. IDs are not
// secret and not unpredictable.
type ID [16]byte

var (
	idPrefix [8]byte
	idSeq    atomic.Uint64
)

func init() {
	// crypto/rand.Read never returns an error on supported platforms.
	_, _ = rand.Read(idPrefix[:])
	var seed [8]byte
	_, _ = rand.Read(seed[:])
	idSeq.Store(binary.BigEndian.Uint64(seed[:]) >> 1)
}

// NewID returns a fresh, process-unique ID. It does not allocate.
func NewID() ID {
	var id ID
	copy(id[:8], idPrefix[:])
	binary.BigEndian.PutUint64(id[8:], idSeq.Add(1))
	return id
}

// IsZero reports whether id is the zero ID.
func (id ID) IsZero() bool { return id == ID{} }

// String returns id as 32 lowercase hex digits, or "" for the zero ID.
func (id ID) String() string {
	if id.IsZero() {
		return ""
	}
	return hex.EncodeToString(id[:])
}

// ParseID parses the output of [ID.String]. The empty string yields the
// zero ID.
func ParseID(s string) (ID, error) {
	var id ID
	if s == "" {
		return id, nil
	}
	if len(s) != 2*len(id) {
		return id, fmt.Errorf("%w: id %q: want %d hex digits", ErrMalformed, s, 2*len(id))
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return ID{}, fmt.Errorf("%w: id %q: %w", ErrMalformed, s, err)
	}
	return id, nil
}

// Errors returned by this package.
var (
	// ErrMalformed is returned when bytes or metadata values cannot be decoded.
	ErrMalformed = errors.New("artifact: malformed")
	// ErrVersion is returned when encoded bytes use an unknown format version.
	ErrVersion = errors.New("artifact: unsupported encoding version")
	// ErrNoKey is returned by typed metadata accessors when the key is absent.
	ErrNoKey = errors.New("artifact: metadata key not set")
	// ErrCarried is matched by the error [Artifact.Err] returns for an
	// artifact whose metadata carries [KeyError].
	ErrCarried = errors.New("artifact: error carried in metadata")
)
