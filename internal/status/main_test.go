package status_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no test leaves a sampler running.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
