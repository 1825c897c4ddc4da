package fault_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsbridge/bridge/bridge"
	"github.com/natsbridge/bridge/internal/natstest"
)

// oddHeaders are header sets a producer may send: many headers, a long
// value, several values, non-ASCII text, and names in mixed case (two of
// which differ in case only: NATS header names are case-sensitive).
func oddHeaders() []nats.Header {
	many := nats.Header{}
	for i := range 100 {
		many.Set(fmt.Sprintf("X-Many-%03d", i), strconv.Itoa(i))
	}
	return []nats.Header{
		many,
		{"X-Long": {strings.Repeat("0123456789abcdef", 1024)}},
		{"X-Multi": {"one", "two", "three"}},
		{"X-Unicode": {"héllo wörld ✓ 日本語 🚀"}},
		{"x-lower-case": {"a"}, "X-UPPER-CASE": {"b"}, "X-MiXeD-CaSe": {"c"}, "x-mIxEd-cAsE": {"d"}},
	}
}

// invalidJSON are payloads jq cannot decode.
var invalidJSON = []string{
	``, ` `, `{"n":`, `[1,2`, `nul`, `{'n':1}`, `"unterminated`, `{"n":01}`, `NaN`, `{"n":1,}`,
	`{"n":1}{"n":2}`, "\x00", `{"n":1} x`,
}

// badCase is one input message and what should become of it.
type badCase struct {
	kind string // good, random, invalid or oversized
	n    int    // good: the number in the payload
	msg  *nats.Msg
	seq  uint64 // its sequence in IN
}

// badInputCases returns good messages mixed with random bytes, invalid
// JSON and valid JSON whose output exceeds the server's maximum payload;
// some of each carry odd headers.
func badInputCases(rng *rand.Rand) []*badCase {
	var cases []*badCase
	odd := oddHeaders()
	withOdd := func(m *nats.Msg, i int) *nats.Msg {
		m.Header = nats.Header{}
		for k, vs := range odd[i%len(odd)] {
			m.Header[k] = slices.Clone(vs)
		}
		return m
	}
	good := 0
	addGood := func(header bool, i int) {
		m := &nats.Msg{Subject: fmt.Sprintf("in.%d", good%8), Data: fmt.Appendf(nil, `{"n":%d}`, good)}
		if header {
			m = withOdd(m, i)
		}
		cases = append(cases, &badCase{kind: "good", n: good, msg: m})
		good++
	}
	for i := range 1000 {
		addGood(false, i)
	}
	for i := range 4 * len(odd) {
		addGood(true, i)
	}
	for i := range 40 {
		b := make([]byte, 1+rng.IntN(2048))
		for j := range b {
			b[j] = byte(rng.UintN(256))
		}
		b[0] = 0xff // never the start of a JSON value
		m := &nats.Msg{Subject: "in.random", Data: b}
		if i%2 == 0 {
			m = withOdd(m, i/2)
		}
		cases = append(cases, &badCase{kind: "random", msg: m})
	}
	for i := range 2 * len(invalidJSON) {
		m := &nats.Msg{Subject: "in.invalid", Data: []byte(invalidJSON[i%len(invalidJSON)])}
		if i >= len(invalidJSON) {
			m = withOdd(m, i)
		}
		cases = append(cases, &badCase{kind: "invalid", msg: m})
	}
	big := strings.Repeat("x", 600<<10)
	for i := range 3 {
		m := &nats.Msg{Subject: "in.big", Data: fmt.Appendf(nil, `{"big":"%s","case":%d}`, big, i)}
		if i == 0 {
			m = withOdd(m, 0)
		}
		cases = append(cases, &badCase{kind: "oversized", msg: m})
	}
	rng.Shuffle(len(cases), func(i, j int) { cases[i], cases[j] = cases[j], cases[i] })
	return cases
}

// headersKept returns an error unless got holds every key of want with
// the same values.
func headersKept(want, got nats.Header) error {
	for k, vs := range want {
		if !slices.Equal(got[k], vs) {
			return fmt.Errorf("header %q: got %d values %.40q, want %d values %.40q", k, len(got[k]), got[k], len(vs), vs)
		}
	}
	return nil
}

