package subjectmap_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/natsbridge/bridge/internal/subjectmap"
)

// serverCases are mappings (nil subjects: New fails) and subjects on which the native implementation
// must agree with nats-server's transform: every function, its edge cases
// (tokens too short to split or slice, empty pieces), and subjects that do
// not match.
var serverCases = []struct {
	in, out  string
	subjects []string
}{
	{"a", "b", []string{"a", "b", "a.b"}},
	{"a.*", "b", []string{"a.x", "a", "a.x.y", "a.*"}},
	{"a.*.*", "b.$2.$1", []string{"a.x.y", "a.x", "a.x.y.z", "b.x.y"}},
	{"a.*.*", "b.{{wildcard(2)}}.{{ Wildcard( 1 ) }}", []string{"a.x.y"}},
	{"a.*", "b.$1.$1", []string{"a.x"}},
	{"a.>", "b.>", []string{"a.x", "a.x.y.z", "a", "b.x"}},
	{"a.*.>", "b.$1.c.>", []string{"a.x.y", "a.x.y.z", "a.x"}},
	{"a.>", ">", []string{"a.x.y"}},
	{">", ">", []string{"a", "a.b.c"}},
	{">", "x.>", []string{"a", "a.b.c"}},
	{"*.>", "$1.x.>", []string{"a.b", "a.b.c"}},
	{"$KV.*", "out.$KV.$1", []string{"$KV.b"}},
	{"a.*", "p.{{partition(3,1)}}", []string{"a.x", "a.y", "a.z", "a.1234567890", "a.é"}},
	{"a.*.*", "p.{{partition(10,1,2)}}.$1", []string{"a.x.y", "a.xy.", "a.x.yz"}},
	{"a.*.*", "p.{{partition(10, 2, 1)}}", []string{"a.x.y", "a.y.x"}},
	{"a.*.>", "p.{{partition(7)}}.>", []string{"a.x.y", "a.x.y.z"}},
	{"a.b", "p.{{partition(5)}}", []string{"a.b"}},
	{"a.*", "p.{{partition(2147483647,1)}}", []string{"a.x", "a.abcdefghij"}},
	{"a.*", "s.{{split(1,-)}}", []string{"a.x-y", "a.x", "a.-x", "a.x-", "a.x--y", "a.-", "a.--", "a.-x-"}},
	{"a.*", "s.{{split(1,ab)}}", []string{"a.xaby", "a.ab", "a.abab", "a.xababy"}},
	{"a.*", "s.{{split(1,)}}", []string{"a.xyz", "a.é"}},
	{"a.*", "s.{{splitFromLeft(1,2)}}", []string{"a.abcd", "a.ab", "a.a", "a.abc"}},
	{"a.*", "s.{{SplitFromRight(1,2)}}", []string{"a.abcd", "a.ab", "a.a", "a.abc"}},
	{"a.*", "s.{{splitfromleft(1,0)}}", []string{"a.abcd"}},
	{"a.*", "s.{{splitFromLeft(1,-2)}}", []string{"a.abcd"}},
	{"a.*", "s.{{sliceFromLeft(1,2)}}", []string{"a.abcde", "a.abcd", "a.ab", "a.a", "a.abc"}},
	{"a.*", "s.{{sliceFromRight(1,2)}}", []string{"a.abcde", "a.abcd", "a.ab", "a.a", "a.abc"}},
	{"a.*", "s.{{sliceFromLeft(1,3)}}", []string{"a.abcdefgh", "a.abcdef"}},
	{"a.*", "s.{{sliceFromRight(1,3)}}", []string{"a.abcdefgh", "a.abcdef"}},
	{"a.*", "s.{{SliceFromLeft(1,0)}}", []string{"a.abc"}},
	{"a.*", "s.{{left(1,2)}}.{{right(1,2)}}", []string{"a.abcd", "a.ab", "a.a"}},
	{"a.*", "s.{{Left(1,0)}}.{{Right(1,-1)}}", []string{"a.abcd"}},
	{"a.*.*", "s.{{left(2,1)}}.{{split(1,_)}}.>", nil}, // `>` only in out
	{"a.*.*.>", "s.{{left(2,1)}}.{{split(1,_)}}.>", []string{"a.x_y.zz.w", "a.x_y.zz.w.v", "a.x.y"}},
	// Rejected by both.
	{"a.*", "b.*", nil},
	{"a.*", "b.$1.*", nil},
	{"a.*", "b.>", nil},
	{"a.>", "b.$1.>", nil},
	{"a", "b.$1", nil},
	{"a.*", "b.{{wildcard(2)}}", nil},
	{"a.*", "b.{{wildcard()}}", nil},
	{"a.*", "b.{{wildcard(x)}}", nil},
	{"a.*", "b.{{wildcard(1,2)}}", nil},
	{"a.*", "b.{{WILDCARD(1)}}", nil},
	{"a.*", "b.{{nosuch(1)}}", nil},
	{"a.*", "b.{{split(1)}}", nil},
	{"a.*", "b.{{split(1,a,b)}}", nil},
	{"a.*", "b.{{split(1,a.b)}}", nil},
	{"a.*", "b.{{left(1)}}", nil},
	{"a.*", "b.{{left(1,x)}}", nil},
	{"a.*", "b.{{left(1,99999999999)}}", nil},
	{"a.*", "b.{{partition(x,1)}}", nil},
	{"a.*", "b.{{partition(3,x)}}", nil},
	{"a.*", "b.{{partition(2147483648,1)}}", nil},
	{"a.*", "b..c", nil},
	{"a.*", "b.>.c", nil},
	// Rejected here only (see New).
	{"a.*", "b.{{wildcard(0)}}", nil},
	{"a.*", "b.$0", nil},
	{"a.*", "b.$-1", nil},
	{"a.*", "b.x{{wildcard(1)}}", nil},
	{"a.*", "b.{{wildcard(1)}}x", nil},
	{"a.*", "b.{{x(1)}}{{wildcard(1)}}", nil},
	{"a.*", "b.{{partition(0,1)}}", nil},
	{"a.*", "b.{{partition(-3,1)}}", nil},
	{"a.b", "b.{{partition(3,1)}}", nil},
	{"a.*", "b.{{random(0)}}", nil},
	{"a.*", "b.$1.c d", nil},
	{"a.*", "b.}}", nil},
}

