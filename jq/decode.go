package jq

import (
	"fmt"
	"strconv"
	"sync"
)

// maxDepth is encoding/json's nesting limit: 10000 nested arrays or
// objects are accepted, one more is not.
const maxDepth = 10000

// decode parses b as exactly one JSON value (surrounded by whitespace
// only) into the types gojq accepts. It accepts and rejects exactly the
// payloads encoding/json's Decoder accepts and rejects, and yields the same
// values as its UseNumber mode, with one difference gojq cannot see: a
// number that gojq would turn into an int or a float64 before using it,
// and that it prints back as exactly its text, comes as that int or
// float64 rather than a json.Number (1, -42 and 3.5, but not 0, -0, 0.10,
// 1E2 or 12345678901234567890). Programs cannot tell them apart, and gojq
// is spared parsing the text again on every use; decode_test.go checks
// the equivalence.
//
// Like encoding/json, decode keeps the last of duplicate object names,
// replaces each byte of invalid UTF-8 in a string (and each unpaired
// surrogate escape) with U+FFFD, and rejects nesting deeper than 10000.
//
// It is faster than encoding/json because it makes one pass with no
// reflection and no separate validation scan, copies the payload into one
// string whose substrings become the strings and numbers of the result
// (only strings with escapes or invalid UTF-8 are built anew), and sizes
// every array exactly.
func decode(b []byte) (any, error) { return decodeText(string(b)) }

// decodeText is decode of the text s, whose strings the value shares.
func decodeText(s string) (any, error) {
	d := decoders.Get().(*decoder)
	d.s, d.i = s, 0
	v, err := d.document()
	d.s = ""
	if cap(d.stack) > 1<<12 {
		d.stack = nil // do not pin the scratch space of one huge array
	}
	if cap(d.buf) > 1<<16 {
		d.buf = nil
	}
	decoders.Put(d)
	return v, err
}

var decoders = sync.Pool{New: func() any { return new(decoder) }}

// decoder is the state of one decode: the input, the position, and scratch
// space reused across payloads.
type decoder struct {
	s     string
	i     int
	depth int
	stack []any  // elements of the arrays being parsed
	buf   []byte // a string with escapes being unquoted
}

func (d *decoder) document() (any, error) {
	d.depth = 0
	d.space()
	if d.i == len(d.s) {
		return nil, fmt.Errorf("%w: empty payload", ErrNotJSON)
	}
	v, err := d.value()
	if err != nil {
		return nil, err
	}
	end := d.i
	d.space()
	if d.i != len(d.s) {
		return nil, fmt.Errorf("%w: trailing data after offset %d", ErrNotJSON, end)
	}
	return v, nil
}

func (d *decoder) space() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *decoder) value() (any, error) {
	if d.i == len(d.s) {
		return nil, d.eof()
	}
	switch c := d.s[d.i]; c {
	case '{':
		return d.object()
	case '[':
		return d.array()
	case '"':
		s, err := d.str()
		if err != nil {
			return nil, err
		}
		return s, nil
	case 't':
		return true, d.literal("true")
	case 'f':
		return false, d.literal("false")
	case 'n':
		return nil, d.literal("null")
	default:
		if c == '-' || '0' <= c && c <= '9' {
			return d.number()
		}
		return nil, d.invalid("looking for beginning of value")
	}
}

func (d *decoder) literal(lit string) error {
	for j := 0; j < len(lit); j++ {
		if d.i == len(d.s) {
			return d.eof()
		}
		if d.s[d.i] != lit[j] {
			return d.invalid("in literal " + lit)
		}
		d.i++
	}
	return nil
}

func (d *decoder) push() error {
	if d.depth++; d.depth > maxDepth {
		return fmt.Errorf("%w: exceeded max depth %d at offset %d", ErrNotJSON, maxDepth, d.i)
	}
	d.i++
	d.space()
	if d.i == len(d.s) {
		return d.eof()
	}
	return nil
}

// next skips the comma or the closing bracket after a member or element:
// it reports whether the container goes on.
func (d *decoder) next(closing byte, context string) (bool, error) {
	d.space()
	if d.i == len(d.s) {
		return false, d.eof()
	}
	switch d.s[d.i] {
	case ',':
		d.i++
		d.space()
		if d.i == len(d.s) {
			return false, d.eof()
		}
		return true, nil
	case closing:
		d.i++
		d.depth--
		return false, nil
	}
	return false, d.invalid(context)
}

func (d *decoder) object() (any, error) {
	m := make(map[string]any)
	err := d.members(func(k string) error {
		v, err := d.value()
		m[k] = v // the last of duplicate names wins, as in encoding/json
		return err
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// members parses the object at d.i, calling member with each name and d.i
// at its value, which member moves past.
func (d *decoder) members(member func(name string) error) error {
	if err := d.push(); err != nil {
		return err
	}
	if d.s[d.i] == '}' {
		d.i++
		d.depth--
		return nil
	}
	for {
		if d.s[d.i] != '"' {
			return d.invalid("looking for beginning of object key string")
		}
		k, err := d.str()
		if err != nil {
			return err
		}
		d.space()
		if d.i == len(d.s) {
			return d.eof()
		}
		if d.s[d.i] != ':' {
			return d.invalid("after object key")
		}
		d.i++
		d.space()
		if err := member(k); err != nil {
			return err
		}
		more, err := d.next('}', "after object key:value pair")
		if !more {
			return err
		}
	}
}

func (d *decoder) array() (any, error) {
	if err := d.push(); err != nil {
		return nil, err
	}
	if d.s[d.i] == ']' {
		d.i++
		d.depth--
		return []any{}, nil
	}
	base := len(d.stack)
	defer func() {
		clear(d.stack[base:])
		d.stack = d.stack[:base]
	}()
	for {
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		d.stack = append(d.stack, v)
		more, err := d.next(']', "after array element")
		if !more {
			if err != nil {
				return nil, err
			}
			a := make([]any, len(d.stack)-base)
			copy(a, d.stack[base:])
			return a, nil
		}
	}
}

func (d *decoder) eof() error {
	return fmt.Errorf("%w: unexpected EOF at offset %d", ErrNotJSON, d.i)
}

func (d *decoder) invalid(context string) error {
	return fmt.Errorf("%w: invalid character %s %s at offset %d", ErrNotJSON, quoteChar(d.s[d.i]), context, d.i)
}

// quoteChar formats c as encoding/json's syntax errors do.
func quoteChar(c byte) string {
	switch c {
	case '\'':
		return `'\''`
	case '"':
		return `'"'`
	}
	s := strconv.Quote(string(rune(c)))
	return "'" + s[1:len(s)-1] + "'"
}
