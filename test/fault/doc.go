// Package fault holds the bridge's fault-injection tests, black-box: each
// test runs the bridge binary (built once by TestMain from ./cmd/bridge, so
// `go` must be on PATH) as a subprocess against real NATS servers started
// in-process, injects a fault, and checks what reached the output stream,
// message by message.
//
//   - TestCrashRestart: SIGKILL and restart in the middle of a JetStream
//     flow, three times: every message exactly once.
//   - TestServerRestart: the NATS server restarts (same store): the
//     JetStream route loses nothing, the core route resumes.
//   - TestClusterFailover: a node of a three-node cluster with R3 streams
//     goes down (the bridge's own, the output stream's leader, the
//     consumer's leader): nothing lost, nothing duplicated.
//   - TestOutputAckLost: an output publish is never acknowledged: the route
//     retries instead of waiting forever.
//   - TestBackpressureMemory: a slow route over 200,000 queued messages of
//     1 KiB keeps its peak RSS bounded and drops nothing (skipped by -short).
//   - TestScaleOut: two processes on one durable consumer share the work
//     with no duplicates.
//   - TestBadInput: random bytes, invalid JSON, outputs over max_payload and
//     odd headers: bad messages reach the dead-letter stream at their first
//     delivery, good ones arrive, headers intact.
//   - TestSilentPartition: a proxy drops every byte without closing
//     anything: /readyz goes 503 within the ping bound, and after the heal
//     the routes recover by themselves, the JetStream one exactly once.
//   - TestNetworkFaults: toxiproxy, embedded, between the bridge and its
//     server (or only the server of its outputs): silent partitions of 10 s
//     and 60 s, 200 ms latency with jitter, 1 MB/s under a burst, a reset
//     in the middle of a burst, a slow close. The JetStream route's output
//     stream holds every message once, every input of both routes is in
//     the metrics identity, /readyz is 503 while the bridge knows it is
//     disconnected and 200 once it has healed; detection times are logged
//     and bounded.
//   - TestRollingRestart: each node of a three-node cluster restarted in
//     lame-duck mode, then each hard, under a steady JetStream flow: nothing
//     lost, nothing duplicated, every move of the bridge logged.
//   - TestSoak: core, jq with dead letters, JetStream and request-reply
//     routes at about 1,000 msg/s for -soak (2m; make soak: 30m): every
//     message accounted for, RSS and goroutine count flat (skipped by
//     -short).
//   - TestCredentials: user/password, token, nkey, creds (JWT), TLS and
//     mutual TLS against servers configured for them; a refused credential
//     keeps the bridge not ready and retrying until the server accepts it.
//   - TestCrossSystem*: routes between two servers with different
//     credentials (user/password, token): core messages; 50,000 JetStream
//     messages through 3 SIGKILLs and a restart of the output side
//     (exactly once); the output side down for 10 s under load (JetStream:
//     nothing acknowledged, nothing lost; core: every input accounted for,
//     the failed ones dead-lettered on the input side); request-reply with
//     50 concurrent requesters; /readyz naming the connection that is down.
//   - TestProducerExpectationHeaders, TestDeadLetterRefusedAtLastDelivery:
//     a message stored with Nats-Expected-Stream, and a dead letter the DLQ
//     refuses for a while, are not lost.
//
// FAULT_SEED replays the random choices of a run, whose seed the tests log;
// FAULT_BRIDGE runs the tests against a binary built elsewhere.
package fault
