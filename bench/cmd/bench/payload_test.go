package main

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

func TestPayloadRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		json bool
		size int
	}{
		{"binary 128", false, 128},
		{"binary 1KiB", false, 1024},
		{"binary too small", false, 4},
		{"json 128", true, 128},
		{"json small", true, 10},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			p := newPayload(test.json, test.size)
			for _, seq := range []uint64{0, 1, 999_999, probeSeq} {
				sent := int64(1234567890123)
				b := p.encode(seq, sent)
				if test.size >= minBinary && len(b) < test.size {
					t.Errorf("len = %d, want at least %d", len(b), test.size)
				}
				if !test.json && len(b) != max(test.size, minBinary) {
					t.Errorf("binary len = %d, want %d", len(b), max(test.size, minBinary))
				}
				if test.json && !json.Valid(b) {
					t.Fatalf("not JSON: %s", b)
				}
				gotSeq, gotSent, ok := decode(test.json, b)
				if !ok || gotSeq != seq || gotSent != sent {
					t.Errorf("decode(encode(%d, %d)) = %d, %d, %v", seq, sent, gotSeq, gotSent, ok)
				}
			}
		})
	}
}

// TestDecodeJQOutput decodes what the jq scenario's mapping {id: .id, v: .v}
// prints: sorted keys, no padding.
func TestDecodeJQOutput(t *testing.T) {
	seq, sent, ok := decode(true, []byte(`{"id":42,"v":1700000000000000000}`))
	if !ok || seq != 42 || sent != 1700000000000000000 {
		t.Errorf("got %d, %d, %v", seq, sent, ok)
	}
	if seq, _, ok := decode(true, []byte(`{"id":-1,"v":0}`)); !ok || seq != probeSeq {
		t.Errorf("probe: got %d, %v", seq, ok)
	}
	for _, bad := range []string{`{}`, `{"id":1}`, `{"v":1}`, `not json`, `{"id":x,"v":1}`} {
		if _, _, ok := decode(true, []byte(bad)); ok {
			t.Errorf("decode(%s) ok", bad)
		}
	}
	if _, _, ok := decode(false, []byte("short")); ok {
		t.Error("decode(short binary) ok")
	}
}

func TestReceiver(t *testing.T) {
	base := time.Now().Add(-time.Second)
	r := newReceiver(false, base, 10, 5)
	p := newPayload(false, 32)
	send := func(seq uint64) {
		data := append([]byte(nil), p.encode(seq, int64(time.Since(base)))...)
		r.handle(&nats.Msg{Data: data})
	}
	for _, seq := range []uint64{probeSeq, 0, 1, 1, 5, 6, 7, 100} {
		send(seq)
	}
	r.handle(&nats.Msg{Data: []byte("x")})
	c := r.counts()
	if c.unique != 5 || c.dups != 1 || c.probes != 1 || c.foreign != 2 {
		t.Errorf("counts = %+v, want 5 unique, 1 dup, 1 probe, 2 foreign", c)
	}
	select {
	case <-r.firstCh:
	default:
		t.Error("firstCh not closed")
	}
	lat := r.latencies()
	if len(lat) != 3 {
		t.Fatalf("%d latencies, want 3 (seq 5, 6, 7)", len(lat))
	}
	for _, l := range lat {
		if l < 0 || l > time.Second {
			t.Errorf("latency %v", l)
		}
	}
	// waitDrain returns at once when everything arrived, and after the
	// idle time otherwise.
	if got := r.waitDrain(5, time.Hour, nil); got.unique != 5 {
		t.Errorf("waitDrain = %+v", got)
	}
	start := time.Now()
	r.waitDrain(10, 50*time.Millisecond, nil)
	if d := time.Since(start); d < 50*time.Millisecond || d > 5*time.Second {
		t.Errorf("waitDrain with nothing arriving took %v, want the idle time", d)
	}
}

func TestPayloadBinaryPadding(t *testing.T) {
	p := newPayload(false, 64)
	b := p.encode(1, 2)
	if !bytes.Equal(b[minBinary:], make([]byte, 64-minBinary)) {
		t.Error("padding not zero")
	}
}
