package jq

import (
	"encoding/json"
	"strings"

	"github.com/itchyny/gojq"
)

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
	return objectNode(keys, vals), nil, true
}

// objectNode makes the map of an object construction.
func objectNode(keys []string, vals []node) node {
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
	}
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
