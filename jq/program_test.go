package jq_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/itchyny/gojq"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/jq"
	"github.com/natsbridge/bridge/stream"
)

func compile(t testing.TB, src string) *jq.Program {
	t.Helper()
	p, err := jq.Compile(src)
	if err != nil {
		t.Fatalf("Compile(%q): %v", src, err)
	}
	return p
}

// process runs p on a and returns the payloads it emitted.
func process(ctx context.Context, p *jq.Program, a *artifact.Artifact) ([]string, error) {
	var outs []string
	err := p.Process(ctx, a, func(r *artifact.Artifact) error {
		outs = append(outs, string(r.Payload))
		return nil
	})
	return outs, err
}

func wantErr(target error, contains string) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		if !errors.Is(err, target) {
			t.Fatalf("error %v, want one matching %v", err, target)
		}
		if !strings.Contains(err.Error(), contains) {
			t.Errorf("error %q does not contain %q", err, contains)
		}
	}
}

func TestProcess(t *testing.T) {
	tests := []struct {
		name      string
		prog      string
		payload   string
		want      []string
		withError func(*testing.T, error)
	}{
		{name: "identity sorts keys and compacts", prog: ".", payload: `{"b": 1, "a": [1, 2]}`, want: []string{`{"a":[1,2],"b":1}`}},
		{
			name:    "field mapping",
			prog:    `{id: .id, total: (.price * .qty)}`,
			payload: `{"id":"o-1","price":2.5,"qty":4,"note":"x"}`,
			want:    []string{`{"id":"o-1","total":10}`},
		},
		{name: "select filters to zero outputs", prog: `select(.n > 10)`, payload: `{"n":1}`, want: nil},
		{name: "select keeps", prog: `select(.n > 10)`, payload: `{"n":11}`, want: []string{`{"n":11}`}},
		{name: "fan-out in order", prog: `.[]`, payload: `[3,1,"two",{"z":0}]`, want: []string{`3`, `1`, `"two"`, `{"z":0}`}},
		{name: "empty array fans out to nothing", prog: `.[]`, payload: `[]`, want: nil},
		{name: "trailing whitespace is fine", prog: `.`, payload: "{\"a\":1} \n\t\r", want: []string{`{"a":1}`}},
		{name: "no HTML escaping", prog: `.`, payload: `"<&>"`, want: []string{`"<&>"`}},
		{name: "number payload", prog: `. * 2`, payload: `42`, want: []string{`84`}},
		{name: "string payload", prog: `. + "t"`, payload: `"s"`, want: []string{`"st"`}},
		{name: "null payload", prog: `.`, payload: `null`, want: []string{`null`}},
		{name: "bool payload", prog: `not`, payload: `true`, want: []string{`false`}},
		{name: "big integer unchanged", prog: `.`, payload: `{"id":12345678901234567890}`, want: []string{`{"id":12345678901234567890}`}},
		{name: "big integer field", prog: `.id`, payload: `{"id":-98765432109876543210987654321}`, want: []string{`-98765432109876543210987654321`}},
		{name: "big integer arithmetic is exact", prog: `.id + 1`, payload: `{"id":12345678901234567890}`, want: []string{`12345678901234567891`}},
		{name: "number literals kept verbatim", prog: `.`, payload: `[0.10, 1E2, -0, 1.5e-7]`, want: []string{`[0.10,1E2,-0,1.5e-7]`}},
		{name: "halt stops without error", prog: `1, halt, 2`, payload: `null`, want: []string{`1`}},
		{name: "invalid JSON", prog: `.`, payload: `{"a":`, withError: wantErr(jq.ErrNotJSON, "unexpected EOF")},
		{name: "not JSON at all", prog: `.`, payload: `hello`, withError: wantErr(jq.ErrNotJSON, "invalid character")},
		{name: "trailing garbage", prog: `.`, payload: `{"a":1} x`, withError: wantErr(jq.ErrNotJSON, "trailing data")},
		{name: "two values", prog: `.`, payload: `1 2`, withError: wantErr(jq.ErrNotJSON, "trailing data")},
		{name: "empty payload", prog: `.`, payload: ``, withError: wantErr(jq.ErrNotJSON, "empty")},
		{name: "blank payload", prog: `.`, payload: "  \n", withError: wantErr(jq.ErrNotJSON, "empty")},
		{name: "error raised", prog: `error("boom")`, payload: `{}`, withError: wantErr(jq.ErrRuntime, "boom")},
		{name: "type error", prog: `.a`, payload: `42`, withError: wantErr(jq.ErrRuntime, "expected an object")},
		{name: "outputs before an error stay emitted", prog: `1, error("late")`, payload: `null`, want: []string{`1`}, withError: wantErr(jq.ErrRuntime, "late")},
		{name: "caught error is a value", prog: `try error("x") catch .`, payload: `null`, want: []string{`"x"`}},
		{
			name:    "halt_error",
			prog:    `"bad input" | halt_error`,
			payload: `{}`,
			withError: func(t *testing.T, err error) {
				wantErr(jq.ErrRuntime, "bad input")(t, err)
				he, ok := errors.AsType[*gojq.HaltError](err)
				if !ok || he.ExitCode() != 5 {
					t.Errorf("error %v does not wrap a *gojq.HaltError with exit code 5", err)
				}
			},
		},
		{name: "halt_error with an object", prog: `{a: 1} | halt_error(1)`, payload: `{}`, withError: wantErr(jq.ErrRuntime, `{"a":1}`)},
		{name: "environment is hidden", prog: `$ENV, env`, payload: `null`, want: []string{`{}`, `{}`}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			p := compile(t, test.prog)
			got, err := process(t.Context(), p, artifact.New("in", []byte(test.payload)))
			if test.withError != nil {
				test.withError(t, err)
			} else if err != nil {
				t.Fatalf("Process: %v", err)
			}
			if !slices.Equal(got, test.want) {
				t.Errorf("outputs %q, want %q", got, test.want)
			}
		})
	}
}

