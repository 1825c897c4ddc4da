package subjectmap_test

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/natsbridge/bridge/internal/subjectmap"
)

func TestNew(t *testing.T) {
	invalid := func(contains string) func(*testing.T, error) {
		return func(t *testing.T, err error) {
			t.Helper()
			if !errors.Is(err, subjectmap.ErrInvalidMapping) {
				t.Fatalf("error %v does not match ErrInvalidMapping", err)
			}
			if !strings.Contains(err.Error(), contains) {
				t.Errorf("error %q does not contain %q", err, contains)
			}
		}
	}
	tests := []struct {
		name      string
		in, out   string
		literal   bool
		withError func(*testing.T, error)
	}{
		{name: "literal", in: "orders.created", out: "audit.orders", literal: true},
		{name: "literal from wildcards", in: "orders.*.created", out: "audit", literal: true},
		// nats-server refuses a literal destination for a `>` source; a
		// bridge route collecting a whole tree into one subject is fine.
		{name: "literal from full wildcard", in: "orders.>", out: "audit", literal: true},
		{name: "dollar token that is not a position", in: "a.>", out: "$KV.x", literal: true},
		{name: "wildcard function", in: "orders.*.created", out: "eu.{{wildcard(1)}}.new"},
		{name: "function with spaces and capitals", in: "orders.*", out: "x.{{ Wildcard( 1 ) }}"},
		{name: "legacy positions", in: "a.*.*", out: "b.$2.$1"},
		{name: "full wildcard", in: "demo.in.>", out: "demo.out.>"},
		{name: "partition", in: "a.*", out: "p.{{partition(3,1)}}"},
		{name: "split", in: "a.*", out: "a.{{split(1,-)}}"},
		{name: "every function", in: "a.*.*.>",
			out: "b.{{splitFromLeft(1,2)}}.{{SplitFromRight(2,1)}}.{{sliceFromLeft(1,2)}}.{{sliceFromRight(2,3)}}.{{left(1,1)}}.{{right(2,1)}}.{{random(4)}}.{{partition(3)}}.>"},
		{name: "empty input", in: "", out: "x", withError: invalid("input")},
		{name: "bad input", in: "a..b", out: "x", withError: invalid(`input "a..b"`)},
		{name: "empty output", in: "a", out: "", withError: invalid(`output ""`)},
		{name: "space in output", in: "a", out: "a b", withError: invalid(`output "a b"`)},
		{name: "partial wildcard in mapped output", in: "a.*", out: "b.$1.*", withError: invalid("without `*`")},
		{name: "literal output with wildcard", in: "a", out: "b.*", withError: invalid("without wildcards")},
		{name: "full wildcard only in output", in: "a.*", out: "b.>", withError: invalid("end in `>`")},
		{name: "position out of range", in: "a.*", out: "b.{{wildcard(2)}}", withError: invalid("out of range")},
		{name: "position without wildcard", in: "a", out: "b.$1", withError: invalid("out of range")},
		{name: "position zero", in: "a.*", out: "b.{{wildcard(0)}}", withError: invalid("at least 1")},
		{name: "legacy position zero", in: "a.*", out: "b.$0", withError: invalid("at least 1")},
		{name: "negative split position", in: "a.*", out: "b.{{split(-1,x)}}", withError: invalid("at least 1")},
		{name: "partition position zero", in: "a.*", out: "b.{{partition(2,1,0)}}", withError: invalid("at least 1")},
		{name: "function inside token", in: "a.*", out: "b.x{{wildcard(1)}}", withError: invalid("whole token")},
		{name: "unknown function", in: "a.*", out: "b.{{nosuch(1)}}", withError: invalid("nosuch")},
		{name: "too many arguments", in: "a.*", out: "b.{{wildcard(1,2)}}", withError: invalid("too many")},
		{name: "upper-case function", in: "a.*", out: "b.{{WILDCARD(1)}}", withError: invalid("WILDCARD")},
		{name: "partition count zero", in: "a.*", out: "b.{{partition(0,1)}}", withError: invalid("at least 1")},
		{name: "partition position without wildcard", in: "a.b", out: "b.{{partition(3,1)}}", withError: invalid("has no `*`")},
		{name: "space in mapped output", in: "a.*", out: "b.$1.c d", withError: invalid("whitespace")},
		{name: "split delimiter with space", in: "a.*", out: "b.{{split(1,a b)}}", withError: invalid("delimiter")},
		{name: "function inside arguments", in: "a.*", out: "b.{{x(1)}}{{wildcard(1)}}", withError: invalid("whole token")},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			m, err := subjectmap.New(test.in, test.out)
			if test.withError != nil {
				if err == nil {
					t.Fatalf("New(%q, %q) succeeded, want an error", test.in, test.out)
				}
				test.withError(t, err)
				return
			}
			if err != nil {
				t.Fatalf("New(%q, %q): %v", test.in, test.out, err)
			}
			if m.In() != test.in || m.Out() != test.out {
				t.Errorf("In, Out = %q, %q, want %q, %q", m.In(), m.Out(), test.in, test.out)
			}
			if m.Literal() != test.literal {
				t.Errorf("Literal() = %v, want %v", m.Literal(), test.literal)
			}
		})
	}
}

