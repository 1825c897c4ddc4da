package subjectmap_test

import (
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats-server/v2/server/gsl"

	"github.com/natsbridge/bridge/internal/subjectmap"
)

func TestValidSubject(t *testing.T) {
	tests := []struct {
		subject        string
		valid, literal bool
	}{
		{subject: "a", valid: true, literal: true},
		{subject: "a.b.c", valid: true, literal: true},
		{subject: "a.*.c", valid: true},
		{subject: "a.>", valid: true},
		{subject: ">", valid: true},
		{subject: "*", valid: true},
		{subject: "a*.b>", valid: true, literal: true}, // not whole tokens
		{subject: "$KV.x", valid: true, literal: true},
		{subject: "a.{{wildcard(1)}}", valid: true, literal: true},
		{subject: ""},
		{subject: "."},
		{subject: "a."},
		{subject: ".a"},
		{subject: "a..b"},
		{subject: "a.>.b"},
		{subject: ">.a"},
		{subject: "a b"},
		{subject: "a.\tb"},
		{subject: "a\n"},
		{subject: " "},
		{subject: "a.\f"},
		{subject: "a.\r.b"},
	}
	for _, test := range tests {
		if got := subjectmap.ValidSubject(test.subject); got != test.valid {
			t.Errorf("ValidSubject(%q) = %v, want %v", test.subject, got, test.valid)
		}
		if got := subjectmap.ValidLiteral(test.subject); got != test.literal {
			t.Errorf("ValidLiteral(%q) = %v, want %v", test.subject, got, test.literal)
		}
		checkRulesLikeServer(t, test.subject)
	}
}

func TestMatches(t *testing.T) {
	tests := []struct {
		subject, filter string
		want            bool
	}{
		{"a.b", "a.b", true},
		{"a.b", "a.c", false},
		{"a.b", "a.*", true},
		{"a.b", "*.*", true},
		{"a.b", "a.>", true},
		{"a.b", ">", true},
		{"a", "a.>", false},
		{"a", "a.*", false},
		{"a.b.c", "a.*", false},
		{"a.b", "a", false},
		{"a.b", "a.b.c", false},
		// A pattern as subject: inside the filter when all it matches is.
		{"a.*", "a.*", true},
		{"a.*", "a.>", true},
		{"a.*", "*.*", true},
		{"a.*", "a.b", false},
		{"a.>", "a.>", true},
		{"a.>", ">", true},
		{"a.>", "a.*", false},
		{"a.b.>", "a.*.>", true},
		{"a.*.c", "a.>", true},
		{"*", "a", false},
		{">", "a.>", false},
		// Literal tokens that look like wildcards.
		{"a.*x", "a.*", true},
		{"a.b", "a.*x", false}, // a subscription on a.*x does not get a.b
		{"a.*x", "a.*x", true},
		{"a.>x", "a.>", true},
		// Unvalidated arguments, as the server reads them.
		{"", ">", true},
		{"a.", "a.>", true},
		{"a.", "a.*", false},
		{"", "", false},
		{"a", "", false},
	}
	for _, test := range tests {
		if got := subjectmap.Matches(test.subject, test.filter); got != test.want {
			t.Errorf("Matches(%q, %q) = %v, want %v", test.subject, test.filter, got, test.want)
		}
		checkMatchesLikeServer(t, test.subject, test.filter)
	}
}

// FuzzSubjectRulesLikeServer checks ValidSubject, ValidLiteral and Matches
// against nats-server's IsValidSubject, IsValidPublishSubject,
// SubjectMatchesFilter and its subscription index.
func FuzzSubjectRulesLikeServer(f *testing.F) {
	for _, seed := range [][2]string{
		{"a.b", "a.*"}, {"a.b.c", "a.>"}, {"a.*", "a.>"}, {"a.>", "a.*"}, {"a", "a.>"},
		{"a.*x", "a.*"}, {"a.b", "a.*x"}, {"a..b", ">"}, {"a b", "a b"}, {"", ">"},
		{"*.*", "a.*"}, {"a.>", ">"}, {">", "*"}, {"a.\t", "a.*"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, subject, filter string) {
		checkRulesLikeServer(t, subject)
		checkRulesLikeServer(t, filter)
		checkMatchesLikeServer(t, subject, filter)
	})
}

func checkRulesLikeServer(t *testing.T, s string) {
	t.Helper()
	if got, want := subjectmap.ValidSubject(s), server.IsValidSubject(s); got != want {
		t.Errorf("ValidSubject(%q) = %v, nats-server IsValidSubject %v", s, got, want)
	}
	if got, want := subjectmap.ValidLiteral(s), server.IsValidPublishSubject(s); got != want {
		t.Errorf("ValidLiteral(%q) = %v, nats-server IsValidPublishSubject %v", s, got, want)
	}
}

// checkMatchesLikeServer compares Matches with SubjectMatchesFilter, except
// for a filter token that begins with `*` without being `*`, which
// SubjectMatchesFilter reads as `*`. For a valid literal subject and a valid
// filter it also compares with the server's subscription index, which
// decides what a subscription receives.
func checkMatchesLikeServer(t *testing.T, subject, filter string) {
	t.Helper()
	got := subjectmap.Matches(subject, filter)
	if !starPrefixed(filter) {
		if want := server.SubjectMatchesFilter(subject, filter); got != want {
			t.Errorf("Matches(%q, %q) = %v, nats-server SubjectMatchesFilter %v", subject, filter, got, want)
		}
	}
	if server.IsValidPublishSubject(subject) && server.IsValidSubject(filter) {
		if want := subscribed(subject, filter); got != want {
			t.Errorf("Matches(%q, %q) = %v, but a subscription on %[2]q receives %[1]q: %v", subject, filter, got, want)
		}
	}
}

// starPrefixed reports whether s has a token such as `*x`.
func starPrefixed(s string) bool {
	for tok := range strings.SplitSeq(s, ".") {
		if len(tok) > 1 && tok[0] == '*' {
			return true
		}
	}
	return false
}

// subscribed reports whether nats-server's subscription index delivers
// subject to a subscription on filter.
func subscribed(subject, filter string) bool {
	sl := gsl.NewSimpleSublist()
	if err := sl.Insert(filter, struct{}{}); err != nil {
		panic(err)
	}
	return sl.HasInterest(subject)
}
