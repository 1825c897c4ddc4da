package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestQuickRunTracing runs the tracing scenario end to end with a small
// load: both bridges have figures, and the traced one exported spans to
// the harness's OTLP sink, in the scenario's three rounds a repetition.
func TestQuickRunTracing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the harness")
	}
	c := testConfig(t)
	c.n = 4000
	c.run = regexp.MustCompile(`^tracing-1pct$`)
	c.out = t.TempDir()
	c.bridge = filepath.Join(t.TempDir(), "bridge") // missing: built
	var stdout, stderr bytes.Buffer
	if err := run(t.Context(), c, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	b, err := os.ReadFile(filepath.Join(c.out, "latest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Summary) != 1 || len(r.Summary[0].Contenders) != 2 {
		t.Fatalf("summary %+v, want the two bridges of tracing-1pct", r.Summary)
	}
	checkReport(t, c, &r)
	// Three pairs a repetition: the scenario's rounds.
	if s := r.Summary[0]; s.RoundsPerRep != 3 || s.Contenders[0].Runs != 3*c.reps || s.Contenders[1].Runs != 3*c.reps {
		t.Errorf("rounds %d, runs %d and %d; want 3, and %d runs of each", s.RoundsPerRep, s.Contenders[0].Runs, s.Contenders[1].Runs, 3*c.reps)
	}
	if !strings.Contains(stdout.String(), "runs the contenders 3 times") {
		t.Errorf("the table does not say how many runs its medians are of:\n%s", stdout.String())
	}
	m := regexp.MustCompile(`OTLP sink took (\d+) exports`).FindStringSubmatch(stderr.String())
	if m == nil || m[1] == "0" {
		t.Errorf("the traced bridge exported nothing to the sink:\n%s", stderr.String())
	}
	if !strings.Contains(stdout.String(), "the bridge, traced") {
		t.Errorf("no traced bridge in the table:\n%s", stdout.String())
	}
}
