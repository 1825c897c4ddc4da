package jq

import (
	"encoding/json"
	"math"
	"math/big"
	"strings"

	"github.com/itchyny/gojq"
)

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