func TestMapLikeServer(t *testing.T) {
	for _, c := range serverCases {
		t.Run(c.in+" -> "+c.out, func(t *testing.T) {
			if _, err := subjectmap.New(c.in, c.out); (err == nil) != (c.subjects != nil) {
				t.Fatalf("New: %v; the table expects it to %s", err, map[bool]string{true: "succeed", false: "fail"}[c.subjects != nil])
			}
			checkLikeServer(t, c.in, c.out, c.subjects...)
		})
	}
}

// FuzzMapLikeServer checks that New accepts what nats-server's
// NewSubjectTransform accepts, except for the rules documented as stricter,
// and that Map then gives the server's subject, or fails where it fails.
func FuzzMapLikeServer(f *testing.F) {
	for _, c := range serverCases {
		subject := "a.b"
		if len(c.subjects) > 0 {
			subject = c.subjects[0]
		}
		f.Add(c.in, c.out, subject)
	}
	f.Fuzz(func(t *testing.T, in, out, subject string) {
		checkLikeServer(t, in, out, subject, fill(in, subject))
	})
}

// fill returns a subject that in matches, taking the tokens for its
// wildcards from subject, so that the fuzzer reaches the mapping functions
// with arbitrary tokens.
func fill(in, subject string) string {
	toks := strings.Split(subject, ".")
	i := 0
	next := func() string { // the last token again when they run out
		tok := toks[min(i, len(toks)-1)]
		i++
		return tok
	}
	var out []string
	for tok := range strings.SplitSeq(in, ".") {
		switch tok {
		case "*":
			out = append(out, next())
		case ">":
			out = append(out, next())
			if i < len(toks) {
				out = append(out, toks[i:]...)
			}
		default:
			out = append(out, tok)
		}
	}
	return strings.Join(out, ".")
}

