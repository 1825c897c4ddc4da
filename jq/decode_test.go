package jq_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/itchyny/gojq"

	"github.com/natsbridge/bridge/jq"
	"github.com/natsbridge/bridge/stream"
)

// referenceDecode is the stage's decoder before it had its own: the
// definition of what a payload means. It parses b as exactly one JSON
// value followed by whitespace only, with json.Number for numbers.
func referenceDecode(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty payload")
		}
		return nil, err
	}
	for _, c := range b[dec.InputOffset():] {
		switch c {
		case ' ', '\t', '\n', '\r':
		default:
			return nil, fmt.Errorf("trailing data after offset %d", dec.InputOffset())
		}
	}
	return v, nil
}

// sameValue reports how got, from jq.Decode, differs from want, from
// referenceDecode, beyond the one documented difference: a number may come
// as the int or float64 gojq would make of it, when gojq prints that back
// as exactly the number's text and it is not zero.
func sameValue(got, want any) error {
	switch w := want.(type) {
	case json.Number:
		switch g := got.(type) {
		case json.Number:
			if g != w {
				return fmt.Errorf("number %s, want %s", g, w)
			}
			return nil
		case int:
			if i, err := strconv.Atoi(string(w)); err != nil || i != g || g == 0 {
				return fmt.Errorf("int %d for number %s", g, w)
			}
		case float64:
			if f, err := strconv.ParseFloat(string(w), 64); err != nil || f != g || g == 0 {
				return fmt.Errorf("float64 %v for number %s", g, w)
			}
		default:
			return fmt.Errorf("%T %v for number %s", got, got, w)
		}
		if b, _ := gojq.Marshal(got); string(b) != string(w) {
			return fmt.Errorf("%T %v prints as %s, want %s", got, got, b, w)
		}
		return nil
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) || g == nil {
			return fmt.Errorf("%#v, want %#v", got, want)
		}
		for i := range w {
			if err := sameValue(g[i], w[i]); err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
		}
		return nil
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return fmt.Errorf("%#v, want %#v", got, want)
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				return fmt.Errorf("key %q missing", k)
			}
			if err := sameValue(gv, wv); err != nil {
				return fmt.Errorf("[%q]: %w", k, err)
			}
		}
		return nil
	}
	if !reflect.DeepEqual(got, want) {
		return fmt.Errorf("%#v, want %#v", got, want)
	}
	return nil
}

// twinPrograms are run on both decodings of a payload: their outputs must
// be the same bytes, which shows gojq cannot tell the two apart. They
// touch every number in the ways gojq treats json.Number specially (its
// text is printed, negated and made absolute as text).
var twinPrograms = func() []*gojq.Code {
	var codes []*gojq.Code
	for _, src := range []string{
		`.`,
		`[.. | numbers | -., length, tojson, tostring, . + 0, . * 2, floor, type, (. == 1), (. < 2.5)]`,
		`[.. | numbers] | sort, unique, add, min, max`,
		`[paths], [.. | scalars | tojson] | tostring`,
		`[.. | arrays | .[0]?], [.. | objects | keys]`,
	} {
		q, err := gojq.Parse(src)
		if err != nil {
			panic(err)
		}
		c, err := gojq.Compile(q)
		if err != nil {
			panic(err)
		}
		codes = append(codes, c)
	}
	return codes
}()

func runTwin(t *testing.T, c *gojq.Code, v any) string {
	t.Helper()
	var out []string
	iter := c.Run(v)
	for {
		r, ok := iter.Next()
		if !ok {
			return strings.Join(out, "\n")
		}
		if err, ok := r.(error); ok {
			out = append(out, "error: "+err.Error())
			continue
		}
		b, _ := gojq.Marshal(r)
		out = append(out, string(b))
	}
}

// checkDecode compares jq.Decode with referenceDecode on one payload.
func checkDecode(t *testing.T, payload []byte) {
	t.Helper()
	got, err := jq.Decode(payload)
	want, wantErr := referenceDecode(payload)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("payload %q: Decode error %v, encoding/json error %v", payload, err, wantErr)
	}
	if err != nil {
		if !errors.Is(err, jq.ErrNotJSON) || !errors.Is(err, stream.ErrDecode) {
			t.Fatalf("payload %q: error %v does not match ErrNotJSON and stream.ErrDecode", payload, err)
		}
		return
	}
	if err := sameValue(got, want); err != nil {
		t.Fatalf("payload %q: %v", payload, err)
	}
	for _, c := range twinPrograms {
		if g, w := runTwin(t, c, got), runTwin(t, c, want); g != w {
			t.Fatalf("payload %q: gojq sees a difference:\n%s\nwant\n%s", payload, g, w)
		}
	}
}

