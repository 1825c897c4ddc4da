package jq_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/jq"
	"github.com/natsbridge/bridge/stream"
)

func compileMessage(t testing.TB, src string) *jq.Program {
	t.Helper()
	p, err := jq.Compile(src, jq.WithEmit(jq.EmitMessage))
	if err != nil {
		t.Fatalf("Compile(%q): %v", src, err)
	}
	return p
}

// orderIn is the input of the message-mode tests: a payload whose exact
// bytes (key order, spacing) a re-encoding would change, and headers.
func orderIn() *artifact.Artifact {
	a := artifact.New("orders.in", []byte(`{ "kind":"eu",  "id": 7, "items":[{"kind":"book","n":1},{"kind":"pen","n":2}] }`))
	a.Reply = "_INBOX.r"
	a.SetMeta("Trace-Id", "abc")
	a.SetMeta("X-Multi", "1")
	a.Meta.Add("X-Multi", "2")
	a.SetMeta("x-kind", "lower")
	a.SetMeta(artifact.KeyContentType, "application/x-order")
	return a
}

type wantMsg struct {
	subject string
	payload string // "" for the input's bytes, unchanged
	meta    artifact.Metadata
}

func TestProcessMessage(t *testing.T) {
	inMeta := orderIn().Meta
	with := func(edits ...any) artifact.Metadata {
		m := inMeta.Clone()
		for i := 0; i < len(edits); i += 2 {
			k := edits[i].(string)
			switch v := edits[i+1].(type) {
			case nil:
				delete(m, k)
			case string:
				m[k] = []string{v}
			case []string:
				m[k] = v
			}
		}
		return m
	}
	tests := []struct {
		name string
		prog string
		want []wantMsg
	}{
		{name: "route by a field", prog: `{subject: ("orders." + .kind)}`, want: []wantMsg{{subject: "orders.eu", meta: with()}}},
		{name: "empty object is the input", prog: `{}`, want: []wantMsg{{subject: "", meta: with()}}},
		{name: "nothing filters", prog: `empty`},
		{name: "select filters", prog: `select(.kind == "us") | {}`},
		{
			name: "fan out items to per-kind subjects, in order",
			prog: `.items[] | {subject: ("kind." + .kind), payload: .}`,
			want: []wantMsg{
				{subject: "kind.book", payload: `{"kind":"book","n":1}`, meta: with(artifact.KeyContentType, jq.ContentType)},
				{subject: "kind.pen", payload: `{"kind":"pen","n":2}`, meta: with(artifact.KeyContentType, jq.ContentType)},
			},
		},
		{
			name: "fan out to several subjects, same payload",
			prog: `{subject: "a.x"}, {subject: "b.x"}, {}`,
			want: []wantMsg{{subject: "a.x", meta: with()}, {subject: "b.x", meta: with()}, {subject: "", meta: with()}},
		},
		{
			name: "tag with a header, exact name, payload unchanged",
			prog: `{headers: {"X-Kind": .kind}}`,
			want: []wantMsg{{subject: "", meta: with("X-Kind", "eu")}},
		},
		{
			name: "a header replaces all values of exactly that name",
			prog: `{headers: {"X-Multi": "3", "x-kind": ["a", "b"]}}`,
			want: []wantMsg{{subject: "", meta: with("X-Multi", "3", "x-kind", []string{"a", "b"})}},
		},
		{
			name: "null and [] remove headers",
			prog: `{headers: {"X-Multi": null, "Trace-Id": [], "Absent": null}}`,
			want: []wantMsg{{subject: "", meta: with("X-Multi", nil, "Trace-Id", nil)}},
		},
		{
			name: "empty string is a value",
			prog: `{headers: {"X-Empty": ""}}`,
			want: []wantMsg{{subject: "", meta: with("X-Empty", "")}},
		},
		{
			name: "payload is encoded and typed",
			prog: `{payload: {id, total: (.items | map(.n) | add)}}`,
			want: []wantMsg{{subject: "", payload: `{"id":7,"total":3}`, meta: with(artifact.KeyContentType, jq.ContentType)}},
		},
		{
			name: "payload null is a payload",
			prog: `{payload: null}`,
			want: []wantMsg{{subject: "", payload: `null`, meta: with(artifact.KeyContentType, jq.ContentType)}},
		},
		{
			name: "headers apply after the content type",
			prog: `{payload: "x", headers: {"Content-Type": "text/plain"}}`,
			want: []wantMsg{{subject: "", payload: `"x"`, meta: with(artifact.KeyContentType, "text/plain")}},
		},
		{
			name: "all three",
			prog: `{subject: "out.\(.id)", headers: {"X-Id": (.id | tostring)}, payload: .items[0]}`,
			want: []wantMsg{{subject: "out.7", payload: `{"kind":"book","n":1}`, meta: with("X-Id", "7", artifact.KeyContentType, jq.ContentType)}},
		},
		{
			// The route refuses it (it matches IN); here it is kept, not
			// taken for "no subject".
			name: "subject equal to the input's",
			prog: `{subject: $subject}`,
			want: []wantMsg{{subject: "orders.in", meta: with()}},
		},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			in := orderIn()
			var outs []*artifact.Artifact
			err := compileMessage(t, test.prog).Process(t.Context(), in, func(r *artifact.Artifact) error {
				outs = append(outs, r)
				return nil
			})
			if err != nil {
				t.Fatalf("Process: %v", err)
			}
			if len(outs) != len(test.want) {
				t.Fatalf("%d outputs, want %d", len(outs), len(test.want))
			}
			for i, r := range outs {
				w := test.want[i]
				if r.Subject != w.subject {
					t.Errorf("output %d: subject %q, want %q", i, r.Subject, w.subject)
				}
				if w.payload == "" {
					// The input's bytes themselves, not a re-encoding.
					if len(r.Payload) != len(in.Payload) || &r.Payload[0] != &in.Payload[0] {
						t.Errorf("output %d: payload %q is not the input's bytes %q", i, r.Payload, in.Payload)
					}
				} else if string(r.Payload) != w.payload {
					t.Errorf("output %d: payload %s, want %s", i, r.Payload, w.payload)
				}
				if !r.Meta.Equal(w.meta) {
					t.Errorf("output %d: headers %v, want %v", i, r.Meta, w.meta)
				}
				if r.Reply != in.Reply || !r.Created.Equal(in.Created) || r.ID == in.ID || r.ID.IsZero() {
					t.Errorf("output %d: reply %q created %v id %v; want the input's reply and time, and a fresh ID", i, r.Reply, r.Created, r.ID)
				}
			}
			// Outputs own their headers: changing one changes nothing else.
			for _, r := range outs {
				r.Meta.Add("X-Multi", "changed")
				r.Meta.Set("Trace-Id", "changed")
			}
			if !in.Meta.Equal(orderIn().Meta) {
				t.Errorf("input headers changed to %v", in.Meta)
			}
		})
	}
}

