package jq_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/jq"
	"github.com/natsbridge/bridge/stream"
)

var identityProgram = func() *jq.Program {
	p, err := jq.Compile(`., (.. | numbers | . + 1), (paths | length)`)
	if err != nil {
		panic(err)
	}
	return p
}()

// errEnough stops a program that emits without end.
var errEnough = errors.New("enough outputs")

// FuzzProcess runs arbitrary programs, in both emit modes, on arbitrary
// payloads, subjects and headers. Process must not panic, and every
// failure must be classified: ErrNotJSON (stream.ErrDecode) exactly when
// encoding/json rejects the payload, ErrRuntime or ErrMalformed
// (stream.ErrPermanent) for the program's own failures, or the deadline,
// which is not permanent. Outputs must be well formed: JSON payloads in
// payload mode; in message mode the input's own payload bytes or JSON,
// and no header the bridge reserves. A fixed identity program also checks
// that the payload's value reaches the program unchanged.
func FuzzProcess(f *testing.F) {
	for _, seed := range []struct{ prog, payload, subject, hname, hvalue string }{
		{`{subject: ("orders." + .kind)}`, `{"kind":"eu","n":1}`, "orders.in", "X-Tenant", "acme"},
		{`.items[] | {subject: ("kind." + .kind), payload: .}`, `{"items":[{"kind":"a"},{"kind":"b"}]}`, "in", "", ""},
		{`{headers: {"X-Kind": .kind, "Trace": null, "Multi": ["a", "b"]}}`, `{"kind":"x"}`, "in", "Trace", "t"},
		{`select(header("x-tenant") == "acme") | {subject: ($subject + ".acme")}`, `{}`, "t", "X-Tenant", "acme"},
		{`{payload: {seq: .seq, v: (.v * 2)}, headers: {"Nats-Msg-Id": "x"}}`, `{"seq":1,"v":3.5}`, "s", "", ""},
		{`{subject: 5}`, `null`, "s", "", ""},
		{`{topic: "x"}, 5, [], {headers: {"a b": "x"}}`, `1`, "s", "", ""},
		{`{seq: .seq, t: .t, id: .id, v: (.v * 2)}`, `{"seq":1,"t":17,"id":"a-1","v":3.5,"tags":["x","y"],"pad":"xx"}`, "s", "", ""},
		{`$headers, $subject, $ENV`, `{"id":"o-1","price":2.5,"qty":4}`, "a.b", "K", "v"},
		{`repeat(1)`, `12345678901234567890`, "s", "", ""},
		{`def f: f; f`, `-0.0e-0`, "s", "", ""},
		{`error("x")`, `1e999`, "s", "", ""},
		{`.`, `"\u00e9\ud83d\ude00\ufffd\\\"\/\b\f\n\r\t"`, "s", "", ""},
		{`.`, `{"a":1,"a":2}`, "s", "", ""},
		{`.`, "\"\xff\xfe\"", "s", "", ""},
		{`.`, `{"a":1} x`, "s", "", ""},
		{`.`, `{`, "s", "", ""},
		{`.`, ``, "s", "", ""},
		{`)`, ` `, "s", "", ""},
		{`input`, `1`, "s", "", ""},
	} {
		f.Add(seed.prog, []byte(seed.payload), seed.subject, seed.hname, seed.hvalue)
	}
	f.Fuzz(func(t *testing.T, prog string, payload []byte, subject, hname, hvalue string) {
		in := artifact.New(subject, payload)
		if hname != "" {
			in.Meta = artifact.Metadata{hname: {hvalue}}
		}
		_, refErr := referenceDecode(payload)
		checkIdentityProgram(t, payload, refErr)
		for _, emit := range []jq.Emit{jq.EmitPayload, jq.EmitMessage} {
			p, err := jq.Compile(prog, jq.WithEmit(emit))
			if err != nil {
				if !errors.Is(err, jq.ErrCompile) {
					t.Fatalf("Compile(%q): error %v does not match ErrCompile", prog, err)
				}
				return
			}
			ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
			var outs []*artifact.Artifact
			err = p.Process(ctx, in, func(r *artifact.Artifact) error {
				if outs = append(outs, r); len(outs) == 100 {
					return errEnough
				}
				return nil
			})
			timedOut := ctx.Err() != nil
			cancel()
			checkFailure(t, prog, payload, emit, err, refErr, timedOut)
			for _, r := range outs {
				checkOutput(t, prog, in, emit, r)
			}
		}
	})
}

