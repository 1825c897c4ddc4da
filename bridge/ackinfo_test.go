package bridge

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsbridge/bridge/internal/natstest"
)

func TestAckInfo(t *testing.T) {
	tests := []struct {
		reply          string
		seq, delivered uint64
		ok             bool
	}{
		{"$JS.ACK.ORDERS.bridge.3.1042.17.1795757112958528474.9", 1042, 3, true},
		{"$JS.ACK._.AccHash.ORDERS.bridge.1.7.7.1795757112958528474.0", 7, 1, true},
		{"$JS.ACK.hub.AccHash.ORDERS.bridge.2.99.98.1795757112958528474.0.xyz", 99, 2, true},
		{"$JS.ACK.hub.AccHash.ORDERS.bridge.2.99.98.1795757112958528474.0.xyz.more", 99, 2, true},
		{"$JS.ACK.ORDERS.bridge.3.1042.17.1795757112958528474", 0, 0, false},       // 8 tokens
		{"$JS.ACK.x.ORDERS.bridge.3.1042.17.1795757112958528474.9", 0, 0, false},   // 10 tokens
		{"$JS.ACK.ORDERS.bridge.three.1042.17.1795757112958528474.9", 0, 0, false}, // not a number
		{"$JS.ACK.ORDERS.bridge.3.-1.17.1795757112958528474.9", 0, 0, false},
		{"_INBOX.abc.def.3.1042.17.1795757112958528474.9.x", 0, 0, false},
		{"", 0, 0, false},
	}
	for _, tt := range tests {
		seq, delivered, ok := ackInfo(tt.reply)
		if seq != tt.seq || delivered != tt.delivered || ok != tt.ok {
			t.Errorf("ackInfo(%q) = %d, %d, %v; want %d, %d, %v", tt.reply, seq, delivered, ok, tt.seq, tt.delivered, tt.ok)
		}
	}
	if n := testing.AllocsPerRun(100, func() { ackInfo(tests[1].reply) }); n != 0 {
		t.Errorf("ackInfo allocates %v times", n)
	}
}

// ackInfoReference is ackInfo written the plain way, after nats.go's
// parser: the fuzz target checks that the two agree.
func ackInfoReference(reply string) (seq, delivered uint64, ok bool) {
	tokens := strings.Split(reply, ".")
	if len(tokens) < 2 || tokens[0] != "$JS" || tokens[1] != "ACK" {
		return 0, 0, false
	}
	var d, s string
	switch {
	case len(tokens) == 9:
		d, s = tokens[4], tokens[5]
	case len(tokens) >= 11:
		d, s = tokens[6], tokens[7]
	default:
		return 0, 0, false
	}
	delivered, err1 := strconv.ParseUint(d, 10, 64)
	seq, err2 := strconv.ParseUint(s, 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return seq, delivered, true
}

func FuzzAckInfo(f *testing.F) {
	for _, s := range []string{
		"$JS.ACK.ORDERS.bridge.3.1042.17.1795757112958528474.9",
		"$JS.ACK._.AccHash.ORDERS.bridge.1.7.7.1795757112958528474.0",
		"$JS.ACK.hub.AccHash.ORDERS.bridge.2.99.98.1795757112958528474.0.xyz",
		"$JS.ACK........",
		"$JS.ACK",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, reply string) {
		seq, delivered, ok := ackInfo(reply)
		rs, rd, rok := ackInfoReference(reply)
		if ok != rok || (ok && (seq != rs || delivered != rd)) {
			t.Fatalf("ackInfo(%q) = %d, %d, %v; reference %d, %d, %v", reply, seq, delivered, ok, rs, rd, rok)
		}
	})
}

// TestAckInfoMatchesMetadata reads real deliveries, first and second, and
// checks ackInfo against the client's own parser.
func TestAckInfoMatchesMetadata(t *testing.T) {
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "AI", Subjects: []string{"ai.>"}}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := js.Publish(ctx, "ai."+strconv.Itoa(i), nil); err != nil {
			t.Fatal(err)
		}
	}
	cons, err := js.CreateConsumer(ctx, "AI", jetstream.ConsumerConfig{Durable: "ai", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for round := range 2 {
		batch, err := cons.Fetch(3, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		for m := range batch.Messages() {
			md, err := m.Metadata()
			if err != nil {
				t.Fatal(err)
			}
			seq, delivered, ok := ackInfo(m.Reply())
			if !ok || seq != md.Sequence.Stream || delivered != md.NumDelivered || delivered != uint64(round+1) {
				t.Errorf("ackInfo(%q) = %d, %d, %v; metadata says sequence %d, delivered %d (round %d)",
					m.Reply(), seq, delivered, ok, md.Sequence.Stream, md.NumDelivered, round+1)
			}
			checked++
			if round == 0 {
				_ = m.Nak() // delivered again in round 2
			} else {
				_ = m.Ack()
			}
		}
		if err := batch.Error(); err != nil {
			t.Fatal(err)
		}
	}
	if checked != 6 {
		t.Errorf("checked %d deliveries, want 6", checked)
	}
}
