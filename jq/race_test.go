//go:build race

package jq_test

// raceEnabled: the race detector makes sync.Pool drop what it is given at
// random, so reuse cannot be counted in allocations.
const raceEnabled = true
