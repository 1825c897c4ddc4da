package stream

import (
	"fmt"
	"strings"

	"github.com/natsbridge/bridge/artifact"
)

// KeyFunc returns the ordering key of an artifact: artifacts with the same
// key come out of [Parallel] in the order they went in. A nil KeyFunc
// keeps no order.
type KeyFunc func(*artifact.Artifact) string

// BySubject keys artifacts by subject.
func BySubject(a *artifact.Artifact) string { return a.Subject }

// ByHeader returns a KeyFunc that keys artifacts by the first value of the
// header (metadata key) with exactly the given name. Artifacts without it
// share one key.
func ByHeader(name string) KeyFunc {
	return func(a *artifact.Artifact) string { return a.Meta.Get(name) }
}

// Order is which inputs of [Parallel] keep their relative order, in the
// form a configuration gives it. The zero value is "subject".
type Order struct {
	header string // with byHeader
	by     orderBy
}

type orderBy int

const (
	orderSubject orderBy = iota
	orderHeader
	orderNone
)

// ParseOrder parses an order:
//
//	subject        inputs on the same subject keep their order (the default)
//	header:<Name>  inputs with equal first values of header <Name> (exact
//	               name) keep their order; inputs without it share one key
//	none           no order: any worker takes any input
//
// Anything else is an error matching [ErrInvalidOption]. <Name> must be a
// header name NATS can carry: printable ASCII without spaces or any of
// "(),/:;<=>?@[\]{}.
func ParseOrder(s string) (Order, error) {
	switch s {
	case "subject":
		return Order{}, nil
	case "none":
		return Order{by: orderNone}, nil
	}
	name, ok := strings.CutPrefix(s, "header:")
	if !ok {
		return Order{}, fmt.Errorf("%w: unknown order %q (want subject, header:<Name> or none)", ErrInvalidOption, s)
	}
	if name == "" {
		return Order{}, fmt.Errorf("%w: order %q names no header (want header:<Name>, e.g. header:X-Tenant)", ErrInvalidOption, s)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return Order{}, fmt.Errorf("%w: order %q: %q is not a valid header name", ErrInvalidOption, s, name)
		}
	}
	return Order{by: orderHeader, header: name}, nil
}

// String returns the order in the form ParseOrder reads.
func (o Order) String() string {
	switch o.by {
	case orderHeader:
		return "header:" + o.header
	case orderNone:
		return "none"
	}
	return "subject"
}

// Key returns the KeyFunc for [Parallel]: BySubject, ByHeader, or nil for
// "none".
func (o Order) Key() KeyFunc {
	switch o.by {
	case orderHeader:
		return ByHeader(o.header)
	case orderNone:
		return nil
	}
	return BySubject
}

// MarshalText implements encoding.TextMarshaler.
func (o Order) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with [ParseOrder], so
// configuration libraries can parse orders.
func (o *Order) UnmarshalText(b []byte) error {
	v, err := ParseOrder(string(b))
	if err != nil {
		return err
	}
	*o = v
	return nil
}
