package jq

import (
	"encoding/json"
	"maps"
	"math"
	"math/big"
	"slices"
	"strings"

	"github.com/itchyny/gojq"

	"github.com/natsbridge/bridge/artifact"
)

// The fast path. Most route programs are a handful of field reads, a
// little arithmetic and comparison, and an object built from them. For
// those, starting gojq's interpreter costs more than the program itself:
// gojq builds an environment, stacks and closures per run. So Compile also
// translates a program made only of such parts into a tree of Go
// functions (a native program) that evaluates each output directly, on a
// payload decoded only as far as the program reads it (project.go).
//
// The translation is conservative. A program using any other part of jq
// has no native form and always runs on gojq. A native program gives up
// (bail) at run time whenever gojq might do something it does not know
// of: an error, a type it does not handle, an integer overflow. The input
// then runs on gojq from the start, and nothing the native program did is
// seen: it emits only once it has every output. So a native program emits
// exactly what gojq would, or leaves the input to gojq; native_test.go
// checks that against gojq on generated programs and payloads.

// res is how an evaluation ended.
type res uint8

const (
	one  res = iota // one value
	none            // no value: select was false, or empty
	bail            // unknown ground: run the program on gojq instead
)

// node evaluates one part of a native program on its input.
type node func(e *nativeEnv, in any) (any, res)

// nativeEnv is what a run of a native program reads besides its input.
type nativeEnv struct {
	msg     *artifact.Artifact
	headers any // $headers, made on first use
}

func (e *nativeEnv) headersValue() any {
	if e.headers == nil {
		e.headers = headersValue(e.msg.Meta)
	}
	return e.headers
}

// nativeProgram is a program's native form.
type nativeProgram struct {
	outs []node     // one per comma-separated output of the program
	encs []encoder  // the same, encoding their values, for payload mode
	msgs []messager // the same for message mode; nil where outs serves
	proj *proj      // what the program reads of its input
}

// pending is an output value of a program in message mode, not yet made
// into a message: the parts of the object describing it, or a value.
type pending struct {
	parts   messageParts
	v       any
	isParts bool
}

// messages evaluates every output of the program on in, in message mode,
// appending them to ps. It reports false if the program must run on gojq
// instead.
func (n *nativeProgram) messages(e *nativeEnv, in any, ps []pending) ([]pending, bool) {
	for i, out := range n.outs {
		var (
			p pending
			r res
		)
		if m := n.msgs[i]; m != nil {
			p.parts, r = m(e, in)
			p.isParts = true
		} else {
			p.v, r = out(e, in)
		}
		switch r {
		case bail:
			return ps, false
		case one:
			ps = append(ps, p)
		}
	}
	return ps, true
}

// compileNative returns the native form of q, or nil if q uses a part of
// jq that has none.
func compileNative(q *gojq.Query) *nativeProgram {
	if q.Meta != nil || len(q.Imports) > 0 || len(q.FuncDefs) > 0 {
		return nil
	}
	c := &nativeCompiler{root: &proj{}}
	var (
		outs []node
		encs []encoder
		msgs []messager
	)
	for _, part := range commaParts(q, nil) {
		n, o, ok := c.query(part, c.root)
		if !ok {
			return nil
		}
		c.use(o)
		outs, encs = append(outs, n), append(encs, c.encoderOf(part, n, c.root))
		msgs = append(msgs, c.messagerOf(part, c.root))
	}
	return &nativeProgram{outs: outs, encs: encs, msgs: msgs, proj: c.root}
}

// encode evaluates every output of the program on in, appending their
// encodings to b, and returns where each ends. It reports false if the
// program must run on gojq instead.
func (n *nativeProgram) encode(e *nativeEnv, in any, b []byte, ends []int) ([]byte, []int, bool) {
	for _, enc := range n.encs {
		var r res
		if b, r = enc(e, in, b); r == bail {
			return b, ends, false
		}
		if r == one {
			ends = append(ends, len(b))
		}
	}
	return b, ends, true
}

// commaParts returns the parts of q separated by top-level commas.
func commaParts(q *gojq.Query, parts []*gojq.Query) []*gojq.Query {
	if q.Op == gojq.OpComma {
		return commaParts(q.Right, commaParts(q.Left, parts))
	}
	return append(parts, q)
}

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

