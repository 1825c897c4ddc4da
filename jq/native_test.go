package jq

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/natsbridge/bridge/artifact"
)

// TestNativeForms lists which programs get a fast path, and what each
// reads of its payload.
func TestNativeForms(t *testing.T) {
	for _, c := range []struct{ prog, proj string }{
		{`{seq: .seq, t: .t, id: .id, v: (.v * 2)}`, `{seq:. t:. id:. v:.}`},
		{`{subject: ("orders." + .kind)}`, `{kind:.}`},
		{`{subject: "orders.\(.kind)", payload: .}`, `.`},
		{`.`, `.`},
		{`.a | .b`, `{a:{b:.}}`},
		{`.a.b, .a`, `{a:.}`},
		{`select(.a.b > 1) | {x: .c, $subject}`, `{a:{b:.} c:.}`},
		{`select(.a.b > 1)`, `.`}, // select's output is its input: all of it
		{`if .n > 1 then {x: .c} else empty end`, `{n:. c:.}`},
		{`{id, total: (.price * .qty)} | select(.total > 10)`, `{id:. price:. qty:.}`},
		{`.items[0].id`, `{items:.}`},
		{`.["a b"], ."c"`, `{a b:. c:.}`},
		{`{headers: {"X-Kind": .kind}}`, `{kind:.}`},
		{`[.a, .b] | length`, `{a:. b:.}`},
		{`(.a // "x") | ascii_downcase`, `{a:.}`},
		{`header("X-Tenant") + $subject`, `{}`},
		{`{a: -(.b), b: (.c and .d or (.e | not))}`, `{b:. c:. d:. e:.}`},
	} {
		p, err := Compile(c.prog)
		if err != nil {
			t.Fatal(err)
		}
		if p.native == nil {
			t.Errorf("%s: no fast path", c.prog)
			continue
		}
		if got := p.native.proj.String(); got != c.proj {
			t.Errorf("%s: reads %s, want %s", c.prog, got, c.proj)
		}
	}
	for _, prog := range []string{
		`.items[]`, `def f: .; f`, `.a as $x | $x`, `.a?`, `.[1:2]`, `..`, `reduce .[] as $x (0; . + $x)`,
		`{(.k): 1}`, `keys`, `.a = 1`, `try .a catch "x"`, `$ENV`, `input`, `.[.i]`, `.[-1]`, `@base64`,
		`"\(.a)" | @text`, `{a: (1, 2)}`, `[.[] | .x]`, `label $out | 1`, `$__loc__`,
		`100000000000000000000`,
	} {
		p, err := Compile(prog)
		if err != nil {
			continue // not a program; nothing to say
		}
		if p.native != nil {
			t.Errorf("%s: fast path, want none", prog)
		}
	}
}

// nativeCases are programs with a fast path and payloads for them, some of
// which make it bail.
var nativeCases = []struct {
	prog     string
	payloads []string
}{
	{`{seq: .seq, t: .t, id: .id, v: (.v * 2)}`, []string{
		`{"seq":1,"t":17,"id":"a-1","v":3.5,"tags":["x","y"],"pad":"xx"}`,
		`{"seq":12345678901234567890,"v":0.10,"id":"\u00e9\"","t":-0}`,
		`{"v":"x"}`, `{"v":9223372036854775807}`, `[1]`, `"s"`, `null`, `{"v":1e400}`, `{"v":0}`,
		`{"a":1,"a":2,"v":2,"v":3}`, `{"seq":{"b":[1,{"c":2}]},"x":[[[]]]}`, `{"id":"\ud800"}`, "{\"id\":\"\xff\"}",
	}},
	{`{subject: ("orders." + .kind)}`, []string{`{"kind":"eu"}`, `{"kind":null}`, `{"kind":1}`, `{}`, `{"kind":"a\u0000b"}`}},
	{`select(.a.b > 1) | {x: .c, $subject}`, []string{`{"a":{"b":2},"c":[1]}`, `{"a":{"b":1}}`, `{"a":"s"}`, `{"a":{"b":"z"},"c":{}}`}},
	{`if .n > 1 then {x: .c} elif .n == 1 then "one" else empty end`, []string{`{"n":2,"c":3}`, `{"n":1}`, `{"n":0}`, `{}`}},
	{`.a.b, .a, .a[1], ."a"`, []string{`{"a":{"b":[1,2]}}`, `{"a":[1,2]}`, `{"a":null}`, `{"a":{"c":1}}`}},
	{`[.a, .b, select(.c)] | length`, []string{`{"a":1,"c":true}`, `{}`, `{"c":false}`}},
	{`(.a // "x") | ascii_downcase`, []string{`{"a":"ÀBc"}`, `{"a":false}`, `{"a":1}`, `{}`}},
	{`.a / .b, .a % .b, .a - .b, .a + .b, .a * .b`, []string{
		`{"a":7,"b":2}`, `{"a":7,"b":0}`, `{"a":7.5,"b":2}`, `{"a":-9223372036854775808,"b":-1}`, `{"a":6,"b":-1}`,
		`{"a":"x","b":"y"}`, `{"a":null,"b":2}`, `{"a":[1],"b":[2]}`, `{"a":1E2,"b":3}`, `{"a":0.5,"b":0.0}`,
	}},
	{`{a: -(.b), b: (.c and .d or (.e | not)), c: (.b | tostring), d: (.b | type), e: (.c | length)}`, []string{
		`{"b":1,"c":"abc","d":true,"e":false}`, `{"b":-0.0,"c":[1,2]}`, `{"b":"s"}`, `{"b":{"x":[1,"2"]},"c":{"a":1}}`, `{"c":true}`,
	}},
	{`header("X-Tenant") + "/" + $subject, $headers, {headers: {"X-Kind": .kind}, subject: "k.\(.kind)"}`, []string{`{"kind":"a"}`, `{"kind":2}`}},
	{`.a == .b, .a != .b, .a < .b, .a <= .b, .a > .b, .a >= .b`, []string{
		`{"a":1,"b":1.0}`, `{"a":"a","b":"b"}`, `{"a":[1,2],"b":[1]}`, `{"a":{"x":1},"b":{"y":0}}`, `{"a":null}`, `{"a":12345678901234567890,"b":1e19}`,
	}},
}

