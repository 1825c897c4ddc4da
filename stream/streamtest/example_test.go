package streamtest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/stream"
	"github.com/natsbridge/bridge/stream/streamtest"
)

// Stamp is a Generator of your own: it passes every artifact on, marked
// with the stage that saw it.
func Stamp() stream.Generator {
	return stream.Map(func(_ context.Context, a *artifact.Artifact) (*artifact.Artifact, error) {
		a.SetMeta("Seen-By", "stamp")
		return a, nil
	})
}

// testStamp is the test your package writes for its Generator; name it
// TestStamp there, and go test runs the contract as its subtests. Stamp
// emits each input once, unchanged but for the key it adds, so it also
// takes the stricter Identity checks. (TestExample runs this one.)
func testStamp(t *testing.T) {
	streamtest.TestGenerator(t, Stamp, streamtest.Options{Identity: true})
}

// A Generator and the test that holds it to the stream.Generator contract.
func Example() {
	g := Stamp()
	in := make(chan *artifact.Artifact, 1)
	in <- artifact.New("orders", []byte(`{"id":1}`))
	close(in)

	out, errs := g.Generate(context.Background(), in)
	for a := range out {
		fmt.Println(a.Subject, string(a.Payload), "seen by", a.Meta.Get("Seen-By"))
	}
	for err := range errs {
		fmt.Println("error:", err)
	}
	_ = g.Close()
	// Output:
	// orders {"id":1} seen by stamp
}