// TestBadInput mixes random bytes, invalid JSON, payloads whose output is
// too large to publish, and odd headers into a flow through a jq route:
// every bad message ends up on the dead-letter stream at its first
// delivery, with its payload and headers, and every good message arrives
// with its headers.
func TestBadInput(t *testing.T) {
	rng := rand.New(rand.NewPCG(seed(t), 1))
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	js := newJS(t, nc)
	createStream(t, js, jetstream.StreamConfig{Name: "IN", Subjects: []string{"in.>"}})
	createStream(t, js, jetstream.StreamConfig{Name: "OUT", Subjects: []string{"out.>"}})
	createStream(t, js, jetstream.StreamConfig{Name: "DLQ", Subjects: []string{"dlq.>"}})

	cases := badInputCases(rng)
	pafs := make([]jetstream.PubAckFuture, len(cases))
	for i, c := range cases {
		paf, err := js.PublishMsgAsync(c.msg, jetstream.WithStallWait(time.Minute))
		if err != nil {
			t.Fatalf("publish %d (%s): %v", i, c.kind, err)
		}
		pafs[i] = paf
	}
	bySeq := map[uint64]*badCase{}
	byN := map[int]*badCase{}
	var good, bad int
	for i, paf := range pafs {
		select {
		case ack := <-paf.Ok():
			cases[i].seq = ack.Sequence
		case err := <-paf.Err():
			t.Fatalf("publish %d (%s): %v", i, cases[i].kind, err)
		case <-time.After(30 * time.Second):
			t.Fatalf("publish %d (%s) not acknowledged", i, cases[i].kind)
		}
		bySeq[cases[i].seq] = cases[i]
		if cases[i].kind == "good" {
			byN[cases[i].n] = cases[i]
			good++
		} else {
			bad++
		}
	}

	start := time.Now()
	p := startBridge(t, "bad", bridgeEnv(s.ClientURL(), "bad", map[string]string{
		"BRIDGE_ROUTE_0_JQ":          "{a: ., b: .}", // doubles the payload: 600 KiB in, 1.2 MB out
		"BRIDGE_ROUTE_0_DLQ":         "dlq.bad",
		"BRIDGE_ROUTE_0_MAX_DELIVER": "5",
	}))
	waitMsgs(t, js, "OUT", uint64(good), time.Minute)
	waitMsgs(t, js, "DLQ", uint64(bad), time.Minute)
	waitIdle(t, js, "IN", "bridge-bad", time.Minute)
	t.Logf("%d good and %d bad messages settled in %v", good, bad, time.Since(start).Round(time.Millisecond))
	p.stop(t, 15*time.Second)

	outs := readStream(t, js, "OUT")
	var keys []int
	for _, m := range outs {
		var v struct{ A, B struct{ N *int } }
		if err := json.Unmarshal(m.Data, &v); err != nil || v.A.N == nil || v.B.N == nil || *v.A.N != *v.B.N {
			t.Fatalf("OUT %d: unexpected payload %.100q", m.Seq, m.Data)
		}
		c := byN[*v.A.N]
		if c == nil {
			t.Fatalf("OUT %d: unknown payload %.100q", m.Seq, m.Data)
		}
		keys = append(keys, c.n)
		if err := headersKept(c.msg.Header, m.Header); err != nil {
			t.Errorf("OUT %d (input %d): %v", m.Seq, c.seq, err)
		}
	}
	if lost, dups, _ := tally(good, keys); len(outs) != good || lost != 0 || dups != 0 {
		t.Fatalf("OUT holds %d messages, want %d good ones: %d lost, %d duplicated", len(outs), good, lost, dups)
	}

	dead := readStream(t, js, "DLQ")
	kinds := map[string]int{}
	causes := map[string]string{} // kind -> one error
	for _, m := range dead {
		seq, err := strconv.ParseUint(m.Header.Get(bridge.HeaderSequence), 10, 64)
		c := bySeq[seq]
		if err != nil || c == nil || c.kind == "good" {
			t.Fatalf("DLQ %d: not a bad input (%s %q)", m.Seq, bridge.HeaderSequence, m.Header.Get(bridge.HeaderSequence))
		}
		cause := m.Header.Get(bridge.HeaderError)
		kinds[c.kind]++
		causes[c.kind] = cause
		switch {
		case string(m.Data) != string(c.msg.Data):
			t.Errorf("DLQ %d (%s, input %d): payload changed", m.Seq, c.kind, seq)
		case cause == "":
			t.Errorf("DLQ %d (%s, input %d): no %s header", m.Seq, c.kind, seq, bridge.HeaderError)
		case m.Header.Get(bridge.HeaderDelivered) != "1":
			t.Errorf("DLQ %d (%s, input %d): dead-lettered at delivery %s (%s), want 1: retrying cannot help",
				m.Seq, c.kind, seq, m.Header.Get(bridge.HeaderDelivered), cause)
		}
		if err := headersKept(c.msg.Header, m.Header); err != nil {
			t.Errorf("DLQ %d (%s, input %d): %v", m.Seq, c.kind, seq, err)
		}
		delete(bySeq, seq)
	}
	t.Logf("OUT holds %d good messages; DLQ holds %d: %v", len(outs), len(dead), kinds)
	for k, c := range causes {
		t.Logf("%s, e.g.: %.120s", k, c)
	}
	if len(dead) != bad {
		t.Fatalf("DLQ holds %d messages, want %d", len(dead), bad)
	}
}
