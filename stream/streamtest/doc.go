// Package streamtest is a conformance suite for stream.Generator
// implementations, in the manner of testing/fstest: an implementation's
// tests call [TestGenerator] with a constructor and a description of the
// behaviour to expect, and the suite checks the Generator contract in
// subtests. [TestBuffer] does the same for a stream.Buffer built with a
// given Generator, middleware and overflow policy: what the two make
// together, including the Buffer's accounting for every input.
//
// Each subtest runs the generator in a testing/synctest bubble. That is how
// the suite knows, without sleeping, that a generator is blocked (say, on a
// send nobody receives), and it makes the suite's deadlines fake time, so a
// generator that hangs fails at once rather than after a real timeout. The
// generators under test must therefore not depend on goroutines or channels
// made outside the bubble (no network, no shared worker pools).
//
// The suite also checks for leaked goroutines with go.uber.org/goleak, so
// it must not run in parallel with other tests of the same package.
package streamtest
