package jq

import (
	"encoding/json"
	"math"

	"github.com/itchyny/gojq"
)

// The operators of the fast path, each as gojq defines it for numbers
// (int and float64) and strings; anything else, and any result gojq would
// need a *big.Int for, bails.

type operator func(x, y any) (any, res)

func binop(op gojq.Operator) operator {
	switch op {
	case gojq.OpAdd:
		return arith(addInts, func(x, y float64) (any, res) { return x + y, one }, true)
	case gojq.OpSub:
		return arith(subInts, func(x, y float64) (any, res) { return x - y, one }, false)
	case gojq.OpMul:
		return arith(mulInts, func(x, y float64) (any, res) { return x * y, one }, false)
	case gojq.OpDiv:
		return arith(divInts, divFloats, false)
	case gojq.OpMod:
		return arith(modInts, nil, false)
	case gojq.OpEq:
		return compare(func(c int) bool { return c == 0 })
	case gojq.OpNe:
		return compare(func(c int) bool { return c != 0 })
	case gojq.OpLt:
		return compare(func(c int) bool { return c < 0 })
	case gojq.OpLe:
		return compare(func(c int) bool { return c <= 0 })
	case gojq.OpGt:
		return compare(func(c int) bool { return c > 0 })
	case gojq.OpGe:
		return compare(func(c int) bool { return c >= 0 })
	}
	return nil
}

// compare is gojq's: its comparison orders every pair of values.
func compare(test func(int) bool) operator {
	return func(x, y any) (any, res) { return test(gojq.Compare(x, y)), one }
}

// arith applies ints or floats to two numbers, as gojq's binopTypeSwitch
// does: a json.Number is parsed first, an int beside a float64 is
// converted. With add, strings are joined and null is the identity.
func arith(ints func(x, y int) (any, res), floats func(x, y float64) (any, res), add bool) operator {
	return func(x, y any) (any, res) {
		if n, ok := x.(json.Number); ok {
			x = parseNumber(n)
		}
		if n, ok := y.(json.Number); ok {
			y = parseNumber(n)
		}
		switch l := x.(type) {
		case int:
			switch r := y.(type) {
			case int:
				return ints(l, r)
			case float64:
				if floats != nil {
					return floats(float64(l), r)
				}
			}
		case float64:
			if floats == nil {
				break
			}
			switch r := y.(type) {
			case int:
				return floats(l, float64(r))
			case float64:
				return floats(l, r)
			}
		case string:
			if r, ok := y.(string); ok && add {
				return l + r, one
			}
		}
		if add {
			switch {
			case x == nil:
				return y, one
			case y == nil:
				return x, one
			}
		}
		return nil, bail
	}
}

func addInts(l, r int) (any, res) {
	if v := l + r; (v >= l) == (r >= 0) {
		return v, one
	}
	return nil, bail
}

func subInts(l, r int) (any, res) {
	if v := l - r; (v <= l) == (r >= 0) {
		return v, one
	}
	return nil, bail
}

func mulInts(l, r int) (any, res) {
	if r == -1 {
		return negate(l)
	}
	if v := l * r; r == 0 || v/r == l {
		return v, one
	}
	return nil, bail
}

func divInts(l, r int) (any, res) {
	switch r {
	case 0:
		return nil, bail
	case -1:
		return negate(l)
	}
	if l%r == 0 {
		return l / r, one
	}
	return float64(l) / float64(r), one
}

func divFloats(l, r float64) (any, res) {
	if r == 0 {
		return nil, bail
	}
	return l / r, one
}

func modInts(l, r int) (any, res) {
	switch r {
	case 0:
		return nil, bail
	case -1:
		return 0, one
	}
	return l % r, one
}

// negate is gojq's unary minus, for ints and floats.
func negate(v any) (any, res) {
	switch v := v.(type) {
	case int:
		if v == math.MinInt {
			return nil, bail
		}
		return -v, one
	case float64:
		return -v, one
	}
	return nil, bail
}
