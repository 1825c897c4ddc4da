package streamtest

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"testing"

	"github.com/natsbridge/bridge/artifact"
)

// checkIdentity checks that outs are inputs, unchanged and, unless
// unordered, in order per subject, and that there are no errors.
func checkIdentity(t *testing.T, inputs, outs []*artifact.Artifact, errList []error, unordered bool) {
	t.Helper()
	if unordered {
		// Put the outputs in input order; a duplicate or a stranger still
		// shows up as a mismatch below.
		outs = slices.Clone(outs)
		slices.SortStableFunc(outs, func(x, y *artifact.Artifact) int {
			i, _ := seq(x)
			j, _ := seq(y)
			return cmp.Compare(i, j)
		})
	}
	for _, err := range errList {
		t.Errorf("unexpected error: %v", err)
	}
	if len(outs) != len(inputs) {
		t.Errorf("got %d outputs, want %d", len(outs), len(inputs))
	}
	want := map[string][]*artifact.Artifact{}
	for _, a := range inputs {
		want[a.Subject] = append(want[a.Subject], a)
	}
	got := map[string][]*artifact.Artifact{}
	for _, a := range outs {
		if a == nil {
			t.Errorf("got a nil artifact")
			continue
		}
		got[a.Subject] = append(got[a.Subject], a)
	}
	for subj, gs := range got {
		ws := want[subj]
		for i, g := range gs {
			if i >= len(ws) {
				t.Errorf("subject %q: %d extra outputs, starting with %s", subj, len(gs)-len(ws), describe(g))
				break
			}
			if err := sameArtifact(g, ws[i]); err != nil {
				t.Errorf("subject %q: output %d: %v", subj, i, err)
				break
			}
		}
	}
	for subj, ws := range want {
		if n := len(got[subj]); n < len(ws) {
			t.Errorf("subject %q: %d outputs missing, starting with %s", subj, len(ws)-n, describe(ws[n]))
		}
	}
}

// sameArtifact reports how got differs from the input want, if it does.
func sameArtifact(got, want *artifact.Artifact) error {
	if got.Reply != want.Reply || !bytes.Equal(got.Payload, want.Payload) {
		return fmt.Errorf("got %s, want %s", describe(got), describe(want))
	}
	for k, vs := range want.Meta {
		for i, v := range vs {
			if gv := got.Meta.Values(k); i >= len(gv) || gv[i] != v {
				return fmt.Errorf("%s: metadata %q = %q, want %q", describe(got), k, gv, vs)
			}
		}
	}
	return nil
}

func describe(a *artifact.Artifact) string {
	return fmt.Sprintf("{seq %s, reply %q, payload %q}", a.Meta.Get(metaSeq), a.Reply, a.Payload)
}
