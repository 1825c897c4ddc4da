package routetest_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/natsbridge/bridge/internal/routetest"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte(issueExample))
	f.Add([]byte("tests:\n- {name: a, route: r, input: {headers: {X: [a, b]}, payload: !!binary AP8=}, output: [{headers: {X: []}}]}\n"))
	f.Add([]byte("tests:\n- &t {name: a, route: r, input: {}, fails: decode}\n- *t\n"))
	f.Add([]byte("tests: [\n"))
	f.Add([]byte("a: 1\n---\nb: 2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cases, err := routetest.Parse("f.yaml", data)
		if err != nil {
			if cases != nil {
				t.Fatalf("cases %+v with error %v", cases, err)
			}
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				if _, ok := e.(*routetest.Problem); !ok || !errors.Is(e, routetest.ErrInvalid) {
					t.Fatalf("%T %v is not a Problem", e, e)
				}
			}
			return
		}
		if len(cases) == 0 {
			t.Fatal("no cases and no error")
		}
		names := map[string]bool{}
		for _, c := range cases {
			if c.Name == "" || c.Route == "" || names[c.Name] {
				t.Fatalf("case %+v: no name, no route, or a second one of its name", c)
			}
			names[c.Name] = true
			if (c.Output == nil) == (c.Fails == "") {
				t.Fatalf("case %+v: want exactly one of Output and Fails", c)
			}
		}
	})
}

func FuzzDiffPayload(f *testing.F) {
	f.Add([]byte(`{"a":[1,2.0]}`), []byte(`{"a":[1e0,2]}`))
	f.Add([]byte(`1e999999999`), []byte(`1E999999999`))
	f.Add([]byte("hello"), []byte(`"hello"`))
	f.Add([]byte(``), []byte(`null`))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		if d := routetest.DiffPayload(a, a); d != nil {
			t.Fatalf("%q differs from itself: %q", a, d)
		}
		ab, ba := routetest.DiffPayload(a, b), routetest.DiffPayload(b, a)
		if (ab == nil) != (ba == nil) {
			t.Fatalf("%q and %q: equal one way only: %q, %q", a, b, ab, ba)
		}
		if bytes.Equal(a, b) && ab != nil {
			t.Fatalf("equal bytes %q differ: %q", a, ab)
		}
	})
}
