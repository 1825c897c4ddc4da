package streamtest

import (
	"strconv"
	"testing"
	"testing/synctest"

	"go.uber.org/goleak"

	"github.com/natsbridge/bridge/stream"
)

// newSuite returns the state both suites share, with opts' defaults
// filled in.
func newSuite(newGen func() stream.Generator, opts Options) *suite {
	if opts.Payload == nil {
		opts.Payload = func(i int) []byte { return strconv.AppendInt(nil, int64(i), 10) }
	}
	return &suite{newGen: newGen, opts: opts}
}

// runBubble runs test as a subtest, in a bubble, with a leak check around
// it.
func runBubble(t *testing.T, name string, test func(t *testing.T)) {
	t.Run(name, func(t *testing.T) {
		ignore := goleak.IgnoreCurrent()
		synctest.Test(t, test)
		goleak.VerifyNone(t, ignore)
	})
}
