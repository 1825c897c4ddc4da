package routetest_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/bridge"
	"github.com/natsbridge/bridge/internal/routetest"
)

// issueExample is the example of the format as the issue fixed it.
const issueExample = `tests:
  - name: adds a total            # required
    route: totals                 # the NAME of a route in the environment
    input:
      subject: invoices           # default: the route's IN when it is a literal subject
      headers: {X-Tenant: acme}   # name -> string or list of strings
      payload: '{"price":2,"qty":3}'   # the bytes, as a string
    output:                       # expected outputs in order; [] means filtered
      - subject: invoices.totals  # optional
        headers: {X-Tenant: acme} # optional; only the headers named are compared
        payload: '{"id":null,"total":6}'  # compared as JSON when both sides parse as JSON, else as bytes
  - name: rejects non-JSON
    route: totals
    input: {payload: 'nope'}
    fails: decode                 # instead of output: the failure reason expected
`

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		file string
		want []routetest.Case
	}{
		{
			name: "the issue's example",
			file: issueExample,
			want: []routetest.Case{
				{
					Name: "adds a total", Line: 2, Route: "totals",
					Input: routetest.Input{Subject: "invoices", Headers: artifact.Metadata{"X-Tenant": {"acme"}}, Payload: []byte(`{"price":2,"qty":3}`)},
					Output: []routetest.Output{{Subject: "invoices.totals", Headers: artifact.Metadata{"X-Tenant": {"acme"}},
						Payload: []byte(`{"id":null,"total":6}`), HasPayload: true}},
				},
				{Name: "rejects non-JSON", Line: 12, Route: "totals", Input: routetest.Input{Payload: []byte("nope")}, Fails: bridge.ReasonDecode},
			},
		},
		{
			name: "filtered, empty input, output without payload",
			file: "tests:\n- {name: f, route: r, input: {}, output: []}\n- {name: g, route: r, input: {}, output: [{subject: a.b}]}\n",
			want: []routetest.Case{
				{Name: "f", Line: 2, Route: "r", Output: []routetest.Output{}},
				{Name: "g", Line: 3, Route: "r", Output: []routetest.Output{{Subject: "a.b"}}},
			},
		},
		{
			name: "header lists, absent headers, null subject",
			file: `tests:
- name: h
  route: r
  input: {subject: ~, headers: {A: [x, "y"], B: 1}}
  output: [{headers: {A: [], B: "2"}, payload: ''}]
`,
			want: []routetest.Case{{
				Name: "h", Line: 2, Route: "r",
				Input:  routetest.Input{Headers: artifact.Metadata{"A": {"x", "y"}, "B": {"1"}}},
				Output: []routetest.Output{{Headers: artifact.Metadata{"A": {}, "B": {"2"}}, Payload: []byte{}, HasPayload: true}},
			}},
		},
		{
			name: "scalars as written, block scalars, binary, aliases",
			file: `tests:
- name: 0x1F
  route: &r totals
  input: {payload: 0x1F}
  output: [{payload: !!binary "AP8="}]
- name: block
  route: *r
  input:
    headers: &h {X: a}
    payload: |
      {"a": 1}
  output: [{headers: *h, payload: 1.50}]
`,
			want: []routetest.Case{
				{Name: "0x1F", Line: 2, Route: "totals", Input: routetest.Input{Payload: []byte("0x1F")},
					Output: []routetest.Output{{Payload: []byte{0, 0xff}, HasPayload: true}}},
				{Name: "block", Line: 6, Route: "totals",
					Input:  routetest.Input{Headers: artifact.Metadata{"X": {"a"}}, Payload: []byte("{\"a\": 1}\n")},
					Output: []routetest.Output{{Headers: artifact.Metadata{"X": {"a"}}, Payload: []byte("1.50"), HasPayload: true}}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := routetest.Parse("t.yaml", []byte(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseProblems(t *testing.T) {
	tests := []struct {
		name string
		file string
		want []string // each problem, in order
	}{
		{"empty", "", []string{"t.yaml: empty file: want a mapping with the key tests"}},
		{"syntax", "tests: [\n", []string{"t.yaml:1: did not find expected node content"}},
		{"two documents", "tests: []\n---\ntests: []\n", []string{"t.yaml:1: tests is empty", "t.yaml:2: a second YAML document: a test file is one document"}},
		{"not a mapping", "- a\n", []string{"t.yaml:1: the file must be a mapping, got a list"}},
		{"no tests", "tests:\n", []string{"t.yaml:1: no tests: want the key tests, a list of tests"}},
		{"unknown top key", "tests: []\ntest: []\n", []string{"t.yaml:1: tests is empty", `t.yaml:2: unknown key "test" in the file (known: tests)`}},
		{"tests not a list", "tests: {a: 1}\n", []string{"t.yaml:1: tests must be a list, got a mapping"}},
		{"test not a mapping", "tests: [x]\n", []string{"t.yaml:1: a test must be a mapping, got a string"}},
		{
			"unknown keys everywhere",
			"tests:\n- name: a\n  route: r\n  input: {paylod: x}\n  output: [{subjects: a}]\n  expect: 1\n",
			[]string{
				`t.yaml:4: test "a": unknown key "paylod" in input (known: subject, headers, payload)`,
				`t.yaml:5: test "a": unknown key "subjects" in output 1 (known: subject, headers, payload)`,
				`t.yaml:6: test "a": unknown key "expect" in a test (known: name, route, input, output, fails)`,
			},
		},
		{"duplicate key", "tests:\n- name: a\n  name: b\n  route: r\n  input: {}\n  fails: decode\n",
			[]string{`t.yaml:3: test "a": key "name" appears twice in a test`}},
		{"required keys", "tests:\n- {output: []}\n", []string{
			"t.yaml:2: name is required", "t.yaml:2: route is required", "t.yaml:2: input is required"}},
		{"empty name", "tests:\n- {name: '', route: r, input: {}, output: []}\n", []string{"t.yaml:2: name is empty"}},
		{"neither output nor fails", "tests:\n- {name: a, route: r, input: {}}\n",
			[]string{`t.yaml:2: test "a": want output (the outputs expected, [] when the route filters the input) or fails (the failure reason expected)`}},
		{"output and fails", "tests:\n- {name: a, route: r, input: {}, output: [], fails: decode}\n",
			[]string{`t.yaml:2: test "a": output and fails exclude each other: a test expects outputs or a failure`}},
		{"unknown reason", "tests:\n- {name: a, route: r, input: {}, fails: boom}\n",
			[]string{`t.yaml:2: test "a": fails: unknown reason "boom" (want one of decode, generator, timeout, subject, publish, max_deliver)`}},
		{"duplicate name", "tests:\n- {name: a, route: r, input: {}, fails: decode}\n- {name: a, route: r, input: {}, fails: decode}\n",
			[]string{`t.yaml:3: a second test named "a" (the first is at line 2)`}},
		{"unquoted JSON payload", "tests:\n- name: a\n  route: r\n  input: {payload: {\"price\": 2}}\n  fails: decode\n",
			[]string{`t.yaml:4: test "a": input.payload must be a string, got a mapping: quote JSON payloads (payload: '{"a":1}'), unquoted {…} is YAML`}},
		{"list payload", "tests:\n- {name: a, route: r, input: {payload: [1]}, fails: decode}\n",
			[]string{`t.yaml:2: test "a": input.payload must be a string, got a list`}},
		{"subjects", "tests:\n- {name: a, route: r, input: {subject: 'a.*'}, output: [{subject: 'b..c'}]}\n", []string{
			`t.yaml:2: test "a": input.subject "a.*" is not a subject a message can have (no wildcards, whitespace or empty tokens)`,
			`t.yaml:2: test "a": output 1 subject "b..c" is not a subject a message can have (no wildcards, whitespace or empty tokens)`,
		}},
		{"headers", "tests:\n- name: a\n  route: r\n  input: {headers: {'a b': x, X: ~, Y: [], Z: \"1\\n2\", W: {k: v}}}\n  output: [{headers: [x]}]\n", []string{
			`t.yaml:4: test "a": input.headers: "a b" is not a valid NATS header name`,
			`t.yaml:4: test "a": input.headers: header "X" must be a string or a list of strings, got null`,
			`t.yaml:4: test "a": input.headers: header "Y" has no values (leave it out)`,
			`t.yaml:4: test "a": input.headers: header "Z": a value cannot hold a line break`,
			`t.yaml:4: test "a": input.headers: header "W" must be a string or a list of strings, got a mapping`,
			`t.yaml:5: test "a": output 1 headers must be a mapping of header names to a string or a list of strings, got a list`,
		}},
		{"duplicate header", "tests:\n- {name: a, route: r, input: {headers: {X: a, X: b}}, fails: decode}\n",
			[]string{`t.yaml:2: test "a": input.headers: header "X" is given twice`}},
		{"merge key", "tests:\n- {name: a, route: r, input: {<<: {payload: x}}, fails: decode}\n",
			[]string{`t.yaml:2: test "a": input: merge keys (<<) are not supported; an alias (*name) can stand for a whole value`}},
		{"local tag", "tests:\n- {name: a, route: !mine r, input: {}, fails: decode}\n", []string{`t.yaml:2: test "a": route: unsupported tag !mine`}},
		{"bad base64", "tests:\n- {name: a, route: r, input: {payload: !!binary '**'}, fails: decode}\n",
			[]string{`t.yaml:2: test "a": input.payload: !!binary value is not base64: illegal base64 data at input byte 0`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cases, err := routetest.Parse("t.yaml", []byte(tt.file))
			if err == nil {
				t.Fatalf("no error, cases %+v", cases)
			}
			if !errors.Is(err, routetest.ErrInvalid) {
				t.Errorf("%v does not match ErrInvalid", err)
			}
			if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("problems:\n%s\nwant:\n%s", err, strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestParseAliasBomb parses a file of a few hundred bytes whose aliases
// stand for millions of nodes.
func TestParseAliasBomb(t *testing.T) {
	const k = 40
	var b strings.Builder
	b.WriteString("tests:\n- &t\n  name: a\n  route: r\n  input: {}\n  output: [&o {headers: {H0: &v [")
	b.WriteString(strings.Repeat("x, ", k-1) + "x]")
	for i := 1; i < k; i++ {
		fmt.Fprintf(&b, ", H%d: *v", i)
	}
	b.WriteString("}}" + strings.Repeat(", *o", k-1) + "]\n")
	b.WriteString(strings.Repeat("- *t\n", k-1))
	_, err := routetest.Parse("t.yaml", []byte(b.String()))
	if want := "t.yaml: the file expands to more than 1048576 nodes through its aliases"; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("%d bytes: got %v, want %q", b.Len(), err, want)
	}
}
