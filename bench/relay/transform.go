package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/itchyny/gojq"
)

// A transform turns one payload into the payloads to publish. It runs in
// the subscription callback, as a hand-written service would.
type transform func(in []byte) ([][]byte, error)

// errNotRecord is returned by the json transform for a payload that is not
// an object with a number v.
var errNotRecord = errors.New("not a JSON object with a number v")

// errTrailing is returned by the gojq transform for a payload with more
// after its JSON value.
var errTrailing = errors.New("data after the JSON value")

// newTransform returns the transform named by -map: "" forwards the
// payload as it is (nil: no call at all), "json" rebuilds the benchmark's
// record by hand, "gojq" runs program.
func newTransform(name, program string) (transform, error) {
	switch name {
	case "":
		return nil, nil
	case "json":
		return jsonRecord, nil
	case "gojq":
		return gojqTransform(program)
	}
	return nil, fmt.Errorf("-map %q: want json or gojq", name)
}

// jsonRecord is {seq: .seq, t: .t, id: .id, v: (.v * 2)} written by hand:
// encoding/json decodes the payload into a map, the output object is built
// from its fields, and encoding/json encodes it.
func jsonRecord(in []byte) ([][]byte, error) {
	var rec map[string]any
	if err := json.Unmarshal(in, &rec); err != nil {
		return nil, err
	}
	v, ok := rec["v"].(float64)
	if !ok {
		return nil, errNotRecord
	}
	out, err := json.Marshal(map[string]any{"seq": rec["seq"], "t": rec["t"], "id": rec["id"], "v": v * 2})
	if err != nil {
		return nil, err
	}
	return [][]byte{out}, nil
}

// gojqTransform runs program with gojq on each payload, decoded by
// encoding/json with UseNumber (so numbers keep their text, as gojq
// accepts json.Number), and encodes each result with gojq.Marshal: the
// least a callback needs to run a jq program correctly.
func gojqTransform(program string) (transform, error) {
	q, err := gojq.Parse(program)
	if err != nil {
		return nil, fmt.Errorf("-jq: %w", err)
	}
	code, err := gojq.Compile(q)
	if err != nil {
		return nil, fmt.Errorf("-jq: %w", err)
	}
	return func(in []byte) ([][]byte, error) {
		dec := json.NewDecoder(bytes.NewReader(in))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		if dec.More() {
			return nil, errTrailing
		}
		var outs [][]byte
		iter := code.Run(v)
		for {
			r, ok := iter.Next()
			if !ok {
				return outs, nil
			}
			if err, ok := r.(error); ok {
				return nil, err
			}
			b, err := gojq.Marshal(r)
			if err != nil {
				return nil, err
			}
			outs = append(outs, b)
		}
	}, nil
}