var decodeCases = []string{
	// Accepted.
	`null`, `true`, `false`, `0`, `-0`, `1`, `-1`, `7`, `-255`, `256`, `123456789012345678`,
	`1234567890123456789`, `12345678901234567890`, `-9223372036854775808`, `9223372036854775807`,
	`3.5`, `-3.5`, `0.10`, `0.0`, `-0.0`, `1e2`, `1E2`, `1e+2`, `1e-2`, `1.5e-7`, `1e-7`, `1e21`,
	`1e400`, `-1e400`, `1e-400`, `0.1`, `0.30000000000000004`, `100`, `1.0`, `2.50`, `5e-324`,
	`""`, `"a"`, `"\u00e9\ud83d\ude00\ufffd\\\"\/\b\f\n\r\t"`, `"\u0000"`, `"\ud800"`, `"\udc00\ud800x"`,
	`"\ud800\u0041"`, `"\ud800\ud800\udc00"`, "\"\xff\xfe\"", "\"\xed\xa0\x80\"", "\"a\xc3\"", "\"\xef\xbf\xbd\"",
	"\"\x7f\"", `"\uD834\uDD1E"`, `"\u12aB"`,
	`[]`, `[1]`, `[1,2,[3,[]],{}]`, `{}`, `{"a":1}`, `{"a":1,"a":2}`, `{"":null}`, `{"a":{"b":[true]}}`,
	" \t\r\n{ \"a\" : [ 1 , 2 ] } \n\t\r ", `{"seq":1,"t":1700000000000000000,"id":"a-1","v":3.5,"tags":["x","y"]}`,
	// Rejected.
	``, ` `, "\n\t", `x`, `nul`, `nulL`, `nullx`, `truee`, `t`, `f`, `-`, `--1`, `+1`, `01`, `-01`, `00`, `1.`, `.5`,
	`1.e2`, `1e`, `1e+`, `1e+-2`, `1ee2`, `0x10`, `1_000`, `NaN`, `Infinity`, `-Infinity`,
	`"`, `"abc`, `"\`, `"\x"`, `"\'"`, `"\u12"`, `"\u12g4"`, `"\ud800\u12g4"`, "\"a\nb\"", "\"\x00\"", "\"\x1f\"",
	`[`, `[1`, `[1,`, `[1,]`, `[,1]`, `[1 2]`, `]`, `{`, `{"a"`, `{"a":`, `{"a":1`, `{"a":1,}`, `{a:1}`,
	`{"a" 1}`, `{"a":1 "b":2}`, `{1:2}`, `{"a":1}}`, `[]]`, `1 2`, `{} {}`, `{"a":1} x`, "\xef\xbb\xbf{}",
	"{}\x00", `'a'`, "\v1", "1\v", "\u00a01",
}

func TestDecode(t *testing.T) {
	for _, payload := range decodeCases {
		t.Run(payload, func(t *testing.T) { checkDecode(t, []byte(payload)) })
	}
}

// TestDecodeDepth checks encoding/json's nesting limit: 10000 levels are
// fine, 10001 are not, for arrays and objects alike.
func TestDecodeDepth(t *testing.T) {
	for _, depth := range []int{9999, 10000, 10001, 20000} {
		arrays := strings.Repeat("[", depth) + strings.Repeat("]", depth)
		objects := strings.Repeat(`{"a":`, depth-1) + "{}" + strings.Repeat("}", depth-1)
		for name, payload := range map[string]string{"arrays": arrays, "objects": objects} {
			t.Run(fmt.Sprint(name, depth), func(t *testing.T) {
				_, err := jq.Decode([]byte(payload))
				_, wantErr := referenceDecode([]byte(payload))
				if (err == nil) != (wantErr == nil) || (err == nil) != (depth <= 10000) {
					t.Fatalf("depth %d: error %v, encoding/json %v", depth, err, wantErr)
				}
				if err != nil && !strings.Contains(err.Error(), "exceeded max depth") {
					t.Errorf("error %q does not say why", err)
				}
			})
		}
	}
}

// TestDecodeTypes checks that numbers come as the types gojq accepts, and
// that big integers and decimals keep their text.
func TestDecodeTypes(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{`42`, 42},
		{`-7`, -7},
		{`0`, json.Number("0")},
		{`-0`, json.Number("-0")},
		{`3.5`, 3.5},
		{`0.10`, json.Number("0.10")},
		{`1E2`, json.Number("1E2")},
		{`1e-7`, 1e-7},
		{`123456789012345678`, 123456789012345678},
		{`1234567890123456789`, json.Number("1234567890123456789")},
		{`12345678901234567890`, json.Number("12345678901234567890")},
		{`1e400`, json.Number("1e400")},
		{`[]`, []any{}},
	}
	for _, tc := range tests {
		got, err := jq.Decode([]byte(tc.in))
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Decode(%s) = %#v, %v; want %#v", tc.in, got, err, tc.want)
		}
	}
}

// FuzzDecode compares the stage's decoder with encoding/json, the
// reference: they must accept and reject the same payloads, and where they
// accept, the values must be equal up to the documented number types, and
// gojq must compute the same from both.
func FuzzDecode(f *testing.F) {
	for _, c := range decodeCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, payload []byte) { checkDecode(t, payload) })
}
