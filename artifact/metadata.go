package artifact

import (
	"fmt"
	"maps"
	"strconv"
	"time"
)

// Well-known metadata keys.
const (
	// KeyType names the kind of payload, e.g. "order.created". The
	// stream package's type-enforcement middleware checks it.
	KeyType = "Bridge-Type"
	// KeyError carries an error message; an artifact that has it is treated
	// as failed by consumers (see [Artifact.Err]).
	KeyError = "Bridge-Error"
	// KeyContentType is the MIME type of the payload.
	KeyContentType = "Content-Type"
)

// Metadata maps case-sensitive keys to one or more values. It has the same
// underlying type as nats.Header, so the two convert without copying.
//
// Reading methods are safe on a nil Metadata; writing methods need a
// non-nil map (see [Artifact.SetMeta]).
type Metadata map[string][]string

// Get returns the first value of key, or "".
func (m Metadata) Get(key string) string {
	v, _ := m.Lookup(key)
	return v
}

// Lookup returns the first value of key and whether the key has any value.
func (m Metadata) Lookup(key string) (string, bool) {
	if vs := m[key]; len(vs) > 0 {
		return vs[0], true
	}
	return "", false
}

// Values returns all values of key. The slice is the map's own; do not
// modify it.
func (m Metadata) Values(key string) []string { return m[key] }

// Set replaces the values of key with v.
func (m Metadata) Set(key, v string) { m[key] = []string{v} }

// Add appends v to the values of key.
func (m Metadata) Add(key, v string) { m[key] = append(m[key], v) }

// Del removes key.
func (m Metadata) Del(key string) { delete(m, key) }

// Clone returns a deep copy of m; nil stays nil.
func (m Metadata) Clone() Metadata {
	if m == nil {
		return nil
	}
	c := make(Metadata, len(m))
	for k, vs := range m {
		c[k] = append([]string(nil), vs...)
	}
	return c
}

// Equal reports whether m and o hold the same keys and values, treating nil
// and empty as equal.
func (m Metadata) Equal(o Metadata) bool {
	return maps.EqualFunc(m, o, func(a, b []string) bool {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	})
}

// Int64 parses the first value of key as a base-10 integer.
func (m Metadata) Int64(key string) (int64, error) { return Get[int64](m, key) }

// Float64 parses the first value of key as a floating-point number.
func (m Metadata) Float64(key string) (float64, error) { return Get[float64](m, key) }

// Bool parses the first value of key with [strconv.ParseBool].
func (m Metadata) Bool(key string) (bool, error) { return Get[bool](m, key) }

// Time parses the first value of key as RFC 3339 with nanoseconds.
func (m Metadata) Time(key string) (time.Time, error) { return Get[time.Time](m, key) }

// Duration parses the first value of key with [time.ParseDuration].
func (m Metadata) Duration(key string) (time.Duration, error) { return Get[time.Duration](m, key) }

// Value is the set of types the typed metadata accessors handle.
type Value interface {
	string | int64 | float64 | bool | time.Time | time.Duration
}

// Get returns the first value of key parsed as T. It returns an error
// matching [ErrNoKey] when the key is absent and [ErrMalformed] when the value
// does not parse.
func Get[T Value](m Metadata, key string) (T, error) {
	var zero T
	s, ok := m.Lookup(key)
	if !ok {
		return zero, fmt.Errorf("%w: %q", ErrNoKey, key)
	}
	var (
		v   any
		err error
	)
	switch any(zero).(type) {
	case string:
		v = s
	case int64:
		v, err = strconv.ParseInt(s, 10, 64)
	case float64:
		v, err = strconv.ParseFloat(s, 64)
	case bool:
		v, err = strconv.ParseBool(s)
	case time.Time:
		v, err = time.Parse(time.RFC3339Nano, s)
	case time.Duration:
		v, err = time.ParseDuration(s)
	}
	if err != nil {
		return zero, fmt.Errorf("%w: metadata %q: %w", ErrMalformed, key, err)
	}
	return v.(T), nil
}

// Set stores v under key in its canonical string form, replacing any
// previous values. The form is the one [Get] parses back exactly.
func Set[T Value](m Metadata, key string, v T) {
	m.Set(key, format(v))
}

func format(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case time.Time:
		return v.Format(time.RFC3339Nano)
	case time.Duration:
		return v.String()
	}
	panic("unreachable: Value constraint")
}