// TestNativeMatchesGojq runs every case both ways, in both emit modes, and
// wants the same outputs and errors.
func TestNativeMatchesGojq(t *testing.T) {
	handled := 0
	for _, c := range nativeCases {
		for _, payload := range c.payloads {
			for _, emit := range []Emit{EmitPayload, EmitMessage} {
				if sameAsGojq(t, c.prog, emit, payload, "orders.in", "x-tenant", "acme") {
					handled++
				}
			}
		}
	}
	if handled < 60 {
		t.Errorf("the fast path handled %d runs, want most of them", handled)
	}
}

// FuzzNative compares the fast path with gojq on programs generated from
// the fuzzer's bytes (all of them in the fast path's part of jq) and on
// arbitrary payloads.
func FuzzNative(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8}, []byte(`{"a":1,"b":{"a":2.5},"c":"x","d":[1,"y",null]}`), "X-T", "v")
	f.Add([]byte{2, 9, 0, 1, 3, 12, 4, 4}, []byte(`{"a":"A\u00e9","b":true,"c":0,"d":-3}`), "x-t", "")
	f.Add([]byte{11, 3, 7, 7, 1, 0, 2, 5, 9}, []byte(`{"a":12345678901234567890,"b":1E2,"c":null}`), "", "")
	f.Add([]byte{5, 5, 5, 1, 14, 2, 8}, []byte(`[{"a":1}]`), "X-T", "a")
	f.Fuzz(func(t *testing.T, progBytes, payload []byte, hname, hvalue string) {
		g := &progGen{b: progBytes}
		prog := g.program()
		p, err := Compile(prog)
		if err != nil {
			return
		}
		if p.native == nil {
			t.Fatalf("%s: generated program has no fast path", prog)
		}
		_, fullErr := decode(payload)
		for _, borrow := range []bool{false, true} {
			if _, err := decodeProjected(payload, p.native.proj, nil, borrow); (err == nil) != (fullErr == nil) {
				t.Fatalf("%s reads %v of %q: projected decode (borrowing %v) says %v, decode %v", prog, p.native.proj, payload, borrow, err, fullErr)
			}
		}
		for _, emit := range []Emit{EmitPayload, EmitMessage} {
			sameAsGojq(t, prog, emit, string(payload), "in.x", hname, hvalue)
		}
	})
}

// sameAsGojq runs prog on payload with and without its fast path and fails
// t if they differ. It reports whether the fast path handled the input.
func sameAsGojq(t *testing.T, prog string, emit Emit, payload, subject, hname, hvalue string) bool {
	t.Helper()
	fast, err := Compile(prog, WithEmit(emit))
	if err != nil {
		t.Fatalf("%s: %v", prog, err)
	}
	ref, err := Compile(prog, WithEmit(emit), WithGojqOnly())
	if err != nil {
		t.Fatal(err)
	}
	in := artifact.New(subject, []byte(payload))
	if hname != "" {
		in.Meta = artifact.Metadata{hname: {hvalue}}
	}
	lent, err := Compile(prog, WithEmit(emit), WithLentOutputs())
	if err != nil {
		t.Fatal(err)
	}
	want, wantErr := runProgram(ref, in, false)
	got, gotErr := runProgram(fast, in, false)
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || !reflect.DeepEqual(got, want) {
		t.Fatalf("%v %s on %q:\nfast path: %q, %v\ngojq:      %q, %v", emit, prog, payload, got, gotErr, want, wantErr)
	}
	got, gotErr = runProgram(lent, in, true)
	if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || !reflect.DeepEqual(got, want) {
		t.Fatalf("%v %s on %q:\nlent outputs: %q, %v\ngojq:         %q, %v", emit, prog, payload, got, gotErr, want, wantErr)
	}
	var handled bool
	if fast.native != nil {
		handled, _ = fast.processNative(in, func(*artifact.Artifact) error { return nil })
	}
	return handled
}

