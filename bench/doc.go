// Package bench holds the benchmark harness that compares the bridge binary
// with bare nats.go relays and with its peers (Bento, Watermill), and the
// in-process Go benchmarks used to profile the bridge's hot path
// (go test ./bench -bench .).
//
// The harness itself is the command in cmd/bench; `make bench` runs it. The
// programs it measures and the NATS server it measures them against are the
// small mains beside it: natsserver, relay and jsrelay, and, each in a Go
// module of its own, the peers in peers/bento and peers/watermill. See
// README.md.
package bench
