package jq

import (
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
		if obj := topObject(part); obj != nil {
			// Encoded, or made a message, without a map.
			keys, vals, ok := c.objectParts(obj, c.root)
			if !ok {
				return nil
			}
			outs = append(outs, objectNode(keys, vals))
			encs = append(encs, objectEncoder(keys, vals))
			msgs = append(msgs, objectMessager(keys, vals))
			continue
		}
		n, o, ok := c.query(part, c.root)
		if !ok {
			return nil
		}
		c.use(o)
		outs, encs, msgs = append(outs, n), append(encs, valueEncoder(n)), append(msgs, nil)
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

// topObject returns the object construction q is, if it is one.
func topObject(q *gojq.Query) *gojq.Object {
	t := q.Term
	if t == nil || t.Type != gojq.TermTypeObject || len(t.SuffixList) > 0 ||
		q.Meta != nil || len(q.Imports) > 0 || len(q.FuncDefs) > 0 || len(q.Patterns) > 0 {
		return nil
	}
	return t.Object
}

// commaParts returns the parts of q separated by top-level commas.
func commaParts(q *gojq.Query, parts []*gojq.Query) []*gojq.Query {
	if q.Op == gojq.OpComma {
		return commaParts(q.Right, commaParts(q.Left, parts))
	}
	return append(parts, q)
}
