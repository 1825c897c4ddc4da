package jq_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/jq"
)

// FuzzProcess feeds arbitrary payloads to a fixed program whose first
// output is its input. Process must not panic; it must fail with
// ErrNotJSON exactly when encoding/json rejects the payload, and otherwise
// emit valid JSON whose first value equals the payload's.
func FuzzProcess(f *testing.F) {
	for _, seed := range []string{
		`{"id":"o-1","price":2.5,"qty":4}`,
		`[1,[2,[3,{"a":null}]],true,false]`,
		`12345678901234567890`,
		`-0.0e-0`,
		`1e999`,
		`"\u00e9\ud83d\ude00\ufffd\\\"\/\b\f\n\r\t"`,
		`{"a":1,"a":2}`,
		"\"\xff\xfe\"",
		`{"a":1} x`,
		`{`,
		``,
		` `,
	} {
		f.Add([]byte(seed))
	}
	p, err := jq.Compile(`., (.. | numbers | . + 1), (paths | length)`)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		var outs [][]byte
		err := p.Process(t.Context(), artifact.New("fuzz", payload), func(a *artifact.Artifact) error {
			outs = append(outs, a.Payload)
			return nil
		})
		if !json.Valid(payload) {
			if !errors.Is(err, jq.ErrNotJSON) {
				t.Fatalf("invalid payload %q: error %v, want ErrNotJSON", payload, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("valid payload %q: %v", payload, err)
		}
		for _, o := range outs {
			if !json.Valid(o) {
				t.Fatalf("payload %q: invalid output %q", payload, o)
			}
		}
		if len(outs) == 0 {
			t.Fatalf("payload %q: no output", payload)
		}
		if in, out := decodeNumber(t, payload), decodeNumber(t, outs[0]); !reflect.DeepEqual(in, out) {
			t.Fatalf("payload %q: identity output %q decodes to %#v, want %#v", payload, outs[0], out, in)
		}
	})
}

func decodeNumber(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
	return v
}