// index is x.name, x."name", x["name"] or x[n] for a literal integer n ≥ 0.
func (c *nativeCompiler) index(x node, o *proj, ix *gojq.Index) (node, *proj, bool) {
	if ix.IsSlice || ix.End != nil {
		return nil, nil, false
	}
	name, isName := ix.Name, ix.Name != ""
	if ix.Str != nil {
		if ix.Str.Queries != nil {
			return nil, nil, false
		}
		name, isName = ix.Str.Str, true
	}
	if isName {
		var (
			ko   *proj
			slot int
		)
		if o != nil {
			ko, slot = o.child(name)
		}
		return func(e *nativeEnv, in any) (any, res) {
			v, r := x(e, in)
			if r != one {
				return nil, r
			}
			switch v := v.(type) {
			case nil:
				return nil, one
			case map[string]any:
				return v[name], one
			case *partial: // decoded by o, which has name at slot
				return v.vals[slot], one
			}
			return nil, bail
		}, ko, true
	}
	if ix.Start == nil {
		return nil, nil, false
	}
	if ix.Start.Term != nil && ix.Start.Term.Str != nil && ix.Start.Term.Str.Queries == nil && len(ix.Start.Term.SuffixList) == 0 {
		// x["name"]
		return c.index(x, o, &gojq.Index{Str: ix.Start.Term.Str})
	}
	t := ix.Start.Term
	if t == nil || t.Type != gojq.TermTypeNumber || len(t.SuffixList) > 0 {
		return nil, nil, false
	}
	i, isInt := parseNumber(json.Number(t.Number)).(int)
	if !isInt || i < 0 {
		return nil, nil, false
	}
	c.use(o)
	return func(e *nativeEnv, in any) (any, res) {
		v, r := x(e, in)
		if r != one {
			return nil, r
		}
		switch v := v.(type) {
		case nil:
			return nil, one
		case []any:
			if i < len(v) {
				return v[i], one
			}
			return nil, one
		}
		return nil, bail
	}, nil, true
}

// object is {k: v, …} with keys known when compiling.
func (c *nativeCompiler) object(obj *gojq.Object, in *proj) (node, *proj, bool) {
	keys, vals, ok := c.objectParts(obj, in)
	if !ok {
		return nil, nil, false
	}
	return func(e *nativeEnv, in any) (any, res) {
		var small [maxEncodedKeys]any
		vs, r := evalEach(e, in, vals, small[:0])
		if r != one {
			return nil, r
		}
		m := make(map[string]any, len(keys))
		for i, v := range vs {
			m[keys[i]] = v // a later duplicate key wins, as in gojq
		}
		return m, one
	}, nil, true
}

// evalEach evaluates every node on in, appending to vs the values of
// those that give one. It evaluates them all, as gojq would, so that one
// that would fail is seen even beside one that gives no value: it returns
// bail if any bailed, else none if any gave no value.
func evalEach(e *nativeEnv, in any, nodes []node, vs []any) ([]any, res) {
	r := one
	for _, n := range nodes {
		v, rn := n(e, in)
		switch rn {
		case bail:
			return vs, bail
		case none:
			r = none
			continue
		}
		vs = append(vs, v)
	}
	return vs, r
}

// objectParts compiles the keys and values of an object construction.
func (c *nativeCompiler) objectParts(obj *gojq.Object, in *proj) ([]string, []node, bool) {
	keys := make([]string, 0, len(obj.KeyVals))
	vals := make([]node, 0, len(obj.KeyVals))
	for _, kv := range obj.KeyVals {
		var (
			key string
			val node
			ok  bool
		)
		switch {
		case kv.KeyQuery != nil:
			return nil, nil, false
		case kv.KeyString != nil:
			if kv.KeyString.Queries != nil || kv.Val == nil {
				return nil, nil, false
			}
			key = kv.KeyString.Str
		case strings.HasPrefix(kv.Key, "$"):
			if kv.Val != nil { // {$x: v} is a syntax error
				return nil, nil, false
			}
			// {$subject} is {subject: $subject}
			key = kv.Key[1:]
			if val, _, ok = c.call(&gojq.Func{Name: kv.Key}, in); !ok {
				return nil, nil, false
			}
		case strings.HasPrefix(kv.Key, "@"):
			return nil, nil, false
		default:
			key = kv.Key
		}
		if val == nil {
			if kv.Val == nil {
				// {name} is {name: .name}
				val, ok = c.value(&gojq.Query{Term: &gojq.Term{Type: gojq.TermTypeIndex, Index: &gojq.Index{Name: key}}}, in)
			} else {
				val, ok = c.value(kv.Val, in)
			}
			if !ok {
				return nil, nil, false
			}
		}
		keys, vals = append(keys, key), append(vals, val)
	}
	return keys, vals, true
}

