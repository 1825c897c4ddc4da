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
		name   string
		format format
		size   int
	}{
		{"binary 128", binaryFormat, 128},
		{"binary 1KiB", binaryFormat, 1024},
		{"binary too small", binaryFormat, 4},
		{"record 128", recordFormat, 128},
		{"record small", recordFormat, 10},
		{"kinded 128", kindedFormat, 128},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			isJSON := test.format.isJSON()
			p := newPayload(test.format, test.size)
			for _, seq := range []uint64{0, 1, 999_999, probeSeq, fenceSeq} {
				sent := int64(1234567890123)
				b := p.encode(seq, sent)
				if test.size >= minBinary && len(b) < test.size {
					t.Errorf("len = %d, want at least %d", len(b), test.size)
				}
				if !isJSON && len(b) != max(test.size, minBinary) {
					t.Errorf("binary len = %d, want %d", len(b), max(test.size, minBinary))
				}
				if isJSON && !json.Valid(b) {
					t.Fatalf("not JSON: %s", b)
				}
				gotSeq, gotSent, ok := decode(test.format, b)
				if !ok || gotSeq != seq || gotSent != sent {
					t.Errorf("decode(encode(%d, %d)) = %d, %d, %v", seq, sent, gotSeq, gotSent, ok)
				}
			}
		})
	}
}

// TestRecordPayload checks the jq scenario's record is the one issue 12
// describes: its fields, and about 128 B.
func TestRecordPayload(t *testing.T) {
	b := newPayload(recordFormat, 128).encode(499_999, 123_456_789_012)
	var rec struct {
		Seq  int64    `json:"seq"`
		T    int64    `json:"t"`
		ID   string   `json:"id"`
		V    float64  `json:"v"`
		Tags []string `json:"tags"`
		Pad  string   `json:"pad"`
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if rec.Seq != 499_999 || rec.T != 123_456_789_012 || rec.ID != "a-499999" || rec.V != 3.5 || len(rec.Tags) != 2 || rec.Pad == "" || len(b) != 128 {
		t.Errorf("record %s (%d B)", b, len(b))
	}
	k := newPayload(kindedFormat, 128).encode(13, 0)
	var kinded struct{ Kind string }
	if err := json.Unmarshal(k, &kinded); err != nil || kinded.Kind != "k5" {
		t.Errorf("kinded %s: kind %q, %v", k, kinded.Kind, err)
	}
}

// TestDecodeProgramOutput decodes what the contenders of the jq scenario
// print for a record: the program's keys in any order, sorted or not, and
// numbers as encoding/json writes them.
func TestDecodeProgramOutput(t *testing.T) {
	for _, out := range []string{
		`{"id":"a-42","seq":42,"t":1700000000000000000,"v":7}`,
		`{"seq":42,"t":1700000000000000000,"id":"a-42","v":7}`,
		`{"v":7,"t":1700000000000000000,"seq":42,"id":"a-42"}`,
	} {
		seq, sent, ok := decode(recordFormat, []byte(out))
		if !ok || seq != 42 || sent != 1700000000000000000 {
			t.Errorf("decode(%s) = %d, %d, %v", out, seq, sent, ok)
		}
	}
	if seq, _, ok := decode(recordFormat, []byte(`{"seq":-1,"t":0}`)); !ok || seq != probeSeq {
		t.Errorf("probe: got %d, %v", seq, ok)
	}
	if seq, _, ok := decode(recordFormat, []byte(`{"seq":-2,"t":0}`)); !ok || seq != fenceSeq {
		t.Errorf("fence: got %d, %v", seq, ok)
	}
	for _, bad := range []string{`{}`, `{"seq":1}`, `{"t":1}`, `not json`, `{"seq":x,"t":1}`, `{"seq":-3,"t":1}`} {
		if _, _, ok := decode(recordFormat, []byte(bad)); ok {
			t.Errorf("decode(%s) ok", bad)
		}
	}
	if _, _, ok := decode(binaryFormat, []byte("short")); ok {
		t.Error("decode(short binary) ok")
	}
}

func TestReceiver(t *testing.T) {
	base := time.Now().Add(-time.Second)
	r := newReceiver(binaryFormat, base, 10, 5)
	p := newPayload(binaryFormat, 32)
	send := func(seq uint64) {
		data := append([]byte(nil), p.encode(seq, int64(time.Since(base)))...)
		r.handle(&nats.Msg{Data: data})
	}
	select {
	case <-r.fenceCh:
		t.Error("fenceCh closed before a fence")
	default:
	}
	for _, seq := range []uint64{probeSeq, fenceSeq, fenceSeq, 0, 1, 1, 5, 6, 7, 100} {
		send(seq)
	}
	r.handle(&nats.Msg{Data: []byte("x")})
	c := r.counts()
	if c.unique != 5 || c.dups != 1 || c.probes != 1 || c.fences != 2 || c.foreign != 2 {
		t.Errorf("counts = %+v, want 5 unique, 1 dup, 1 probe, 2 fences, 2 foreign", c)
	}
	for name, ch := range map[string]chan struct{}{"firstCh": r.firstCh, "fenceCh": r.fenceCh} {
		select {
		case <-ch:
		default:
			t.Error(name, "not closed")
		}
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
	p := newPayload(binaryFormat, 64)
	b := p.encode(1, 2)
	if !bytes.Equal(b[minBinary:], make([]byte, 64-minBinary)) {
		t.Error("padding not zero")
	}
}