func TestMap(t *testing.T) {
	tests := []struct {
		name             string
		in, out, subject string
		want             string
		wantErr          error
	}{
		{name: "literal", in: "orders.>", out: "audit", subject: "orders.eu.created", want: "audit"},
		{name: "literal exact", in: "a.b", out: "c", subject: "a.b", want: "c"},
		{name: "literal no match", in: "orders.>", out: "audit", subject: "invoices.eu", wantErr: subjectmap.ErrNoMatch},
		{name: "literal too short for full wildcard", in: "orders.>", out: "audit", subject: "orders", wantErr: subjectmap.ErrNoMatch},
		{name: "literal subject with wildcard", in: "orders.>", out: "audit", subject: "orders.*", wantErr: subjectmap.ErrNoMatch},
		{name: "literal empty token", in: "orders.>", out: "audit", subject: "orders..x", wantErr: subjectmap.ErrNoMatch},
		{name: "wildcard", in: "orders.*.created", out: "eu.{{wildcard(1)}}.new", subject: "orders.42.created", want: "eu.42.new"},
		{name: "swap", in: "a.*.*", out: "b.$2.$1", subject: "a.x.y", want: "b.y.x"},
		{name: "full wildcard", in: "demo.in.>", out: "demo.out.>", subject: "demo.in.a.b.c", want: "demo.out.a.b.c"},
		{name: "wildcard and full wildcard", in: "in.*.>", out: "out.{{wildcard(1)}}.>", subject: "in.x.y.z", want: "out.x.y.z"},
		{name: "split", in: "a.*", out: "b.{{split(1,-)}}", subject: "a.x-y", want: "b.x.y"},
		{name: "transform no match", in: "a.*", out: "b.$1", subject: "c.x", wantErr: subjectmap.ErrNoMatch},
		{name: "transform extra token", in: "a.*", out: "b.$1", subject: "a.x.y", wantErr: subjectmap.ErrNoMatch},
		{name: "transform subject with wildcard", in: "a.*", out: "b.$1", subject: "a.>", wantErr: subjectmap.ErrNoMatch},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			m, err := subjectmap.New(test.in, test.out)
			if err != nil {
				t.Fatalf("New(%q, %q): %v", test.in, test.out, err)
			}
			got, err := m.Map(test.subject)
			if test.wantErr != nil {
				if !errors.Is(err, test.wantErr) {
					t.Fatalf("Map(%q) = %q, %v, want error %v", test.subject, got, err, test.wantErr)
				}
				return
			}
			if err != nil || got != test.want {
				t.Fatalf("Map(%q) = %q, %v, want %q", test.subject, got, err, test.want)
			}
		})
	}
}

func TestMapLiteralDoesNotAllocate(t *testing.T) {
	m, err := subjectmap.New("orders.*.>", "audit.orders")
	if err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := m.Map("orders.eu.created.v1"); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("Map allocated %v times per call, want 0", allocs)
	}
}

