package stream

import "fmt"

// Overflow is what Send does when the buffer is full.
type Overflow int

// Overflow policies.
const (
	// Block waits for room, for the context, or for Close. It is the
	// default: backpressure instead of loss.
	Block Overflow = iota
	// DropNewest discards the artifact being sent.
	DropNewest
	// DropOldest discards the oldest queued artifact to make room.
	DropOldest
	// Fail returns ErrBufferFull at once and keeps nothing.
	Fail
)

var overflowNames = [...]string{Block: "block", DropNewest: "drop_newest", DropOldest: "drop_oldest", Fail: "fail"}

// String returns the policy's configuration name, e.g. "drop_oldest".
func (o Overflow) String() string {
	if o < 0 || int(o) >= len(overflowNames) {
		return fmt.Sprintf("Overflow(%d)", int(o))
	}
	return overflowNames[o]
}

// ParseOverflow parses a name returned by [Overflow.String].
func ParseOverflow(s string) (Overflow, error) {
	for i, n := range overflowNames {
		if n == s {
			return Overflow(i), nil
		}
	}
	return 0, fmt.Errorf("%w: unknown overflow policy %q (want block, drop_newest, drop_oldest or fail)", ErrInvalidOption, s)
}

// MarshalText implements encoding.TextMarshaler.
func (o Overflow) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler, so configuration
// libraries can parse policies by name.
func (o *Overflow) UnmarshalText(b []byte) error {
	v, err := ParseOverflow(string(b))
	if err != nil {
		return err
	}
	*o = v
	return nil
}
