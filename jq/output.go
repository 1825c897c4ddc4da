package jq

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/itchyny/gojq"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/stream"
)

// contentType is the Content-Type header value of encoded outputs. It is
// shared by every output: its capacity is its length, so Add on an output
// appends to a copy, and Set replaces it.
var contentType = []string{ContentType}[:1:1]

// derive returns an output of in with the given payload and metadata: a
// copy of in with a fresh ID, so it keeps the subject, reply subject,
// creation time, origin and whatever else an artifact carries, as
// artifact.Derive does, but without copying the metadata itself.
func derive(in *artifact.Artifact, payload []byte, meta artifact.Metadata) *artifact.Artifact {
	r := *in
	r.ID = artifact.NewID()
	r.Payload = payload
	r.Meta = meta
	return &r
}

// copyMeta returns a new map holding m's keys, with room for extra more.
// The value slices are shared with m, each capped at its length: Set, Add
// and Del on either map never change the other (Add appends to a copy).
// Nil stays nil unless extra > 0.
func copyMeta(m artifact.Metadata, extra int) artifact.Metadata {
	if m == nil && extra == 0 {
		return nil
	}
	c := make(artifact.Metadata, len(m)+extra)
	for k, vs := range m {
		c[k] = vs[:len(vs):len(vs)]
	}
	return c
}

// payloadOutput makes the output of value v in EmitPayload mode.
func payloadOutput(in *artifact.Artifact, v any) (*artifact.Artifact, error) {
	b, err := encode(v, len(in.Payload))
	if err != nil {
		return nil, err
	}
	return encodedOutput(in, b), nil
}

// encodedOutput makes the output of in whose payload is the encoded value
// b, in EmitPayload mode.
func encodedOutput(in *artifact.Artifact, b []byte) *artifact.Artifact {
	meta := copyMeta(in.Meta, 1)
	meta[artifact.KeyContentType] = contentType
	return derive(in, b, meta)
}

// messageOutput makes the output of value v in EmitMessage mode, or
// returns an error matching ErrMalformed saying what is wrong with v.
func messageOutput(in *artifact.Artifact, v any, index int) (*artifact.Artifact, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, malformed(index, "want an object with keys subject, headers and payload, got %s", preview(v))
	}
	var parts messageParts
	parts.subject, parts.hasSubject = m["subject"]
	parts.headers, parts.hasHeaders = m["headers"]
	parts.payload, parts.hasPayload = m["payload"]
	if n := btoi(parts.hasSubject) + btoi(parts.hasHeaders) + btoi(parts.hasPayload); len(m) > n {
		return nil, malformed(index, "unknown key %q (want subject, headers or payload)", firstUnknown(m))
	}
	return parts.output(in, index)
}

// messageParts are the keys of an object describing a message, each with
// whether the object has it.
type messageParts struct {
	subject, headers, payload          any
	hasSubject, hasHeaders, hasPayload bool
}

// output makes the message m describes, the index-th output of in, or
// returns an error matching ErrMalformed saying what is wrong with m.
func (m *messageParts) output(in *artifact.Artifact, index int) (*artifact.Artifact, error) {
	subject, hasSubject := m.subject, m.hasSubject
	headers, hasHeaders := m.headers, m.hasHeaders
	payload, hasPayload := m.payload, m.hasPayload
	r := derive(in, in.Payload, nil)
	// Without a subject of its own the output goes where the route maps
	// its input: an empty Subject says so.
	r.Subject = ""
	if hasSubject {
		s, ok := subject.(string)
		if !ok {
			return nil, malformed(index, `"subject" must be a string, got %s`, preview(subject))
		}
		if s == "" {
			return nil, fmt.Errorf("%w: output %d: \"subject\" is empty", stream.ErrSubject, index)
		}
		r.Subject = s
	}
	extra := 0
	if hasPayload {
		b, err := encode(payload, len(in.Payload))
		if err != nil {
			return nil, err
		}
		r.Payload = b
		extra = 1
	}
	var h map[string]any
	if hasHeaders {
		var ok bool
		if h, ok = headers.(map[string]any); !ok {
			return nil, malformed(index, `"headers" must be an object, got %s`, preview(headers))
		}
		extra += len(h)
	}
	r.Meta = copyMeta(in.Meta, extra)
	if hasPayload {
		r.Meta[artifact.KeyContentType] = contentType
	}
	if err := applyHeaders(r.Meta, h); err != nil {
		return nil, malformed(index, "%v", err)
	}
	return r, nil
}

// applyHeaders sets or removes, in meta, each header of h: a string or an
// array of strings replaces all values of the header with exactly that
// name; null or [] removes it. Names are handled in byte order, so the
// error about several bad headers is always about the same one.
func applyHeaders(meta artifact.Metadata, h map[string]any) error {
	if len(h) == 0 {
		return nil
	}
	var small [8]string
	names := small[:0]
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, name := range names {
		if err := checkHeaderName(name); err != nil {
			return err
		}
		switch v := h[name].(type) {
		case nil:
			delete(meta, name)
		case string:
			meta[name] = []string{v}
		case []any:
			if len(v) == 0 {
				delete(meta, name)
				continue
			}
			vs := make([]string, len(v))
			for i, e := range v {
				s, ok := e.(string)
				if !ok {
					return fmt.Errorf("header %q: element %d must be a string, got %s", name, i, preview(e))
				}
				vs[i] = s
			}
			meta[name] = vs
		default:
			return fmt.Errorf("header %q must be a string, an array of strings or null, got %s", name, preview(v))
		}
	}
	return nil
}

// checkHeaderName rejects the names nats.go would refuse to publish
// (empty, or not printable ASCII but for "()/,:;<=>?@[\]{}), and the ones
// the bridge sets for JetStream's exactly-once publishing.
func checkHeaderName(name string) error {
	if name == "" {
		return fmt.Errorf("header name is empty")
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return fmt.Errorf("header name %q is not a valid NATS header name", name)
		}
	}
	const expected = "Nats-Expected-"
	if strings.EqualFold(name, "Nats-Msg-Id") || len(name) >= len(expected) && strings.EqualFold(name[:len(expected)], expected) {
		return fmt.Errorf("header %q is the bridge's to set", name)
	}
	return nil
}

func malformed(index int, format string, args ...any) error {
	return fmt.Errorf("%w: output %d: %s", ErrMalformed, index, fmt.Sprintf(format, args...))
}

func firstUnknown(m map[string]any) string {
	var unknown []string
	for k := range m {
		if k != "subject" && k != "headers" && k != "payload" {
			unknown = append(unknown, k)
		}
	}
	return slices.Min(unknown)
}

// preview describes v for an error message: its jq type and, shortened,
// its JSON text.
func preview(v any) string {
	const limit = 40
	b, err := appendValue(nil, v)
	if err != nil {
		return fmt.Sprintf("%T", v)
	}
	s := string(b)
	if len(s) > limit {
		n := limit
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n] + "…"
	}
	return gojq.TypeOf(v) + " " + s
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