func checkFailure(t *testing.T, prog string, payload []byte, emit jq.Emit, err, refErr error, timedOut bool) {
	t.Helper()
	if (refErr != nil) != errors.Is(err, jq.ErrNotJSON) {
		t.Fatalf("%v %q on %q: error %v; encoding/json says %v", emit, prog, payload, err, refErr)
	}
	switch {
	case err == nil, errors.Is(err, errEnough):
	case errors.Is(err, jq.ErrNotJSON):
		if !errors.Is(err, stream.ErrDecode) {
			t.Fatalf("%v %q on %q: %v does not match stream.ErrDecode", emit, prog, payload, err)
		}
	case errors.Is(err, jq.ErrRuntime):
		if !stream.Permanent(err) || errors.Is(err, stream.ErrDecode) {
			t.Fatalf("%v %q on %q: %v is not just permanent", emit, prog, payload, err)
		}
		if errors.Is(err, jq.ErrMalformed) && emit != jq.EmitMessage {
			t.Fatalf("%v %q on %q: %v in payload mode", emit, prog, payload, err)
		}
	case errors.Is(err, context.DeadlineExceeded) && timedOut:
		if stream.Permanent(err) {
			t.Fatalf("%v %q on %q: deadline %v is permanent", emit, prog, payload, err)
		}
	default:
		t.Fatalf("%v %q on %q: unclassified error %v", emit, prog, payload, err)
	}
}

func checkOutput(t *testing.T, prog string, in *artifact.Artifact, emit jq.Emit, r *artifact.Artifact) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("%v %q on %q: output %+v: %s", emit, prog, in.Payload, r, strings.TrimSpace(format))
	}
	ownBytes := len(r.Payload) > 0 && len(in.Payload) > 0 && &r.Payload[0] == &in.Payload[0]
	switch {
	case emit == jq.EmitPayload && ownBytes:
		fail("payload mode reused the input's bytes")
	case !ownBytes && !json.Valid(r.Payload):
		fail("payload is not JSON")
	case !ownBytes && r.Meta.Get(artifact.KeyContentType) != jq.ContentType && emit == jq.EmitPayload:
		fail("no content type")
	case r.Reply != in.Reply || r.Origin != in.Origin || r.ID == in.ID:
		fail("reply, origin or ID not derived from the input")
	case emit == jq.EmitPayload && r.Subject != in.Subject:
		fail("payload mode changed the subject")
	}
	for k := range r.Meta {
		if _, fromInput := in.Meta[k]; fromInput {
			continue
		}
		if lk := strings.ToLower(k); lk == "nats-msg-id" || strings.HasPrefix(lk, "nats-expected-") || k == "" || strings.ContainsAny(k, " :\r\n") {
			fail("header " + k)
		}
	}
}

// checkIdentityProgram checks that a valid payload reaches programs as the
// value encoding/json gives: the identity program's first output decodes
// to the same value as the payload.
func checkIdentityProgram(t *testing.T, payload []byte, refErr error) {
	t.Helper()
	var outs [][]byte
	err := identityProgram.Process(t.Context(), artifact.New("fuzz", payload), func(a *artifact.Artifact) error {
		outs = append(outs, a.Payload)
		return nil
	})
	if refErr != nil {
		if !errors.Is(err, jq.ErrNotJSON) {
			t.Fatalf("invalid payload %q: error %v, want ErrNotJSON", payload, err)
		}
		return
	}
	if err != nil || len(outs) == 0 {
		t.Fatalf("valid payload %q: %d outputs, %v", payload, len(outs), err)
	}
	in, _ := referenceDecode(payload)
	out, err := referenceDecode(outs[0])
	if err != nil {
		t.Fatalf("payload %q: identity output %q: %v", payload, outs[0], err)
	}
	if err := sameValue(out, in); err != nil {
		t.Fatalf("payload %q: identity output %q: %v", payload, outs[0], err)
	}
}