// encoder evaluates an output of a program in payload mode and appends its
// encoding to b.
type encoder func(e *nativeEnv, in any, b []byte) ([]byte, res)

// encoderOf returns the encoder of a top-level part of a program, whose
// node is n. An object construction is encoded as it is evaluated, with
// its keys sorted once and for all, and no map in between.
func (c *nativeCompiler) encoderOf(part *gojq.Query, n node, in *proj) encoder {
	t := part.Term
	if t == nil || t.Type != gojq.TermTypeObject || len(t.SuffixList) > 0 || len(t.Object.KeyVals) > maxEncodedKeys {
		return func(e *nativeEnv, in any, b []byte) ([]byte, res) {
			v, r := n(e, in)
			if r != one {
				return b, r
			}
			b, err := appendValue(b, v)
			if err != nil {
				return b, bail
			}
			return b, one
		}
	}
	keys, vals, _ := c.objectParts(t.Object, in) // as n was: it compiles
	// The members in encoding order, each once with the last value given
	// for its key.
	last := map[string]int{}
	for i, k := range keys {
		last[k] = i
	}
	type member struct {
		prefix []byte // "key":
		val    int
	}
	sorted := slices.Sorted(maps.Keys(last))
	members := make([]member, len(sorted))
	for i, k := range sorted {
		members[i] = member{append(appendString(nil, k), ':'), last[k]}
	}
	return func(e *nativeEnv, in any, b []byte) ([]byte, res) {
		var small [maxEncodedKeys]any
		vs, r := evalEach(e, in, vals, small[:0])
		if r != one {
			return b, r
		}
		b = append(b, '{')
		for i, m := range members {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, m.prefix...)
			var err error
			if b, err = appendValue(b, vs[m.val]); err != nil {
				return b, bail
			}
		}
		return append(b, '}'), one
	}
}

// messager evaluates an output of a program in message mode: an object
// describing a message, made without a map.
type messager func(e *nativeEnv, in any) (messageParts, res)

// messagerOf returns the messager of a top-level part of a program, if it
// is an object construction with only the keys subject, headers and
// payload; nil otherwise (the part's node serves, and output checks its
// value).
func (c *nativeCompiler) messagerOf(part *gojq.Query, in *proj) messager {
	t := part.Term
	if t == nil || t.Type != gojq.TermTypeObject || len(t.SuffixList) > 0 {
		return nil
	}
	keys, vals, _ := c.objectParts(t.Object, in) // as the part's node: it compiles
	for _, k := range keys {
		if k != "subject" && k != "headers" && k != "payload" {
			return nil
		}
	}
	return func(e *nativeEnv, in any) (messageParts, res) {
		var (
			m     messageParts
			small [3]any
		)
		vs, r := evalEach(e, in, vals, small[:0])
		if r != one {
			return m, r
		}
		for i, v := range vs {
			switch keys[i] { // a later duplicate key wins
			case "subject":
				m.subject, m.hasSubject = v, true
			case "headers":
				m.headers, m.hasHeaders = v, true
			default:
				m.payload, m.hasPayload = v, true
			}
		}
		return m, r
	}
}

// maxEncodedKeys bounds the objects encoderOf encodes directly.
const maxEncodedKeys = 16

