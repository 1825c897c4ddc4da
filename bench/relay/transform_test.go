package main

import (
	"encoding/json"
	"reflect"
	"testing"
)

const testProgram = `{seq: .seq, t: .t, id: .id, v: (.v * 2)}`

// TestTransformsAgree runs the benchmark record through both transforms:
// the same object comes out.
func TestTransformsAgree(t *testing.T) {
	gojq, err := newTransform("gojq", testProgram)
	if err != nil {
		t.Fatal(err)
	}
	byHand, err := newTransform("json", "")
	if err != nil {
		t.Fatal(err)
	}
	in := []byte(`{"seq":42,"t":1234567890123,"id":"a-42","v":3.5,"tags":["x","y"],"pad":"xxxx"}`)
	want := map[string]any{"seq": 42.0, "t": 1234567890123.0, "id": "a-42", "v": 7.0}
	for name, tr := range map[string]transform{"gojq": gojq, "json": byHand} {
		outs, err := tr(in)
		if err != nil || len(outs) != 1 {
			t.Fatalf("%s: %q, %v", name, outs, err)
		}
		var got map[string]any
		if err := json.Unmarshal(outs[0], &got); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %s (%v), want %v", name, outs[0], err, want)
		}
	}
}

// TestGojqKeepsNumbers: numbers gojq only passes through keep their text,
// as encoding/json's UseNumber promises.
func TestGojqKeepsNumbers(t *testing.T) {
	tr, err := newTransform("gojq", `{seq: .seq}`)
	if err != nil {
		t.Fatal(err)
	}
	outs, err := tr([]byte(`{"seq":123456789012345678901234567890}`))
	if err != nil || len(outs) != 1 || string(outs[0]) != `{"seq":123456789012345678901234567890}` {
		t.Errorf("got %q, %v", outs, err)
	}
	outs, err = newTransformMust(t, "gojq", `.[]`)([]byte(`[1,2,3]`))
	if err != nil || len(outs) != 3 || string(outs[2]) != "3" {
		t.Errorf(".[]: got %q, %v", outs, err)
	}
}

func TestTransformRejects(t *testing.T) {
	for _, test := range []struct{ name, program, in string }{
		{"json", "", `not json`},
		{"json", "", `{"v":"3.5"}`},
		{"json", "", `[1]`},
		{"gojq", testProgram, `{"v":`},
		{"gojq", testProgram, `{"v":1} {"v":2}`},
		{"gojq", testProgram, `{"v":[1]}`}, // [1] * 2 is a runtime error
	} {
		tr := newTransformMust(t, test.name, test.program)
		if outs, err := tr([]byte(test.in)); err == nil {
			t.Errorf("-map %s on %s: %q, want an error", test.name, test.in, outs)
		}
	}
	for _, bad := range []struct{ name, program string }{{"yaml", ""}, {"gojq", "{"}, {"gojq", "$undefined"}} {
		if _, err := newTransform(bad.name, bad.program); err == nil {
			t.Errorf("newTransform(%q, %q) accepted", bad.name, bad.program)
		}
	}
	if tr, err := newTransform("", ""); tr != nil || err != nil {
		t.Errorf("no -map: %v, %v", tr != nil, err)
	}
}

func newTransformMust(t *testing.T, name, program string) transform {
	t.Helper()
	tr, err := newTransform(name, program)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}