func TestCompile(t *testing.T) {
	tests := []struct {
		name      string
		src       string
		withError func(*testing.T, error)
	}{
		{name: "identity", src: "."},
		{name: "definitions", src: `def inc: . + 1; .[] | inc`},
		{
			name: "syntax error has an offset",
			src:  ".a | )",
			withError: func(t *testing.T, err error) {
				wantErr(jq.ErrCompile, `offset 6: unexpected token ")"`)(t, err)
				if _, ok := errors.AsType[*gojq.ParseError](err); !ok {
					t.Errorf("error %v does not wrap a *gojq.ParseError", err)
				}
			},
		},
		{name: "unexpected end", src: "{a: ", withError: wantErr(jq.ErrCompile, "unexpected EOF")},
		{name: "unknown function", src: "nosuchfunc", withError: wantErr(jq.ErrCompile, "function not defined: nosuchfunc/0")},
		{name: "unknown variable", src: "$x", withError: wantErr(jq.ErrCompile, "variable not defined: $x")},
		{name: "input is not allowed", src: "input", withError: wantErr(jq.ErrCompile, "input(s)/0 is not allowed")},
		{name: "debug is CLI-only", src: "debug", withError: wantErr(jq.ErrCompile, "function not defined: debug/0")},
		{name: "modules cannot be loaded", src: `include "x"; .`, withError: wantErr(jq.ErrCompile, "cannot load module")},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			p, err := jq.Compile(test.src)
			if test.withError != nil {
				test.withError(t, err)
				if p != nil {
					t.Errorf("Compile returned a Program with an error")
				}
				return
			}
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			if p.String() != test.src {
				t.Errorf("String() = %q, want %q", p.String(), test.src)
			}
		})
	}
}

