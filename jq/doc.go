// Package jq runs a jq program, compiled with github.com/itchyny/gojq, over
// the JSON payload of each artifact. Every value the program emits becomes
// one output artifact, derived from the input (same subject, reply subject
// and metadata); a program that emits nothing filters the input.
//
// The package lives apart from stream so that the core does not depend on
// gojq. A [Program] plugs into a stream.Buffer through [Program.Generator],
// or through [Program.Process] wherever a stream.ProcessFunc fits, such as
// stream.WithTimeout.
//
// # Numbers
//
// Payloads are decoded with json.Number, which gojq accepts as a number, so a
// number the program passes through unchanged keeps its exact text: the
// integer 12345678901234567890 or the decimal 0.10 come out as they went in.
// Arithmetic follows gojq: integers that fit in an int stay exact, larger
// integers use math/big, and anything else is a float64.
//
// # Output encoding
//
// Outputs are encoded by gojq.Marshal, as jq -S -c would print them:
// compact, object keys sorted (gojq keeps no key order, so an object never
// round-trips byte for byte unless its keys are sorted), no HTML escaping,
// NaN as null and infinities clamped to ±math.MaxFloat64. Each output
// carries artifact.KeyContentType "application/json".
//
// # Errors
//
// A payload that is not one JSON value fails with [ErrNotJSON]: it can never
// succeed, so the bridge dead-letters it without retrying. An error raised by
// the program fails with [ErrRuntime]. A run cut short by its context fails
// with the context's error, so stream.WithTimeout reports stream.ErrTimeout.
// Outputs emitted before a failure stay emitted.
package jq
