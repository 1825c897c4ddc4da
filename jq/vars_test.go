package jq_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/jq"
)

// TestMessageVariables checks what a program sees of the input besides its
// payload, in both emit modes.
func TestMessageVariables(t *testing.T) {
	withHeaders := func() *artifact.Artifact {
		a := artifact.New("orders.eu.new", []byte(`{"n":1}`))
		a.SetMeta("X-Tenant", "acme")
		a.SetMeta("x-tenant", "lower")
		a.SetMeta("Trace", "t1")
		a.Meta.Add("Trace", "t2")
		a.Meta["Empty"] = nil // no values: not a header NATS could carry
		return a
	}
	bare := func() *artifact.Artifact { return artifact.New("orders.us", []byte(`null`)) }
	tests := []struct {
		name string
		prog string
		in   func() *artifact.Artifact
		want []string
	}{
		{name: "subject", prog: `$subject`, in: withHeaders, want: []string{`"orders.eu.new"`}},
		{name: "subject shorthand", prog: `{$subject}`, in: bare, want: []string{`{"subject":"orders.us"}`}},
		{name: "subject in a definition", prog: `def s: $subject | split("."); s[1]`, in: withHeaders, want: []string{`"eu"`}},
		{name: "subject in interpolation", prog: `"on \($subject)"`, in: bare, want: []string{`"on orders.us"`}},
		{name: "headers as received", prog: `$headers`, in: withHeaders, want: []string{`{"Trace":["t1","t2"],"X-Tenant":["acme"],"x-tenant":["lower"]}`}},
		{name: "no headers", prog: `$headers`, in: bare, want: []string{`{}`}},
		{name: "header exact name first", prog: `header("x-tenant"), header("X-Tenant")`, in: withHeaders, want: []string{`"lower"`, `"acme"`}},
		{name: "header ignores case", prog: `header("TRACE"), header("trace")`, in: withHeaders, want: []string{`"t1"`, `"t1"`}},
		{name: "header ambiguous picks the first name in byte order", prog: `header("X-TENANT")`, in: withHeaders, want: []string{`"acme"`}},
		{name: "header absent", prog: `header("Nope"), header("Empty")`, in: withHeaders, want: []string{`null`, `null`}},
		{name: "header without headers", prog: `header("X-Tenant")`, in: bare, want: []string{`null`}},
		{name: "header reads the run's headers under another input", prog: `[1, 2] | map(header("X-Tenant"))`, in: withHeaders, want: []string{`["acme","acme"]`}},
		{name: "header in a definition", prog: `def t: header("X-Tenant"); {tenant: t}`, in: withHeaders, want: []string{`{"tenant":"acme"}`}},
		{name: "a program may define its own header", prog: `def header($n): "mine \($n)"; header("X-Tenant")`, in: withHeaders, want: []string{`"mine X-Tenant"`}},
		{name: "a local $headers does not change header", prog: `{} as $headers | header("X-Tenant")`, in: withHeaders, want: []string{`"acme"`}},
		{name: "filter by header", prog: `select(header("X-Tenant") == "acme") | .n`, in: withHeaders, want: []string{`1`}},
		{name: "filter by header drops", prog: `select(header("X-Tenant") == "acme")`, in: bare, want: nil},
		{name: "environment is still hidden", prog: `$ENV, env`, in: withHeaders, want: []string{`{}`, `{}`}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			got, err := process(t.Context(), compile(t, test.prog), test.in())
			if err != nil {
				t.Fatalf("Process: %v", err)
			}
			if !slices.Equal(got, test.want) {
				t.Errorf("outputs %q, want %q", got, test.want)
			}
		})
	}
	t.Run("header of a non-string", func(t *testing.T) {
		_, err := process(t.Context(), compile(t, `header(1)`), withHeaders())
		wantErr(jq.ErrRuntime, "header/1: name must be a string, got number")(t, err)
	})
	t.Run("message mode", func(t *testing.T) {
		p := compileMessage(t, `{subject: ($subject + "." + header("x-TENANT")), headers: {"X-From": $subject}}`)
		var out *artifact.Artifact
		if err := p.Process(t.Context(), withHeaders(), func(r *artifact.Artifact) error { out = r; return nil }); err != nil {
			t.Fatal(err)
		}
		if out.Subject != "orders.eu.new.acme" || out.Meta.Get("X-From") != "orders.eu.new" {
			t.Errorf("subject %q, X-From %q", out.Subject, out.Meta.Get("X-From"))
		}
	})
}

// TestVariablesConcurrent runs programs that update $headers and the
// payload side by side; -race checks that the value shared by inputs
// without headers is never written.
func TestVariablesConcurrent(t *testing.T) {
	p := compile(t, `($headers | .x = 1 | .x), ($headers | keys | length), header("a")`)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 100 {
				a := artifact.New("s", []byte(`{}`))
				if (w+i)%2 == 0 {
					a.SetMeta("a", fmt.Sprint(i))
				}
				got, err := process(t.Context(), p, a)
				want := []string{"1", "0", "null"}
				if a.Meta != nil {
					want = []string{"1", "1", fmt.Sprintf("%q", fmt.Sprint(i))}
				}
				if err != nil || !slices.Equal(got, want) {
					t.Errorf("got %q, %v; want %q", got, err, want)
					return
				}
			}
		})
	}
	wg.Wait()
}
