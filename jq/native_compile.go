package jq

import (
	"encoding/json"

	"github.com/itchyny/gojq"
)

// nativeCompiler translates a program, working out its projection on the
// way: the origin of a value is the projection node of the part of the
// input it is exactly (nil when it is anything else). Reading a member of
// a value with an origin adds the member to the projection; using such a
// value in any other way (use) marks all of it read. Every value whose
// origin is dropped is used, so a partly decoded object never reaches an
// operation that could tell.
type nativeCompiler struct {
	root *proj
}

func (c *nativeCompiler) use(o *proj) {
	if o != nil {
		o.all = true
	}
}

func (c *nativeCompiler) value(q *gojq.Query, in *proj) (node, bool) {
	n, o, ok := c.query(q, in)
	c.use(o)
	return n, ok
}

func (c *nativeCompiler) query(q *gojq.Query, in *proj) (node, *proj, bool) {
	if q == nil || q.Meta != nil || len(q.Imports) > 0 || len(q.FuncDefs) > 0 || len(q.Patterns) > 0 {
		return nil, nil, false
	}
	if q.Term != nil {
		return c.term(q.Term, in)
	}
	switch q.Op {
	case gojq.OpPipe:
		l, lo, ok := c.query(q.Left, in)
		if !ok {
			return nil, nil, false
		}
		r, ro, ok := c.query(q.Right, lo)
		if !ok {
			return nil, nil, false
		}
		return func(e *nativeEnv, in any) (any, res) {
			v, r1 := l(e, in)
			if r1 != one {
				return nil, r1
			}
			return r(e, v)
		}, ro, true
	case gojq.OpAnd, gojq.OpOr, gojq.OpAlt:
		l, ok1 := c.value(q.Left, in)
		r, ok2 := c.value(q.Right, in)
		if !ok1 || !ok2 {
			return nil, nil, false
		}
		return logic(q.Op, l, r), nil, true
	}
	op := binop(q.Op)
	if op == nil {
		return nil, nil, false
	}
	l, ok1 := c.value(q.Left, in)
	r, ok2 := c.value(q.Right, in)
	if !ok1 || !ok2 {
		return nil, nil, false
	}
	return func(e *nativeEnv, in any) (any, res) {
		// Both sides are evaluated, as gojq would: one that gojq would
		// fail on makes the whole run bail, even beside an empty one.
		x, rx := l(e, in)
		y, ry := r(e, in)
		switch {
		case rx == bail || ry == bail:
			return nil, bail
		case rx == none || ry == none:
			return nil, none
		}
		return op(x, y)
	}, nil, true
}

func logic(op gojq.Operator, l, r node) node {
	switch op {
	case gojq.OpAnd, gojq.OpOr:
		and := op == gojq.OpAnd
		return func(e *nativeEnv, in any) (any, res) {
			x, rx := l(e, in)
			if rx != one {
				return nil, rx
			}
			if truthy(x) != and {
				return !and, one // false and …, true or …
			}
			y, ry := r(e, in)
			if ry != one {
				return nil, ry
			}
			return truthy(y), one
		}
	}
	return func(e *nativeEnv, in any) (any, res) { // l // r
		x, rx := l(e, in)
		switch {
		case rx == bail: // gojq would hide an error of l: let it
			return nil, bail
		case rx == one && truthy(x):
			return x, one
		}
		return r(e, in)
	}
}

func truthy(v any) bool { return v != nil && v != false }

func (c *nativeCompiler) term(t *gojq.Term, in *proj) (node, *proj, bool) {
	n, o, ok := c.termBase(t, in)
	if !ok {
		return nil, nil, false
	}
	for _, s := range t.SuffixList {
		if s.Index == nil || s.Iter || s.Optional {
			return nil, nil, false
		}
		if n, o, ok = c.index(n, o, s.Index); !ok {
			return nil, nil, false
		}
	}
	return n, o, true
}

func identity(_ *nativeEnv, in any) (any, res) { return in, one }

func constant(v any) node {
	return func(*nativeEnv, any) (any, res) { return v, one }
}

func (c *nativeCompiler) termBase(t *gojq.Term, in *proj) (node, *proj, bool) {
	switch t.Type {
	case gojq.TermTypeIdentity:
		return identity, in, true
	case gojq.TermTypeIndex:
		return c.index(identity, in, t.Index)
	case gojq.TermTypeNull:
		return constant(nil), nil, true
	case gojq.TermTypeTrue:
		return constant(true), nil, true
	case gojq.TermTypeFalse:
		return constant(false), nil, true
	case gojq.TermTypeNumber:
		switch v := parseNumber(json.Number(t.Number)); v.(type) {
		case int, float64:
			return constant(v), nil, true
		}
	case gojq.TermTypeString:
		return c.str(t.Str, in)
	case gojq.TermTypeQuery:
		return c.query(t.Query, in)
	case gojq.TermTypeFunc:
		return c.call(t.Func, in)
	case gojq.TermTypeObject:
		return c.object(t.Object, in)
	case gojq.TermTypeArray:
		return c.array(t.Array, in)
	case gojq.TermTypeIf:
		return c.ifThen(t.If, in)
	case gojq.TermTypeUnary:
		if t.Unary.Op == gojq.OpSub {
			x, o, ok := c.term(t.Unary.Term, in)
			c.use(o)
			if ok {
				return func(e *nativeEnv, in any) (any, res) {
					v, r := x(e, in)
					if r != one {
						return nil, r
					}
					return negate(v)
				}, nil, true
			}
		}
	}
	return nil, nil, false
}

// str is a string literal; one with interpolations is what gojq makes of
// it: its parts, each piped to tostring but the literal ones, added up.
func (c *nativeCompiler) str(s *gojq.String, in *proj) (node, *proj, bool) {
	if s.Queries == nil {
		return constant(s.Str), nil, true
	}
	var q *gojq.Query
	for _, e := range s.Queries {
		if e.Term == nil || e.Term.Str == nil {
			e = &gojq.Query{Left: e, Op: gojq.OpPipe, Right: &gojq.Query{Term: &gojq.Term{Type: gojq.TermTypeFunc, Func: &gojq.Func{Name: "tostring"}}}}
		}
		if q == nil {
			q = e
		} else {
			q = &gojq.Query{Left: q, Op: gojq.OpAdd, Right: e}
		}
	}
	return c.query(q, in)
}

// ifThen is if … then … elif … else … end; no else is else .
func (c *nativeCompiler) ifThen(f *gojq.If, in *proj) (node, *proj, bool) {
	conds := []*gojq.Query{f.Cond}
	thens := []*gojq.Query{f.Then}
	for _, ei := range f.Elif {
		conds, thens = append(conds, ei.Cond), append(thens, ei.Then)
	}
	cs := make([]node, len(conds))
	ts := make([]node, len(thens))
	for i := range conds {
		var ok1, ok2 bool
		cs[i], ok1 = c.value(conds[i], in)
		ts[i], ok2 = c.value(thens[i], in)
		if !ok1 || !ok2 {
			return nil, nil, false
		}
	}
	els := node(identity)
	if f.Else != nil {
		var ok bool
		if els, ok = c.value(f.Else, in); !ok {
			return nil, nil, false
		}
	} else {
		c.use(in)
	}
	return func(e *nativeEnv, in any) (any, res) {
		for i, cond := range cs {
			v, r := cond(e, in)
			if r != one {
				return nil, r
			}
			if truthy(v) {
				return ts[i](e, in)
			}
		}
		return els(e, in)
	}, nil, true
}
