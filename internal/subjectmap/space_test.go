package subjectmap_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/natsbridge/bridge/internal/subjectmap"
)

func TestSpace(t *testing.T) {
	tests := []struct {
		in, out, space string
		allows, denies []string
	}{
		{in: "orders.*", out: "events.>", space: "events.>",
			allows: []string{"events.eu.new", "events.x"},
			denies: []string{"events", "orders.x", "events.*", "events.>", "events..x", "events.a b", ""}},
		{in: "orders.*", out: "audit.{{wildcard(1)}}", space: "audit.*",
			allows: []string{"audit.x"}, denies: []string{"audit", "audit.x.y", "audit.*"}},
		{in: "orders.*.*", out: "audit.$2.{{ partition(3, 1) }}.x", space: "audit.*.*.x",
			allows: []string{"audit.a.b.x"}, denies: []string{"audit.a.b.y"}},
		{in: "orders.>", out: "audit", space: "audit",
			allows: []string{"audit"}, denies: []string{"audit.x", "other"}},
		{in: "orders.*", out: "a.*x", space: "a.*x", // `*x` is a literal token
			allows: []string{"a.*x"}, denies: []string{"a.b"}},
		{in: "orders.*", out: "a.{{split(1,-)}}", space: "a.*",
			allows: []string{"a.x"}, denies: []string{"a.x.y"}},
	}
	for _, test := range tests {
		mappings := []*subjectmap.Mapping{}
		if m, err := subjectmap.New(test.in, test.out); err == nil {
			mappings = append(mappings, m)
		}
		m, err := subjectmap.NewSpace(test.in, test.out)
		if err != nil {
			t.Fatalf("NewSpace(%q, %q): %v", test.in, test.out, err)
		}
		for _, m := range append(mappings, m) {
			if m.Space() != test.space {
				t.Errorf("%v: Space() = %q, want %q", m, m.Space(), test.space)
			}
			for _, s := range test.allows {
				if !m.Allows(s) {
					t.Errorf("%v: Allows(%q) = false, want true", m, s)
				}
			}
			for _, s := range test.denies {
				if m.Allows(s) {
					t.Errorf("%v: Allows(%q) = true, want false", m, s)
				}
			}
		}
	}
}

func TestNewSpace(t *testing.T) {
	tests := []struct {
		in, out string
		space   string
		mapsIn  bool
	}{
		{in: "orders.in", out: "routed.>", space: "routed.>"},
		{in: "orders.in", out: "routed.*", space: "routed.*"},
		{in: "orders.in", out: "audit.{{wildcard(1)}}", space: "audit.*"},
		{in: "orders.*", out: "audit.{{wildcard(2)}}", space: "audit.*"},
		{in: "orders.*", out: "audit.$1.*", space: "audit.*.*"},
		{in: "orders.>", out: "audit.$1", space: "audit.*"},
		{in: "orders.*", out: "audit.$1", space: "audit.*", mapsIn: true},
		{in: "orders.>", out: "audit.>", space: "audit.>", mapsIn: true},
		{in: "orders.>", out: "audit", space: "audit", mapsIn: true},
	}
	for _, test := range tests {
		m, err := subjectmap.NewSpace(test.in, test.out)
		if err != nil {
			t.Fatalf("NewSpace(%q, %q): %v", test.in, test.out, err)
		}
		if m.MapsIn() != test.mapsIn || m.Space() != test.space {
			t.Errorf("%v: MapsIn, Space = %v, %q, want %v, %q", m, m.MapsIn(), m.Space(), test.mapsIn, test.space)
		}
		_, newErr := subjectmap.New(test.in, test.out)
		if (newErr == nil) != test.mapsIn {
			t.Errorf("New(%q, %q) error %v, but MapsIn is %v", test.in, test.out, newErr, test.mapsIn)
		}
		subject := strings.NewReplacer("*", "x", ">", "x").Replace(test.in)
		_, err = m.Map(subject)
		switch {
		case test.mapsIn && err != nil:
			t.Errorf("%v: Map(%q): %v", m, subject, err)
		case !test.mapsIn && !errors.Is(err, subjectmap.ErrNoDefault):
			t.Errorf("%v: Map(%q) error %v, want ErrNoDefault", m, subject, err)
		case !test.mapsIn && m.Literal():
			t.Errorf("%v: Literal() = true for a pattern that does not map the input", m)
		}
	}
}

// TestNewSpaceRejects checks that an output pattern a program chooses in
// must still be a subject pattern, with well-formed functions.
func TestNewSpaceRejects(t *testing.T) {
	for _, out := range []string{
		"", "a..b", "a.>.b", "a b", "a.{{nosuch(1)}}", "a.{{wildcard(0)}}", "a.x{{wildcard(1)}}",
		"a.{{wildcard(1,2)}}", "a.{{split(1)}}",
	} {
		m, err := subjectmap.NewSpace("orders.*", out)
		if !errors.Is(err, subjectmap.ErrInvalidMapping) {
			t.Errorf("NewSpace(orders.*, %q) = %v, %v, want ErrInvalidMapping", out, m, err)
		}
	}
}

func TestFeedsBack(t *testing.T) {
	tests := []struct {
		in, out string
		want    bool
	}{
		{"a.>", "a.b.>", true},
		{"a.*", "a.b", true},
		{"a.*", "a.$1", true},
		{"a.*", "a.{{wildcard(1)}}", true},
		{"a.*", "a.{{ Partition(3,1) }}", true},
		{"a.*", "a.{{left(1,2)}}", true},
		{"a.*.*", "a.{{right(1,2)}}.{{random(4)}}", true},
		{">", "x.>", true},
		{"a.*", "b.$1", false},
		{"a.*", "a.$1.x", false},
		{"a.>", "b.>", false},
		{"a.b", "a.c", false},
		{"a.*", "a.*x", true}, // a literal subject that a.* receives
		// Functions that may produce several tokens are assumed not to loop.
		{"a.*", "a.{{split(1,-)}}", false},
		{"a.*.>", "a.{{splitFromLeft(1,2)}}.>", false},
		{"a.*.>", "a.{{SliceFromRight(1,2)}}.>", false},
	}
	for _, test := range tests {
		m, err := subjectmap.New(test.in, test.out)
		if err != nil {
			t.Fatalf("New(%q, %q): %v", test.in, test.out, err)
		}
		if got := m.FeedsBack(); got != test.want {
			t.Errorf("%v: FeedsBack() = %v, want %v", m, got, test.want)
		}
	}
	m, err := subjectmap.NewSpace("a.>", "a.>") // maps in, into itself
	if err != nil || !m.FeedsBack() {
		t.Errorf("NewSpace(a.>, a.>): FeedsBack false, err %v", err)
	}
	m, err = subjectmap.NewSpace("a.b", "a.>") // no default subject: nothing loops
	if err != nil || m.FeedsBack() {
		t.Errorf("NewSpace(a.b, a.>): FeedsBack true, err %v", err)
	}
}