func TestProcessMessageMalformed(t *testing.T) {
	tests := []struct {
		name, prog, says string
		emitted          int
	}{
		{name: "number", prog: `5`, says: "want an object with keys subject, headers and payload, got number 5"},
		{name: "string", prog: `"orders.x"`, says: `got string "orders.x"`},
		{name: "null", prog: `null`, says: "got null null"},
		{name: "array", prog: `[{}]`, says: "got array [{}]"},
		{name: "long value is cut", prog: `"` + strings.Repeat("é", 50) + `"`, says: `got string "` + strings.Repeat("é", 19) + `…`},
		{name: "unknown key", prog: `{subject: "a", topic: "b", extra: 1}`, says: `unknown key "extra" (want subject, headers or payload)`},
		{name: "subject number", prog: `{subject: 5}`, says: `"subject" must be a string, got number 5`},
		{name: "subject null", prog: `{subject: null}`, says: `"subject" must be a string, got null`},
		{name: "headers not an object", prog: `{headers: ["a"]}`, says: `"headers" must be an object, got array`},
		{name: "header number", prog: `{headers: {"X-N": 5}}`, says: `header "X-N" must be a string, an array of strings or null, got number 5`},
		{name: "header object", prog: `{headers: {"X-N": {}}}`, says: `header "X-N" must be a string`},
		{name: "header array of numbers", prog: `{headers: {"X-N": ["a", 1]}}`, says: `header "X-N": element 1 must be a string, got number 1`},
		{name: "Nats-Msg-Id", prog: `{headers: {"Nats-Msg-Id": "x"}}`, says: `header "Nats-Msg-Id" is the bridge's to set`},
		{name: "nats-msg-id removed", prog: `{headers: {"nats-msg-id": null}}`, says: `header "nats-msg-id" is the bridge's to set`},
		{name: "Nats-Expected-*", prog: `{headers: {"NATS-EXPECTED-LAST-SEQUENCE": "1"}}`, says: `"NATS-EXPECTED-LAST-SEQUENCE" is the bridge's to set`},
		{name: "empty header name", prog: `{headers: {"": "x"}}`, says: "header name is empty"},
		{name: "header name with a space", prog: `{headers: {"X Y": "x"}}`, says: `header name "X Y" is not a valid NATS header name`},
		{name: "header name with a colon", prog: `{headers: {"X:Y": "x"}}`, says: "not a valid NATS header name"},
		{name: "header name not ASCII", prog: `{headers: {"Ünï": "x"}}`, says: "not a valid NATS header name"},
		{name: "first bad header in byte order", prog: `{headers: {"b": 1, "a": 2}}`, says: `header "a"`},
		{name: "outputs before stay emitted", prog: `{subject: "a.b"}, {}, 5`, says: "output 2: ", emitted: 2},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			n := 0
			err := compileMessage(t, test.prog).Process(t.Context(), orderIn(), func(*artifact.Artifact) error {
				n++
				return nil
			})
			if !errors.Is(err, jq.ErrMalformed) || !errors.Is(err, jq.ErrRuntime) || !stream.Permanent(err) {
				t.Fatalf("error %v, want one matching ErrMalformed, ErrRuntime and stream.ErrPermanent", err)
			}
			if !strings.Contains(err.Error(), test.says) {
				t.Errorf("error %q does not say %q", err, test.says)
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Errorf("error %q cannot be a header value", err)
			}
			if n != test.emitted {
				t.Errorf("%d outputs emitted, want %d", n, test.emitted)
			}
		})
	}
}