// TestMapAllocatesOnlyTheResult checks that a mapping with functions
// allocates the subject it returns and nothing else.
func TestMapAllocatesOnlyTheResult(t *testing.T) {
	for _, c := range []struct{ in, out, subject string }{
		{"orders.*.*", "audit.{{wildcard(2)}}.{{wildcard(1)}}", "orders.eu.created"},
		{"orders.>", "audit.>", "orders.eu.created.v1"},
		{"orders.*.>", "p.{{partition(1000,1)}}.$1.>", "orders.eu.created.v1"},
		{"orders.*", "s.{{sliceFromLeft(1,2)}}.{{right(1,3)}}", "orders.abcdefg"},
	} {
		m, err := subjectmap.New(c.in, c.out)
		if err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(100, func() {
			if _, err := m.Map(c.subject); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 1 {
			t.Errorf("%v: Map allocated %v times per call, want 1", m, allocs)
		}
	}
}

func TestMapConcurrent(t *testing.T) {
	m, err := subjectmap.New("in.*.*", "out.{{wildcard(2)}}.{{wildcard(1)}}")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				subject := "in." + strconv.Itoa(g) + "." + strconv.Itoa(i)
				want := "out." + strconv.Itoa(i) + "." + strconv.Itoa(g)
				if got, err := m.Map(subject); err != nil || got != want {
					t.Errorf("Map(%q) = %q, %v, want %q", subject, got, err, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// FuzzLiteralMatchesLikeServer checks that the literal fast path accepts
// exactly the subjects that nats-server's transform accepts for the same
// input pattern, except where the transform matches what a subscription on
// the input would not receive (see serverLax).
func FuzzLiteralMatchesLikeServer(f *testing.F) {
	for _, seed := range []struct{ in, subject string }{
		{"a", "a"}, {"a", "b"}, {"a.*", "a.b"}, {"a.*", "a"}, {"a.*", "a.b.c"},
		{"a.>", "a"}, {"a.>", "a.b.c"}, {"*.b.>", "x.b.c"}, {"*.b.>", "x.c.d"},
		{">", "x"}, {"a.*", "a.*"}, {"a.>", "a..b"}, {"a.*", "a. "}, {"a.b", "a.b."},
		{"a.*x", "a.b"}, {"a.*x", "a.*x"},
	} {
		f.Add(seed.in, seed.subject)
	}
	f.Fuzz(func(t *testing.T, in, subject string) {
		literal, err := subjectmap.New(in, "out")
		if err != nil {
			return // not a valid input pattern
		}
		tr, err := server.NewSubjectTransform(in, positionalDestination(in))
		if err != nil {
			t.Fatalf("server rejected %q: %v", in, err)
		}
		_, serverErr := tr.Match(subject)
		_, err = literal.Map(subject)
		if (err == nil) != (serverErr == nil) && !serverLax(in, "", subject) {
			t.Fatalf("in %q, subject %q: literal Map error %v, server Match error %v", in, subject, err, serverErr)
		}
	})
}

// positionalDestination returns a destination that uses every wildcard of
// in, so that the server's transform matches like a subscription would.
func positionalDestination(in string) string {
	tokens := []string{"out"}
	n := 0
	for tok := range strings.SplitSeq(in, ".") {
		switch tok {
		case "*":
			n++
			tokens = append(tokens, "$"+strconv.Itoa(n))
		case ">":
			tokens = append(tokens, ">")
		}
	}
	return strings.Join(tokens, ".")
}

func BenchmarkMap(b *testing.B) {
	benchmarks := []struct {
		name, in, out, subject string
	}{
		{name: "literal", in: "orders.*.>", out: "audit.orders", subject: "orders.eu.created.v1"},
		{name: "wildcard", in: "orders.*.*", out: "audit.{{wildcard(2)}}.{{wildcard(1)}}", subject: "orders.eu.created"},
		{name: "full wildcard", in: "orders.>", out: "audit.>", subject: "orders.eu.created.v1"},
		{name: "partition", in: "orders.*.>", out: "p.{{partition(16,1)}}.>", subject: "orders.eu.created.v1"},
	}
	for _, bm := range benchmarks {
		m, err := subjectmap.New(bm.in, bm.out)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.Map(bm.subject); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bm.name+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := m.Map(bm.subject); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