// TestProcessDerives checks that outputs keep the input's routing and
// metadata, get their own copies of it, and leave the input untouched.
func TestProcessDerives(t *testing.T) {
	p := compile(t, `.[]`)
	in := artifact.New("orders.eu", []byte(`[1,2]`))
	in.Reply = "_INBOX.1"
	in.SetMeta("Trace-Id", "abc")
	in.SetMeta(artifact.KeyContentType, "text/plain")

	var outs []*artifact.Artifact
	err := p.Process(t.Context(), in, func(r *artifact.Artifact) error {
		outs = append(outs, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != 2 {
		t.Fatalf("got %d outputs, want 2", len(outs))
	}
	for i, r := range outs {
		if r.Subject != in.Subject || r.Reply != in.Reply || !r.Created.Equal(in.Created) {
			t.Errorf("output %d: subject %q reply %q created %v, want %q %q %v", i, r.Subject, r.Reply, r.Created, in.Subject, in.Reply, in.Created)
		}
		if r.ID == in.ID || r.ID.IsZero() {
			t.Errorf("output %d: ID %v, want a fresh one", i, r.ID)
		}
		if got := r.Meta.Get("Trace-Id"); got != "abc" {
			t.Errorf("output %d: Trace-Id %q, want abc", i, got)
		}
		if got := r.Meta.Get(artifact.KeyContentType); got != jq.ContentType {
			t.Errorf("output %d: content type %q, want %q", i, got, jq.ContentType)
		}
	}
	outs[0].SetMeta("Trace-Id", "changed")
	if outs[1].Meta.Get("Trace-Id") != "abc" || in.Meta.Get("Trace-Id") != "abc" {
		t.Error("outputs share metadata with each other or the input")
	}
	if in.Meta.Get(artifact.KeyContentType) != "text/plain" || string(in.Payload) != `[1,2]` {
		t.Error("the input artifact was modified")
	}
}

// TestProcessDeadline checks that runaway programs stop when their
// deadline passes, however they run away.
func TestProcessDeadline(t *testing.T) {
	programs := []struct{ name, src string }{
		{"infinite recursion", `def f: f; f`},
		{"infinite outputs", `repeat(1)`},
		{"huge range", `range(1e18)`},
		{"huge collection", `[limit(1e9; repeat(1))]`},
		{"busy reduce", `reduce range(1e18) as $i (0; . + $i)`},
		{"caught in try", `try (def f: f; f) catch "caught"`},
	}
	for _, prog := range programs {
		t.Run(prog.name, func(t *testing.T) {
			t.Parallel()
			p := compile(t, prog.src)
			fn := stream.WithTimeout(50*time.Millisecond, p.Process)
			err := fn(t.Context(), artifact.New("in", []byte(`null`)), func(*artifact.Artifact) error { return nil })
			if stream.Permanent(err) {
				t.Errorf("error %v is permanent; a timeout is not", err)
			}
			if !errors.Is(err, stream.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("error %v, want one matching stream.ErrTimeout and context.DeadlineExceeded", err)
			}
			if errors.Is(err, jq.ErrRuntime) {
				t.Errorf("error %v matches ErrRuntime; a timeout is not a program error", err)
			}
		})
	}
}

func TestProcessCancel(t *testing.T) {
	p := compile(t, `repeat(1)`)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	n := 0
	err := p.Process(ctx, artifact.New("in", []byte(`null`)), func(*artifact.Artifact) error {
		if n++; n == 3 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if n != 3 {
		t.Errorf("emitted %d outputs, want 3: the program ran on after cancel", n)
	}
}

func TestProcessEmitError(t *testing.T) {
	errFull := errors.New("downstream full")
	p := compile(t, `.[]`)
	n := 0
	err := p.Process(t.Context(), artifact.New("in", []byte(`[1,2,3]`)), func(*artifact.Artifact) error {
		n++
		return errFull
	})
	if !errors.Is(err, errFull) {
		t.Fatalf("error %v, want emit's error", err)
	}
	if n != 1 {
		t.Errorf("emit called %d times after failing, want 1", n)
	}
}

// TestProcessConcurrent shares one Program between goroutines; -race
// checks that gojq keeps no per-run state in the compiled code.
func TestProcessConcurrent(t *testing.T) {
	p := compile(t, `{id: .id, total: (.price * .qty), tags: [.tags[] | ascii_upcase]}`)
	const workers, each = 8, 200
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				n := w*each + i
				payload := fmt.Sprintf(`{"id":%d,"price":%d,"qty":2,"tags":["a","b%d"]}`, n, n, n)
				got, err := process(t.Context(), p, artifact.New("in", []byte(payload)))
				want := fmt.Sprintf(`{"id":%d,"tags":["A","B%d"],"total":%d}`, n, n, 2*n)
				if err != nil || len(got) != 1 || got[0] != want {
					t.Errorf("payload %s: got %q, %v; want %s", payload, got, err, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestGenerator runs a Program through its Generator, where Process's
// errors become *stream.ArtifactError for the failing input.
func TestGenerator(t *testing.T) {
	g := compile(t, `.n`).Generator()
	in := make(chan *artifact.Artifact, 3)
	in <- artifact.New("a", []byte(`{"n":1}`))
	bad := artifact.New("a", []byte(`{`))
	in <- bad
	in <- artifact.New("a", []byte(`{"n":2}`))
	close(in)

	out, errs := g.Generate(t.Context(), in)
	var got []string
	for r := range out {
		got = append(got, string(r.Payload))
	}
	var gotErrs []error
	for err := range errs {
		gotErrs = append(gotErrs, err)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"1", "2"}) {
		t.Errorf("outputs %q, want [1 2]", got)
	}
	if len(gotErrs) != 1 {
		t.Fatalf("errors %v, want one", gotErrs)
	}
	ae, ok := errors.AsType[*stream.ArtifactError](gotErrs[0])
	if !ok || ae.Artifact != bad || !errors.Is(ae, jq.ErrNotJSON) {
		t.Errorf("error %v, want an *ArtifactError for the bad input matching ErrNotJSON", gotErrs[0])
	}
}

// TestErrorClasses checks the failure class of each error Process returns,
// which is what a transport acts on.
func TestErrorClasses(t *testing.T) {
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	tests := []struct {
		name              string
		prog, payload     string
		emit              jq.Emit
		ctx               context.Context
		is                error
		decode, permanent bool
	}{
		{name: "not JSON", prog: `.`, payload: `{`, is: jq.ErrNotJSON, decode: true, permanent: true},
		{name: "empty", prog: `.`, payload: ``, is: jq.ErrNotJSON, decode: true, permanent: true},
		{name: "runtime", prog: `error("x")`, payload: `{}`, is: jq.ErrRuntime, permanent: true},
		{name: "halt_error", prog: `"x" | halt_error`, payload: `{}`, is: jq.ErrRuntime, permanent: true},
		{name: "malformed", prog: `5`, payload: `{}`, emit: jq.EmitMessage, is: jq.ErrMalformed, permanent: true},
		{name: "cancelled", prog: `repeat(1)`, payload: `{}`, ctx: cancelled, is: context.Canceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := jq.Compile(tc.prog, jq.WithEmit(tc.emit))
			if err != nil {
				t.Fatal(err)
			}
			ctx := tc.ctx
			if ctx == nil {
				ctx = t.Context()
			}
			_, err = process(ctx, p, artifact.New("in", []byte(tc.payload)))
			if !errors.Is(err, tc.is) {
				t.Fatalf("error %v, want one matching %v", err, tc.is)
			}
			if got := errors.Is(err, stream.ErrDecode); got != tc.decode {
				t.Errorf("matches stream.ErrDecode: %v, want %v", got, tc.decode)
			}
			if got := stream.Permanent(err); got != tc.permanent {
				t.Errorf("stream.Permanent: %v, want %v", got, tc.permanent)
			}
		})
	}
	// The sentinels read as themselves, without their class's words, so
	// a Bridge-Error header stays short.
	for _, err := range []error{jq.ErrNotJSON, jq.ErrRuntime, jq.ErrMalformed} {
		if strings.Contains(err.Error(), "stream:") {
			t.Errorf("%q names its class", err)
		}
	}
}

// TestOutputsOwnTheirBytes checks that no output shares memory with its
// input's payload, on the fast path and on gojq's, in both modes: the
// fast path's payload mode decodes strings that borrow the payload's
// bytes, and a caller may reuse its buffer once Process returns.
func TestOutputsOwnTheirBytes(t *testing.T) {
	const payload = `{"id":"a-1","k":"orders","n":{"s":"deep"},"v":2}`
	for _, c := range []struct {
		name string
		src  string
		opts []jq.Option
	}{
		{"payload", `{id: .id, s: .n.s, t: ("x" + .k)}, .id`, nil},
		{"payload-whole", `., .id`, nil},
		{"message", `{subject: .k, headers: {"X-Id": .id}, payload: .n.s}, {payload: .n}`, []jq.Option{jq.WithEmit(jq.EmitMessage)}},
		{"payload-gojq", `{id: .id, s: .n.s, t: ("x" + .k)}, .id`, []jq.Option{jq.WithGojqOnly()}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := jq.Compile(c.src, c.opts...)
			if err != nil {
				t.Fatal(err)
			}
			in := artifact.New("in", []byte(payload))
			var outs []*artifact.Artifact
			if err := p.Process(t.Context(), in, func(r *artifact.Artifact) error {
				outs = append(outs, r)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			type seen struct{ subject, headers, payload string }
			before := make([]seen, len(outs))
			for i, r := range outs {
				before[i] = seen{r.Subject, fmt.Sprint(r.Meta), string(r.Payload)}
			}
			for i := range in.Payload {
				in.Payload[i] = '#' // the caller reuses its buffer
			}
			for i, r := range outs {
				if now := (seen{r.Subject, fmt.Sprint(r.Meta), string(r.Payload)}); now != before[i] {
					t.Errorf("output %d changed with its input's payload: %+v, was %+v", i, now, before[i])
				}
			}
		})
	}
}