// TestProcessMessageEmptySubject checks that an empty subject is refused
// as a subject, not taken for "no subject of its own".
func TestProcessMessageEmptySubject(t *testing.T) {
	err := compileMessage(t, `{subject: ""}`).Process(t.Context(), orderIn(), func(*artifact.Artifact) error {
		t.Error("an output with an empty subject was emitted")
		return nil
	})
	if !errors.Is(err, stream.ErrSubject) || !stream.Permanent(err) || errors.Is(err, jq.ErrMalformed) {
		t.Fatalf("error %v, want one matching stream.ErrSubject only", err)
	}
}

// TestProcessMessageSharesNothing checks that outputs of one input, and
// the input, can each change their headers without the others seeing it,
// although they start from the same values.
func TestProcessMessageSharesNothing(t *testing.T) {
	in := orderIn()
	var outs []*artifact.Artifact
	for _, emit := range []jq.Emit{jq.EmitPayload, jq.EmitMessage} {
		p, err := jq.Compile(`{}, {}`, jq.WithEmit(emit))
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Process(t.Context(), in, func(r *artifact.Artifact) error { outs = append(outs, r); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range outs {
		r.Meta.Add("X-Multi", string(rune('a'+i)))
		r.Meta.Add(artifact.KeyContentType, "more")
		r.SetMeta("Trace-Id", string(rune('a'+i)))
	}
	for i, r := range outs {
		if got := r.Meta.Values("X-Multi"); !slices.Equal(got, []string{"1", "2", string(rune('a' + i))}) {
			t.Errorf("output %d: X-Multi %q", i, got)
		}
	}
	if !in.Meta.Equal(orderIn().Meta) {
		t.Errorf("input headers changed to %v", in.Meta)
	}
}

func TestParseEmit(t *testing.T) {
	for _, e := range []jq.Emit{jq.EmitPayload, jq.EmitMessage} {
		got, err := jq.ParseEmit(e.String())
		if err != nil || got != e {
			t.Errorf("ParseEmit(%q) = %v, %v", e.String(), got, err)
		}
		text, _ := e.MarshalText()
		var u jq.Emit
		if err := u.UnmarshalText(text); err != nil || u != e {
			t.Errorf("UnmarshalText(%q) = %v, %v", text, u, err)
		}
	}
	for _, bad := range []string{"", "Payload", "messages", "json"} {
		if _, err := jq.ParseEmit(bad); !errors.Is(err, jq.ErrOption) || !strings.Contains(err.Error(), "want payload or message") {
			t.Errorf("ParseEmit(%q): error %v, want ErrOption naming the modes", bad, err)
		}
		var u jq.Emit
		if err := u.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("UnmarshalText(%q) accepted it", bad)
		}
	}
	if p := compile(t, "."); p.Emit() != jq.EmitPayload {
		t.Errorf("default emit mode %v, want payload", p.Emit())
	}
	if p := compileMessage(t, "."); p.Emit() != jq.EmitMessage {
		t.Errorf("emit mode %v, want message", p.Emit())
	}
	p, err := jq.Compile(".", jq.WithEmit(jq.Emit(7)))
	if !errors.Is(err, jq.ErrCompile) || !errors.Is(err, jq.ErrOption) || p != nil {
		t.Errorf("Compile with Emit(7): %v, %v; want an error matching ErrCompile and ErrOption", p, err)
	}
}

// TestRecipes runs the programs of the README's Recipes section.
func TestRecipes(t *testing.T) {
	type out struct{ subject, payload, header string }
	tests := []struct {
		name, prog, payload, tenant string
		want                        []out
	}{
		{
			name: "route by a field", prog: `{subject: "orders.\(.region)"}`,
			payload: `{"region":"eu", "id":1}`, want: []out{{"orders.eu", `{"region":"eu", "id":1}`, ""}},
		},
		{
			name: "fan out items", prog: `.id as $order | .items[] | {subject: "items.\(.kind)", payload: (. + {order: $order})}`,
			payload: `{"id":7,"items":[{"kind":"book"},{"kind":"pen"}]}`,
			want:    []out{{"items.book", `{"kind":"book","order":7}`, ""}, {"items.pen", `{"kind":"pen","order":7}`, ""}},
		},
		{
			name: "tag with a header", prog: `{headers: {"X-Priority": (if .total > 1000 then "high" else "normal" end)}}`,
			payload: `{"total": 1500}`, want: []out{{"", `{"total": 1500}`, "high"}},
		},
		{
			name: "filter by header keeps", prog: `select(header("X-Tenant") == "acme") | {}`,
			payload: `{ "a" : 1 }`, tenant: "acme", want: []out{{"", `{ "a" : 1 }`, ""}},
		},
		{name: "filter by header drops", prog: `select(header("X-Tenant") == "acme") | {}`, payload: `{}`, tenant: "other"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			in := artifact.New("in", []byte(test.payload))
			if test.tenant != "" {
				in.SetMeta("X-Tenant", test.tenant)
			}
			var got []out
			err := compileMessage(t, test.prog).Process(t.Context(), in, func(r *artifact.Artifact) error {
				got = append(got, out{r.Subject, string(r.Payload), r.Meta.Get("X-Priority")})
				return nil
			})
			if err != nil || !slices.Equal(got, test.want) {
				t.Errorf("got %q, %v; want %q", got, err, test.want)
			}
		})
	}
}
