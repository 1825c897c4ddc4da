package jq_test

import (
	"bytes"
	"encoding/json"
	"math"
	"math/big"
	"testing"

	"github.com/itchyny/gojq"

	"github.com/natsbridge/bridge/jq"
)

// checkEncode compares jq.Encode with gojq.Marshal, the reference, on v.
func checkEncode(t *testing.T, v any) {
	t.Helper()
	want, _ := gojq.Marshal(v)
	for _, hint := range []int{0, 1, len(want)} {
		got, err := jq.Encode(v, hint)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("Encode(%#v) = %q, %v; gojq.Marshal: %q", v, got, err, want)
		}
	}
}

func TestEncode(t *testing.T) {
	big1, _ := new(big.Int).SetString("-123456789012345678901234567890", 10)
	values := []any{
		nil, true, false, 0, -1, math.MaxInt, math.MinInt, big1,
		0.0, math.Copysign(0, -1), 3.5, 1e-7, 1e-6, 1e20, 1e21, 1.5e300, 5e-324, 0.1 + 0.2,
		math.NaN(), math.Inf(1), math.Inf(-1),
		json.Number("0.10"), json.Number("1E2"), json.Number("12345678901234567890"),
		"", "plain", "<&>", "\"\\/\b\f\n\r\t", "\x00\x1f\x7f", "é😀\ufffd", "\xff", "a\xc3", "\xed\xa0\x80",
		[]any{}, []any{1, "a", nil, []any{map[string]any{}}},
		map[string]any{}, map[string]any{"b": 1, "a": []any{2}, "": "e", "é": 0, "B": nil},
		map[string]any{"k1": 1, "k2": 2, "k3": 3, "k4": 4, "k5": 5, "k6": 6, "k7": 7, "k8": 8, "k9": 9, "k0": 0},
	}
	for _, v := range values {
		checkEncode(t, v)
	}
	if _, err := jq.Encode(int64(1), 0); err == nil {
		t.Error("Encode accepted an int64, which gojq would not")
	}
}

// encodePrograms turn a decoded payload into values of every type the
// encoder handles: floats of all magnitudes, big integers, NaN and
// infinities, and strings with invalid UTF-8.
var encodePrograms = func() *gojq.Code {
	q, err := gojq.Parse(`., [.. | numbers | (. * 1.5, . / 3, -., . * 100000000000000000000, . + 0.1, . * 1e-9)],
		[nan, infinite, -infinite], [.. | strings | @base64d?, explode[0:3]?]`)
	if err != nil {
		panic(err)
	}
	c, err := gojq.Compile(q)
	if err != nil {
		panic(err)
	}
	return c
}()

// FuzzEncode compares the stage's encoder with gojq.Marshal on the values
// programs make from arbitrary payloads, and on arbitrary strings.
func FuzzEncode(f *testing.F) {
	for _, c := range decodeCases {
		f.Add([]byte(c), c)
	}
	f.Fuzz(func(t *testing.T, payload []byte, s string) {
		checkEncode(t, s)
		v, err := jq.Decode(payload)
		if err != nil {
			return
		}
		iter := encodePrograms.Run(v)
		for {
			out, ok := iter.Next()
			if !ok {
				return
			}
			if _, isErr := out.(error); isErr {
				continue
			}
			checkEncode(t, out)
		}
	})
}
