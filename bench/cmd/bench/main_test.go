package main

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that a harness run leaves no goroutine behind: process
// waiters, subscriptions and connections all end with the run.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
