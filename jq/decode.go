package jq

import (
	"encoding/json"
	"fmt"
	"math"
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
func decode(b []byte) (any, error) {
	d := decoders.Get().(*decoder)
	d.s, d.i = string(b), 0
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

// intDigits is how many decimal digits always fit in an int.
const intDigits = 18 * (strconv.IntSize / 64)

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

func (d *decoder) number() (any, error) {
	start := d.i
	intEnd, err := d.numberEnd()
	if err != nil {
		return nil, err
	}
	s, i := d.s, d.i
	neg := s[start] == '-'
	digits := start
	if neg {
		digits++
	}
	text := s[start:i]
	if i == intEnd {
		// No leading zeros in JSON: s[digits] is '0' only for 0 and -0.
		if i-digits <= intDigits && s[digits] != '0' {
			n := 0
			for _, c := range []byte(s[digits:i]) {
				n = n*10 + int(c-'0')
			}
			if neg {
				n = -n
			}
			return n, nil
		}
	} else if f, ok := exactFloat(text); ok {
		return f, nil
	}
	return json.Number(text), nil
}

// numberEnd checks the syntax of the number at d.i and moves past it. It
// returns where the number's integer part ends.
func (d *decoder) numberEnd() (int, error) {
	s, i := d.s, d.i
	if s[i] == '-' {
		i++
	}
	switch {
	case i == len(s):
		d.i = i
		return 0, d.eof()
	case s[i] == '0':
		i++
	case '1' <= s[i] && s[i] <= '9':
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
	default:
		d.i = i
		return 0, d.invalid("in numeric literal")
	}
	intEnd := i
	if i < len(s) && s[i] == '.' {
		if i = d.digits(i + 1); i < 0 {
			return 0, d.numberError()
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i = d.digits(i); i < 0 {
			return 0, d.numberError()
		}
	}
	d.i = i
	return intEnd, nil
}

// exactFloat returns the float64 that text denotes if gojq prints that
// float64 as text, so that gojq cannot tell it from json.Number(text): it
// turns such a json.Number into the same float64 before any arithmetic,
// and prints both the same. Zero is left out: gojq negates a json.Number
// by editing its text, so -(0.0) would differ.
func exactFloat(text string) (float64, bool) {
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || f == 0 {
		return 0, false
	}
	if x := math.Abs(f); x >= 1e-6 && x < 1e21 && shortDecimal(text) {
		return f, true
	}
	var buf [32]byte
	return f, string(appendFloat(buf[:0], f)) == text
}

// shortDecimal reports whether text, a JSON number, is a decimal without
// exponent of at most 15 significant digits whose fraction does not end in
// 0. gojq prints the float64 nearest such a number, if it is at least 1e-6
// and under 1e21, as exactly that text: a float64 tells all decimals of 15
// digits apart, so the shortest text that denotes it has the same digits,
// and it is printed without exponent in that range. This spares formatting
// the float, a third of exactFloat's time; exactfloat_test.go checks it
// against formatting.
func shortDecimal(text string) bool {
	digits, leading, fraction := 0, true, false
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c == '.':
			fraction = true
		case '1' <= c && c <= '9', c == '0' && !leading:
			leading = false
			digits++
		case c != '0' && c != '-':
			return false // an exponent
		}
	}
	return fraction && digits <= 15 && text[len(text)-1] != '0'
}

// digits skips one or more digits from i and returns the index after
// them, or -1 with d.i at the offending position if there is none.
func (d *decoder) digits(i int) int {
	start := i
	for i < len(d.s) && '0' <= d.s[i] && d.s[i] <= '9' {
		i++
	}
	if i == start {
		d.i = i
		return -1
	}
	return i
}

func (d *decoder) numberError() error {
	if d.i == len(d.s) {
		return d.eof()
	}
	return d.invalid("in numeric literal")
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
