package jq

import (
	"fmt"
	"unsafe"
)

// proj is what a program reads of a JSON value: all of it, or only some
// members of it when it is an object, each with what is read of it. The
// fast path (native.go) works out a program's projection when it compiles
// it, and decodeProjected then builds only those members, skipping the
// rest of the payload (still checked, so that it accepts and rejects what
// decode does).
type proj struct {
	all   bool
	names []string // the members read, when not all
	kids  []*proj  // what is read of each
}

// child returns the projection of member name, adding it, and its index
// in p.names.
func (p *proj) child(name string) (*proj, int) {
	if i := p.member(name); i >= 0 {
		return p.kids[i], i
	}
	k := &proj{}
	p.names = append(p.names, name)
	p.kids = append(p.kids, k)
	return k, len(p.names) - 1
}

// member returns the index of member name in p.names, or -1 if it is not
// read.
func (p *proj) member(name string) int {
	for i, n := range p.names {
		if n == name {
			return i
		}
	}
	return -1
}

// partial is an object of the payload decoded as far as its projection p
// reads: vals[i] is the member p.names[i], nil when absent (which a read
// cannot tell from null). Only the fast path's reads of members see one:
// the projection of any object a program uses otherwise is whole.
type partial struct {
	vals   []any
	inline [8]any // vals, for up to 8 members
}

// reset makes p an empty partial object of n members.
func (p *partial) reset(n int) {
	if n <= len(p.inline) {
		p.vals = p.inline[:n]
	} else {
		p.vals = make([]any, n)
	}
}

// whole reports whether p reads all of its value.
func (p *proj) whole() bool { return p == nil || p.all }

// String shows the projection as the paths it reads, for tests.
func (p *proj) String() string {
	if p.whole() {
		return "."
	}
	s := "{"
	for i, n := range p.names {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%s:%v", n, p.kids[i])
	}
	return s + "}"
}

// decodeProjected is decode, but the objects p reads only some members of
// are partial objects holding only those members. It accepts and rejects
// exactly what decode does; its errors are not decode's, so a caller that
// reports them decodes again. If b is an object, root becomes it.
//
// With borrow set, the strings of the value share b's bytes instead of a
// copy of them: they are valid only while b is unchanged, for a caller that
// keeps none of them past its use of b (one that encodes what it outputs).
// It saves a copy of the payload per message.
func decodeProjected(b []byte, p *proj, root *partial, borrow bool) (any, error) {
	var text string
	if borrow {
		text = unsafe.String(unsafe.SliceData(b), len(b))
	} else {
		text = string(b)
	}
	if p.whole() {
		return decodeText(text)
	}
	d := decoders.Get().(*decoder)
	d.s, d.i, d.depth = text, 0, 0
	v, err := d.documentProjected(p, root)
	d.s = ""
	decoders.Put(d)
	return v, err
}

func (d *decoder) documentProjected(p *proj, root *partial) (any, error) {
	d.space()
	if d.i == len(d.s) {
		return nil, d.eof()
	}
	v, err := d.valueProjected(p, root)
	if err != nil {
		return nil, err
	}
	d.space()
	if d.i != len(d.s) {
		return nil, d.invalid("after top-level value")
	}
	return v, nil
}

// valueProjected decodes the value at d.i as p reads it, into m if it is
// an object and m is not nil.
func (d *decoder) valueProjected(p *proj, m *partial) (any, error) {
	if p.whole() || d.i == len(d.s) || d.s[d.i] != '{' {
		return d.value()
	}
	if m == nil {
		m = new(partial)
	}
	m.reset(len(p.names))
	err := d.members(func(k string) error {
		i := p.member(k)
		if i < 0 {
			return d.skip()
		}
		v, err := d.valueProjected(p.kids[i], nil)
		m.vals[i] = v // the last of duplicate names wins, as in decode
		return err
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// skip checks the value at d.i as value does and moves past it, building
// nothing (but the unquoted text of a string with escapes).
func (d *decoder) skip() error {
	if d.i == len(d.s) {
		return d.eof()
	}
	switch c := d.s[d.i]; c {
	case '{':
		return d.members(func(string) error { return d.skip() })
	case '[':
		if err := d.push(); err != nil {
			return err
		}
		if d.s[d.i] == ']' {
			d.i++
			d.depth--
			return nil
		}
		for {
			if err := d.skip(); err != nil {
				return err
			}
			more, err := d.next(']', "after array element")
			if !more {
				return err
			}
		}
	case '"':
		_, err := d.str()
		return err
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	case 'n':
		return d.literal("null")
	default:
		if c == '-' || '0' <= c && c <= '9' {
			_, err := d.numberEnd()
			return err
		}
		return d.invalid("looking for beginning of value")
	}
}