// checkLikeServer compares New(in, out) and its Map of each subject with
// nats-server's transform.
func checkLikeServer(t *testing.T, in, out string, subjects ...string) {
	t.Helper()
	if !server.IsValidSubject(in) {
		if _, err := subjectmap.New(in, out); err == nil {
			t.Fatalf("New(%q, %q) accepted an input nats-server calls invalid", in, out)
		}
		return
	}
	m, err := subjectmap.New(in, out)
	tr, serverErr := server.NewSubjectTransform(in, out)
	if tr == nil && serverErr == nil {
		serverErr = errors.New("no destination") // out == ""
	}
	switch {
	case err != nil && serverErr == nil:
		if !errors.Is(err, subjectmap.ErrStricter) {
			t.Fatalf("New(%q, %q): %v, but nats-server accepts it", in, out, err)
		}
		return
	case err != nil:
		if !errors.Is(err, subjectmap.ErrInvalidMapping) {
			t.Fatalf("New(%q, %q): error %v does not match ErrInvalidMapping", in, out, err)
		}
		return
	case m.Literal():
		// A literal output is accepted where the server's mapping config
		// refuses it (a `>` input); it must be a publish subject, and Map
		// must match like a subscription on in.
		if !server.IsValidPublishSubject(out) {
			t.Fatalf("New(%q, %q) accepted a literal output that is not a publish subject", in, out)
		}
		if tr, serverErr = server.NewSubjectTransform(in, positionalDestination(in)); serverErr != nil {
			t.Fatalf("server rejected %q: %v", in, serverErr)
		}
	case serverErr != nil:
		t.Fatalf("New(%q, %q) accepted a mapping nats-server rejects: %v", in, out, serverErr)
	}
	lower := strings.ToLower(out)
	random := strings.Contains(lower, "random")
	many := strings.Contains(lower, "split") || strings.Contains(lower, "slice")
	for _, subject := range subjects {
		got, err := m.Map(subject)
		want, serverErr := tr.Match(subject)
		if err == nil && subjectmap.ValidLiteral(got) {
			if m.FeedsBack() && !subjectmap.Matches(got, in) {
				t.Errorf("%v: FeedsBack, but Map(%q) = %q is outside the input", m, subject, got)
			}
			if !many && !m.Allows(got) {
				t.Errorf("%v: Map(%q) = %q is outside Space %q", m, subject, got, m.Space())
			}
		}
		switch {
		case err == nil && serverErr != nil:
			t.Errorf("%v: Map(%q) = %q, but nats-server fails: %v", m, subject, got, serverErr)
		case err != nil && !errors.Is(err, subjectmap.ErrNoMatch):
			t.Errorf("%v: Map(%q) error %v does not match ErrNoMatch", m, subject, err)
		case err != nil && serverErr == nil && !serverLax(in, out, subject):
			t.Errorf("%v: Map(%q): %v, but nats-server gives %q", m, subject, err, want)
		case err == nil && m.Literal() && got != out:
			t.Errorf("%v: Map(%q) = %q, want the literal output", m, subject, got)
		case err == nil && !m.Literal() && !random && got != want:
			t.Errorf("%v: Map(%q) = %q, nats-server gives %q", m, subject, got, want)
		}
	}
}

// serverLax reports whether nats-server's transform matches subject where
// a subscription on in would not receive it: it skips every check when
// both patterns are `>`, and reads an input token such as `*x` as `*`.
func serverLax(in, out, subject string) bool {
	if in == ">" && out == ">" {
		return !server.IsValidLiteralSubject(subject)
	}
	return starPrefixed(in) && (!server.IsValidPublishSubject(subject) || !subscribed(subject, in))
}

func TestMapRandom(t *testing.T) {
	m, err := subjectmap.New("a.*", "r.{{random(3)}}.$1")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for range 300 {
		got, err := m.Map("a.x")
		if err != nil {
			t.Fatal(err)
		}
		seen[got] = true
	}
	for i := range 3 {
		want := "r." + strconv.Itoa(i) + ".x"
		if !seen[want] {
			t.Errorf("300 maps never gave %q", want)
		}
		delete(seen, want)
	}
	if len(seen) > 0 {
		t.Errorf("unexpected outputs %v", seen)
	}
}
