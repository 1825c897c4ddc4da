package jq_test

import (
	"fmt"
	"testing"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/jq"
)

// outputText is what a sink sees of an output while it holds it.
func outputText(a *artifact.Artifact) string {
	return fmt.Sprintf("%s %s %v %s", a.Subject, a.Reply, a.Meta, a.Payload)
}

// TestLentOutputs checks that a program compiled WithLentOutputs hands
// emit the outputs it would give without the option, however the sink
// treats each one it holds (here it rewrites its headers and payload, as a
// lender may once emit returns), and leaves the input as it was.
func TestLentOutputs(t *testing.T) {
	for _, c := range []struct{ name, src string }{
		{"fast path", `{seq: .seq, v: (.v * 2)}`},
		{"fast path, two outputs", `{seq: .seq}, .id`},
		{"gojq", `[.tags[] | ascii_upcase]`},
	} {
		t.Run(c.name, func(t *testing.T) {
			given, err := jq.Compile(c.src)
			if err != nil {
				t.Fatal(err)
			}
			lent, err := jq.Compile(c.src, jq.WithLentOutputs())
			if err != nil {
				t.Fatal(err)
			}
			if given.LendsOutputs() || !lent.LendsOutputs() {
				t.Fatalf("LendsOutputs: %v without the option, %v with it", given.LendsOutputs(), lent.LendsOutputs())
			}
			for i, in := range workloadArtifacts(t, 50) {
				in.Reply = "_INBOX.r"
				inText := outputText(in)
				var want, got []string
				if err := given.Process(t.Context(), in, func(o *artifact.Artifact) error {
					want = append(want, outputText(o))
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				if err := lent.Process(t.Context(), in, func(o *artifact.Artifact) error {
					got = append(got, outputText(o))
					o.Meta.Set("Trace-Id", "rewritten")
					o.Meta.Del(artifact.KeyContentType)
					o.Meta.Set("X-Added", "by the sink")
					for j := range o.Payload {
						o.Payload[j] = '#'
					}
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("input %d: lent outputs\n%q\nwant\n%q", i, got, want)
				}
				if now := outputText(in); now != inText {
					t.Fatalf("input %d changed: %s, was %s", i, now, inText)
				}
			}
		})
	}
}

// TestLentOutputsGenerator: a lending program's Generator sends outputs
// on a channel, where they stay after emit returns: each must be a copy.
func TestLentOutputsGenerator(t *testing.T) {
	p, err := jq.Compile(`{seq: .seq}`, jq.WithLentOutputs())
	if err != nil {
		t.Fatal(err)
	}
	const n = 100
	in := make(chan *artifact.Artifact, n)
	for _, a := range workloadArtifacts(t, n) {
		in <- a
	}
	close(in)
	g := p.Generator()
	defer g.Close()
	out, errs := g.Generate(t.Context(), in)
	var got []*artifact.Artifact
	for a := range out {
		got = append(got, a)
	}
	for err := range errs {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("%d outputs, want %d", len(got), n)
	}
	for i, a := range got {
		if want := fmt.Sprintf(`{"seq":%d}`, i); string(a.Payload) != want || a.Meta.Get(artifact.KeyContentType) != jq.ContentType {
			t.Fatalf("output %d: %q %v, want %s with Content-Type", i, a.Payload, a.Meta, want)
		}
	}
}

// TestLentOutputsAllocate: lending spares a fast-path output its
// artifact, header map (two allocations) and payload.
func TestLentOutputsAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's sync.Pool drops objects at random")
	}
	in := workloadArtifacts(t, 1)[0]
	allocs := func(opts ...jq.Option) float64 {
		p, err := jq.Compile(`{seq: .seq, t: .t, id: .id, v: (.v * 2)}`, opts...)
		if err != nil {
			t.Fatal(err)
		}
		discard := func(*artifact.Artifact) error { return nil }
		return testing.AllocsPerRun(1000, func() {
			if err := p.Process(t.Context(), in, discard); err != nil {
				t.Fatal(err)
			}
		})
	}
	given, lent := allocs(), allocs(jq.WithLentOutputs())
	if lent > given-4 {
		t.Fatalf("%v allocations per message lent, %v given: want 4 fewer", lent, given)
	}
	t.Logf("%v allocations per message lent, %v given", lent, given)
}