// array is [a, b, …]: the values of its comma-separated parts.
func (c *nativeCompiler) array(a *gojq.Array, in *proj) (node, *proj, bool) {
	if a.Query == nil {
		return func(*nativeEnv, any) (any, res) { return []any{}, one }, nil, true
	}
	parts := commaParts(a.Query, nil)
	elems := make([]node, len(parts))
	for i, p := range parts {
		var ok bool
		if elems[i], ok = c.value(p, in); !ok {
			return nil, nil, false
		}
	}
	return func(e *nativeEnv, in any) (any, res) {
		vs, r := evalEach(e, in, elems, make([]any, 0, len(elems)))
		if r == bail {
			return nil, bail
		}
		return vs, one // the parts without a value add none
	}, nil, true
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

// call is a variable or a call of one of the few functions the fast path
// knows.
func (c *nativeCompiler) call(f *gojq.Func, in *proj) (node, *proj, bool) {
	switch {
	case f.Name == "$subject" && len(f.Args) == 0:
		return func(e *nativeEnv, _ any) (any, res) { return e.msg.Subject, one }, nil, true
	case f.Name == "$headers" && len(f.Args) == 0:
		return func(e *nativeEnv, _ any) (any, res) { return e.headersValue(), one }, nil, true
	case f.Name == "header" && len(f.Args) == 1:
		a := f.Args[0]
		if a.Term == nil || a.Term.Type != gojq.TermTypeString || a.Term.Str.Queries != nil || len(a.Term.SuffixList) > 0 {
			return nil, nil, false
		}
		name := a.Term.Str.Str
		return func(e *nativeEnv, _ any) (any, res) { return lookupHeader(e.headersValue(), []any{name}), one }, nil, true
	case f.Name == "select" && len(f.Args) == 1:
		cond, ok := c.value(f.Args[0], in)
		if !ok {
			return nil, nil, false
		}
		return func(e *nativeEnv, in any) (any, res) {
			v, r := cond(e, in)
			if r != one {
				return nil, r
			}
			if truthy(v) {
				return in, one
			}
			return nil, none
		}, in, true
	case f.Name == "empty" && len(f.Args) == 0:
		return func(*nativeEnv, any) (any, res) { return nil, none }, nil, true
	}
	fn := funcs[f.Name]
	if fn == nil || len(f.Args) > 0 {
		return nil, nil, false
	}
	c.use(in)
	return func(_ *nativeEnv, in any) (any, res) { return fn(in) }, nil, true
}

// funcs are the functions of no arguments the fast path knows, each as
// gojq defines it, for the inputs it handles.
var funcs = map[string]func(any) (any, res){
	"not": func(v any) (any, res) { return !truthy(v), one },
	"type": func(v any) (any, res) {
		return gojq.TypeOf(v), one
	},
	"tostring": func(v any) (any, res) {
		if s, ok := v.(string); ok {
			return s, one
		}
		b, err := encode(v, 0)
		if err != nil {
			return nil, bail
		}
		return string(b), one
	},
	"length": func(v any) (any, res) {
		switch v := v.(type) {
		case nil:
			return 0, one
		case string:
			return len([]rune(v)), one
		case []any:
			return len(v), one
		case map[string]any:
			return len(v), one
		case float64:
			return math.Abs(v), one
		case int:
			if v == math.MinInt {
				return nil, bail
			}
			return max(v, -v), one
		}
		return nil, bail
	},
	"ascii_downcase": asciiCase('A', 'Z', 'a'-'A'),
	"ascii_upcase":   asciiCase('a', 'z', 'A'-'a'),
}

func asciiCase(lo, hi, shift rune) func(any) (any, res) {
	return func(v any) (any, res) {
		s, ok := v.(string)
		if !ok {
			return nil, bail
		}
		return strings.Map(func(r rune) rune {
			if lo <= r && r <= hi {
				return r + shift
			}
			return r
		}, s), one
	}
}

// parseNumber turns a number's text into the value gojq makes of it, as
// gojq's own parseNumber does (for literals, and for json.Number before
// arithmetic).
func parseNumber(v json.Number) any {
	if i, err := v.Int64(); err == nil && math.MinInt <= i && i <= math.MaxInt {
		return int(i)
	}
	if strings.ContainsAny(v.String(), ".eE") {
		if f, err := v.Float64(); err == nil {
			return f
		}
	}
	if bi, ok := new(big.Int).SetString(v.String(), 10); ok {
		return bi
	}
	if strings.HasPrefix(v.String(), "-") {
		return math.Inf(-1)
	}
	return math.Inf(1)
}
