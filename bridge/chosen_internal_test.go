package bridge

import (
	"fmt"
	"testing"
)

// TestChosenSubjectCache checks that the cache of accepted subjects gives
// the verdicts of the checks, and stops growing at maxChosen.
func TestChosenSubjectCache(t *testing.T) {
	cfg := RouteConfig{Name: "r", In: "in.*", Out: "out.{{wildcard(1)}}"}.WithDefaults()
	m, err := cfg.mapping()
	if err != nil {
		t.Fatal(err)
	}
	r := &route{cfg: cfg, mapping: m}
	for range 2 { // the second time from the cache
		if _, err := r.chosenSubject("out.eu"); err != nil {
			t.Fatalf("out.eu: %v", err)
		}
		for _, bad := range []string{"in.x", "out.eu.x", "out.*", ""} {
			if _, err := r.chosenSubject(bad); err == nil {
				t.Fatalf("%q accepted", bad)
			}
		}
	}
	for i := range maxChosen + 10 {
		if _, err := r.chosenSubject(fmt.Sprintf("out.k%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if n := r.nChosen.Load(); n != maxChosen {
		t.Errorf("%d subjects cached, want %d", n, maxChosen)
	}
}
