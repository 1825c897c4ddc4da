package embedded_test

import (
	"testing"

	"go.uber.org/goleak"
)

// No goroutine is ignored: Shutdown waits for all of the server's, and
// nats.go's Close ends the client's (goleak retries while they wind down).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