// runProgram returns what p emits for in, each output as its subject,
// sorted headers and payload. With scribble, it then rewrites each output
// as a sink that holds a lent one may.
func runProgram(p *Program, in *artifact.Artifact, scribble bool) ([]string, error) {
	var outs []string
	err := p.Process(context.Background(), in, func(a *artifact.Artifact) error {
		outs = append(outs, fmt.Sprintf("%s %v %s", a.Subject, a.Meta, a.Payload))
		if scribble && a != in {
			for k := range a.Meta {
				a.Meta[k] = []string{"#"}
			}
			if a.Meta != nil {
				a.Meta.Set("X-Scribbled", "#")
			}
			// A message-mode output without "payload" carries the
			// input's own bytes, which are not the sink's to change.
			if len(a.Payload) > 0 && (len(in.Payload) == 0 || &a.Payload[0] != &in.Payload[0]) {
				for i := range a.Payload {
					a.Payload[i] = '#'
				}
			}
		}
		return nil
	})
	return outs, err
}

// progGen makes a program of the fast path's part of jq from bytes.
type progGen struct {
	b []byte
	i int
}

func (g *progGen) pick(n int) int {
	if g.i >= len(g.b) {
		return 0
	}
	g.i++
	return int(g.b[g.i-1]) % n
}

func (g *progGen) program() string {
	parts := []string{g.expr(0)}
	for g.pick(4) == 1 {
		parts = append(parts, g.expr(0))
	}
	return strings.Join(parts, ", ")
}

var (
	genLeaves = []string{`.`, `.a`, `.b`, `.c`, `.d`, `.a.b`, `.b.a`, `.d[1]`, `.[0]`, `."a"`, `.["c"]`, `1`, `-2`, `3.5`, `0`,
		`1E2`, `"s"`, `"A"`, `null`, `true`, `false`, `$subject`, `header("x-t")`, `$headers`, `empty`, `9223372036854775807`}
	genOps   = []string{`+`, `-`, `*`, `/`, `%`, `==`, `!=`, `<`, `<=`, `>`, `>=`, `and`, `or`, `//`, `|`}
	genFuncs = []string{`not`, `length`, `tostring`, `type`, `ascii_downcase`, `ascii_upcase`}
	genKeys  = []string{`a`, `b`, `subject`, `payload`, `headers`, `"x y"`}
)

func (g *progGen) expr(depth int) string {
	if depth > 3 {
		return genLeaves[g.pick(len(genLeaves))]
	}
	d := depth + 1
	switch g.pick(12) {
	case 1:
		return "(" + g.expr(d) + " " + genOps[g.pick(len(genOps))] + " " + g.expr(d) + ")"
	case 2:
		s := "{"
		for i := range 1 + g.pick(3) {
			if i > 0 {
				s += ", "
			}
			switch k := genKeys[g.pick(len(genKeys))]; g.pick(4) {
			case 0:
				s += "$subject"
			case 1:
				if !strings.HasPrefix(k, `"`) {
					s += k // {a} is {a: .a}
					break
				}
				fallthrough
			default:
				s += k + ": " + g.expr(d)
			}
		}
		return s + "}"
	case 3:
		return "[" + g.expr(d) + ", " + g.expr(d) + "]"
	case 4:
		return "select(" + g.expr(d) + ")"
	case 5:
		return "if " + g.expr(d) + " then " + g.expr(d) + " elif " + g.expr(d) + " then " + g.expr(d) + " else " + g.expr(d) + " end"
	case 6:
		return "(" + g.expr(d) + " | " + genFuncs[g.pick(len(genFuncs))] + ")"
	case 7:
		return `"<\(` + g.expr(d) + `)>"`
	case 8:
		return "-(" + g.expr(d) + ")"
	case 9:
		return "(" + g.expr(d) + ")" + []string{`.a`, `.b`, `[0]`, `["a"]`}[g.pick(4)]
	case 10:
		return "if " + g.expr(d) + " then " + g.expr(d) + " end"
	}
	return genLeaves[g.pick(len(genLeaves))]
}
