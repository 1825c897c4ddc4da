package streamtest_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/jq"
	"github.com/natsbridge/bridge/stream"
	"github.com/natsbridge/bridge/stream/streamtest"
)

func TestGenerators(t *testing.T) {
	identity, err := jq.Compile(".")
	if err != nil {
		t.Fatal(err)
	}
	filterAll, err := jq.Compile("empty")
	if err != nil {
		t.Fatal(err)
	}
	jsonPayload := func(i int) []byte { return fmt.Appendf(nil, `{"n":%d,"s":"x"}`, i) }

	tests := []struct {
		name   string
		newGen func() stream.Generator
		opts   streamtest.Options
	}{
		{name: "Passthrough", newGen: stream.Passthrough, opts: streamtest.Options{Identity: true}},
		{
			name: "Map identity",
			newGen: func() stream.Generator {
				return stream.Map(func(_ context.Context, a *artifact.Artifact) (*artifact.Artifact, error) { return a, nil })
			},
			opts: streamtest.Options{Identity: true},
		},
		{
			name:   "Chain",
			newGen: func() stream.Generator { return stream.Chain(stream.Passthrough(), stream.Passthrough()) },
			opts:   streamtest.Options{Identity: true},
		},
		{
			name:   "Parallel",
			newGen: func() stream.Generator { return stream.Parallel(3, stream.BySubject, stream.Passthrough()) },
			opts:   streamtest.Options{Identity: true},
		},
		{
			// Every input has its own key, so only the set of outputs is
			// promised, not their order per subject.
			name: "Parallel by header",
			newGen: func() stream.Generator {
				return stream.Parallel(3, stream.ByHeader("Streamtest-Seq"), stream.Passthrough())
			},
			opts: streamtest.Options{Identity: true, Unordered: true},
		},
		{
			name:   "Parallel unordered",
			newGen: func() stream.Generator { return stream.Parallel(3, nil, stream.Passthrough()) },
			opts:   streamtest.Options{Identity: true, Unordered: true},
		},
		{
			name: "Parallel of Chain",
			newGen: func() stream.Generator {
				return stream.Parallel(3, stream.BySubject, stream.Chain(stream.Passthrough(), stream.Passthrough()))
			},
			opts: streamtest.Options{Identity: true},
		},
		{
			name: "Parallel unordered of Chain",
			newGen: func() stream.Generator {
				return stream.Parallel(3, nil, stream.Chain(stream.Passthrough(), stream.Passthrough()))
			},
			opts: streamtest.Options{Identity: true, Unordered: true},
		},
		{
			name:   "jq in Parallel unordered",
			newGen: func() stream.Generator { return stream.Parallel(2, nil, identity.Generator()) },
			opts:   streamtest.Options{Identity: true, Unordered: true, Payload: jsonPayload},
		},
		{
			name: "Chain of Parallel",
			newGen: func() stream.Generator {
				return stream.Chain(stream.Parallel(2, stream.BySubject, stream.Passthrough()), stream.Passthrough())
			},
			opts: streamtest.Options{Identity: true},
		},
		{
			name: "Filter odd",
			newGen: func() stream.Generator {
				return stream.Filter(func(_ context.Context, a *artifact.Artifact) (bool, error) { return len(a.Payload)%2 == 0, nil })
			},
		},
		{name: "jq identity", newGen: identity.Generator, opts: streamtest.Options{Identity: true, Payload: jsonPayload}},
		{name: "jq identity on numbers", newGen: identity.Generator, opts: streamtest.Options{Identity: true}},
		{name: "jq empty", newGen: filterAll.Generator, opts: streamtest.Options{Payload: jsonPayload}},
		// Every input fails: the errors channel carries the load.
		{name: "jq on non-JSON", newGen: identity.Generator, opts: streamtest.Options{Payload: func(i int) []byte { return fmt.Appendf(nil, "x%d", i) }}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			streamtest.TestGenerator(t, test.newGen, test.opts)
		})
	}
}

// TestExample runs the conformance test of the package example's
// generator, so the example shows code that passes.
func TestExample(t *testing.T) { testStamp(t) }

// TestBuffers runs the Buffer suite on buffers built from the stream
// package's generators, under each overflow policy.
func TestBuffers(t *testing.T) {
	identity, err := jq.Compile(".")
	if err != nil {
		t.Fatal(err)
	}
	filterAll, err := jq.Compile("empty")
	if err != nil {
		t.Fatal(err)
	}
	// buf returns a constructor of buffers with a fresh generator each.
	buf := func(gen func() stream.Generator, opts ...stream.Option) func(...stream.Option) (*stream.Buffer, error) {
		return func(suite ...stream.Option) (*stream.Buffer, error) {
			all := slices.Clone(opts)
			if gen != nil {
				all = append(all, stream.WithGenerator(gen()))
			}
			return stream.NewBuffer(append(all, suite...)...)
		}
	}
	parallel := func() stream.Generator { return stream.Parallel(3, stream.BySubject, stream.Passthrough()) }
	dropOdd := func(a *artifact.Artifact) (*artifact.Artifact, error) {
		if len(a.Payload)%2 == 1 {
			return nil, nil
		}
		return a, nil
	}
	rejectOdd := stream.Validate(func(a *artifact.Artifact) error {
		if len(a.Payload)%2 == 1 {
			return errors.New("odd")
		}
		return nil
	})
	identical := streamtest.Options{Identity: true}
	tests := []struct {
		name   string
		newBuf func(...stream.Option) (*stream.Buffer, error)
		opts   streamtest.Options
	}{
		{"default", stream.NewBuffer, identical},
		{"Passthrough", buf(stream.Passthrough), identical},
		{"Chain", buf(func() stream.Generator { return stream.Chain(stream.Passthrough(), parallel()) }), identical},
		{"jq identity", buf(identity.Generator), identical},
		{"jq empty", buf(filterAll.Generator), streamtest.Options{}},
		{"filtering and rejecting middleware", buf(parallel, stream.WithMiddleware(dropOdd, rejectOdd)), identical},
	}
	for _, p := range []stream.Overflow{stream.Block, stream.DropNewest, stream.DropOldest, stream.Fail} {
		tests = append(tests,
			struct {
				name   string
				newBuf func(...stream.Option) (*stream.Buffer, error)
				opts   streamtest.Options
			}{"Parallel " + p.String(), buf(parallel, stream.WithBufferSize(16), stream.WithOverflow(p)), identical},
			struct {
				name   string
				newBuf func(...stream.Option) (*stream.Buffer, error)
				opts   streamtest.Options
			}{"no generator " + p.String(), buf(nil, stream.WithBufferSize(16), stream.WithOverflow(p)), identical},
		)
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			streamtest.TestBuffer(t, test.newBuf, test.opts)
		})
	}
}
