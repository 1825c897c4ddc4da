package jq

import (
	"encoding/json"
	"math"
	"strconv"
)

// intDigits is how many decimal digits always fit in an int.
const intDigits = 18 * (strconv.IntSize / 64)

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
// the float, a third of exactFloat's time; number_test.go checks it
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
