package bridge_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/bridge"
	"github.com/natsbridge/bridge/internal/natstest"
	"github.com/natsbridge/bridge/jq"
	"github.com/natsbridge/bridge/stream"
)

// messageRoute is a route whose jq program emits messages.
func messageRoute(t *testing.T, name, in, out, program string) bridge.RouteConfig {
	t.Helper()
	p, err := jq.Compile(program, jq.WithEmit(jq.EmitMessage))
	if err != nil {
		t.Fatal(err)
	}
	return bridge.RouteConfig{Name: name, In: in, Out: out, Process: p.Process, ChooseSubject: true, DLQ: name + ".dlq"}
}

// TestMessageMode runs programs that read the subject and headers, route
// by a field, fan out, set and remove headers and leave the payload alone,
// on one bridge with a real server.
func TestMessageMode(t *testing.T) {
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	var c counts
	routes := []bridge.RouteConfig{
		// Route by a field; payload left out: the producer's bytes go on.
		messageRoute(t, "byfield", "orders.in", "routed.>", `{subject: ("routed." + .kind)}`),
		// Fan out the items to per-kind subjects, tagged from the input.
		messageRoute(t, "fanout", "carts.*", "items.>",
			`.items[] | {subject: ("items." + .kind), payload: ., headers: {"X-Cart": ($subject | split(".")[1]), "X-Tenant": header("x-tenant")}}`),
		// Headers: set one, remove one, keep the rest; OUT maps IN.
		messageRoute(t, "tag", "tag.in.*", "tag.out.{{wildcard(1)}}",
			`{headers: {"X-Seen": [$subject, ($headers | keys | join(","))], "Remove-Me": null}}`),
	}
	start(t, nc, routes, bridge.WithHooks(c.hooks()))
	routed := collect(t, nc, "routed.>")
	items := collect(t, nc, "items.>")
	tagged := collect(t, nc, "tag.out.>")

	raw := []byte("{ \"kind\" : \"eu\",\n \"n\": 1.50000000000000000001 }")
	if err := nc.Publish("orders.in", raw); err != nil {
		t.Fatal(err)
	}
	cart := nats.NewMsg("carts.c7")
	cart.Header.Set("X-Tenant", "acme")
	cart.Data = []byte(`{"items":[{"kind":"book","n":1},{"kind":"pen","n":2},{"kind":"book","n":3}]}`)
	if err := nc.PublishMsg(cart); err != nil {
		t.Fatal(err)
	}
	tag := nats.NewMsg("tag.in.x")
	tag.Header.Set("Remove-Me", "1")
	tag.Header.Set("Keep", "k")
	tag.Data = []byte(`"json"`)
	if err := nc.PublishMsg(tag); err != nil {
		t.Fatal(err)
	}

	got := routed.waitN(t, 1)[0]
	if got.Subject != "routed.eu" || !bytes.Equal(got.Data, raw) {
		t.Errorf("routed %q %q, want routed.eu with the input's bytes %q", got.Subject, got.Data, raw)
	}
	its := items.waitN(t, 3)
	var subjects []string
	for _, m := range its {
		subjects = append(subjects, m.Subject)
		if m.Header.Get("X-Cart") != "c7" || m.Header.Get("X-Tenant") != "acme" {
			t.Errorf("item %s %q: headers %v", m.Subject, m.Data, m.Header)
		}
	}
	if want := []string{"items.book", "items.pen", "items.book"}; !slices.Equal(subjects, want) {
		t.Errorf("fan-out went to %v, want %v in order", subjects, want)
	}
	if string(its[2].Data) != `{"kind":"book","n":3}` {
		t.Errorf("third item %q", its[2].Data)
	}
	tg := tagged.waitN(t, 1)[0]
	if tg.Subject != "tag.out.x" || tg.Header.Get("Keep") != "k" || tg.Header.Get("Remove-Me") != "" ||
		!slices.Equal(tg.Header.Values("X-Seen"), []string{"tag.in.x", "Keep,Remove-Me"}) || string(tg.Data) != `"json"` {
		t.Errorf("tagged %s %q %v", tg.Subject, tg.Data, tg.Header)
	}
	natstest.WaitFor(t, 5*time.Second, c.balanced)
	if c.processed.Load() != 3 || c.published.Load() != 5 {
		t.Errorf("processed %d, published %d; want 3, 5", c.processed.Load(), c.published.Load())
	}
}

// TestMessageModeRefusals dead-letters every kind of value a program may
// not emit, and every subject it may not choose, with the reason and a
// Bridge-Error that says why.
func TestMessageModeRefusals(t *testing.T) {
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	var c counts
	rc := messageRoute(t, "guard", "guard.in", "events.>", `.`)
	rc.Process = func(ctx context.Context, a *artifact.Artifact, emit stream.Emit) error {
		// Each case brings its own program.
		p, err := jq.Compile(a.Meta.Get("Program"), jq.WithEmit(jq.EmitMessage))
		if err != nil {
			return fmt.Errorf("%w: %w", stream.ErrPermanent, err)
		}
		return p.Process(ctx, a, emit)
	}
	start(t, nc, []bridge.RouteConfig{rc}, bridge.WithHooks(c.hooks()))
	dlq := collect(t, nc, "guard.dlq")
	out := collect(t, nc, "events.>")

	cases := []struct {
		program string
		reason  bridge.Reason
		says    string
	}{
		{`5`, bridge.ReasonGenerator, "want an object"},
		{`{subjekt: "events.a"}`, bridge.ReasonGenerator, `unknown key "subjekt"`},
		{`{subject: 5}`, bridge.ReasonGenerator, `"subject" must be a string`},
		{`{subject: "events.a", headers: {"Nats-Msg-Id": "x"}}`, bridge.ReasonGenerator, "Nats-Msg-Id"},
		{`{subject: "events.a", headers: {"Nats-Expected-Stream": "S"}}`, bridge.ReasonGenerator, "Nats-Expected-Stream"},
		{`{subject: "events.a", headers: {"X": 5}}`, bridge.ReasonGenerator, `"X"`},
		{`{subject: ""}`, bridge.ReasonSubject, "empty"},
		{`{subject: "events.*"}`, bridge.ReasonSubject, "not a subject without wildcards"},
		{`{subject: "events..a"}`, bridge.ReasonSubject, "not a subject without wildcards"},
		{`{subject: "events.a b"}`, bridge.ReasonSubject, "not a subject without wildcards"},
		{`{subject: "audit.a"}`, bridge.ReasonSubject, `outside Out "events.>"`},
		{`{subject: "guard.in"}`, bridge.ReasonSubject, `outside Out`},
		// OUT does not map IN: a value without a subject has nowhere to go.
		{`{}`, bridge.ReasonSubject, "no subject of its own"},
	}
	send := func(program string) {
		t.Helper()
		m := nats.NewMsg("guard.in")
		m.Header.Set("Program", program)
		m.Data = []byte(`{"v":1}`)
		if err := nc.PublishMsg(m); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range cases {
		send(tc.program)
	}
	send(`{subject: "events.ok"}`)
	letters := dlq.waitN(t, len(cases))
	if len(letters) != len(cases) {
		t.Fatalf("%d dead letters, want %d", len(letters), len(cases))
	}
	for i, m := range letters {
		tc := cases[i]
		if m.Header.Get("Program") != tc.program || string(m.Data) != `{"v":1}` {
			t.Fatalf("dead letter %d is %q of %q, want the input of %q", i, m.Data, m.Header.Get("Program"), tc.program)
		}
		if e := m.Header.Get(bridge.HeaderError); !bytes.Contains([]byte(e), []byte(tc.says)) {
			t.Errorf("%s: Bridge-Error %q does not say %q", tc.program, e, tc.says)
		}
	}
	if got := out.waitN(t, 1); got[0].Subject != "events.ok" {
		t.Errorf("the good message went to %q", got[0].Subject)
	}
	natstest.WaitFor(t, 5*time.Second, c.balanced)
	want := map[bridge.Reason]int{}
	for _, tc := range cases {
		want[tc.reason]++
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if fmt.Sprint(c.failures) != fmt.Sprint(want) {
		t.Errorf("failures %v, want %v", c.failures, want)
	}
}

// TestMessageModeLoop refuses a chosen subject that In matches, on a route
// whose Out space contains In.
func TestMessageModeLoop(t *testing.T) {
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	var c counts
	start(t, nc, []bridge.RouteConfig{messageRoute(t, "loop", "a.in", "a.>", `{subject: $subject}`)}, bridge.WithHooks(c.hooks()))
	dlq := collect(t, nc, "loop.dlq")
	if err := nc.Publish("a.in", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	m := dlq.waitN(t, 1)[0]
	if e := m.Header.Get(bridge.HeaderError); !bytes.Contains([]byte(e), []byte(`matches In "a.in"`)) {
		t.Errorf("Bridge-Error %q", e)
	}
	natstest.WaitFor(t, 5*time.Second, c.balanced)
}

// TestMessageModeRequestReply answers requests through a message-mode
// route that picks the service by a field.
func TestMessageModeRequestReply(t *testing.T) {
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	start(t, nc, []bridge.RouteConfig{messageRoute(t, "rr", "api.in", "svc.>", `{subject: ("svc." + .svc)}`)})
	for _, svc := range []string{"a", "b"} {
		sub, err := nc.Subscribe("svc."+svc, func(m *nats.Msg) { _ = m.Respond([]byte(svc + ":" + string(m.Data))) })
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = sub.Unsubscribe() })
	}
	for i := range 10 {
		svc := []string{"a", "b"}[i%2]
		req := `{"svc":"` + svc + `","i":` + strconv.Itoa(i) + `}`
		resp, err := nc.Request("api.in", []byte(req), 5*time.Second)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if want := svc + ":" + req; string(resp.Data) != want {
			t.Fatalf("reply %q, want %q", resp.Data, want)
		}
	}
}

// TestOrderByHeader keeps the order of each tenant's messages with four
// workers, while the tenants are processed side by side.
func TestOrderByHeader(t *testing.T) {
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	order, err := stream.ParseOrder("header:X-Tenant")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu      sync.Mutex
		active  = map[string]bool{}
		overlap bool // two tenants in the stage at once
	)
	process := func(ctx context.Context, a *artifact.Artifact, emit stream.Emit) error {
		tenant := a.Meta.Get("X-Tenant")
		mu.Lock()
		if active[tenant] {
			mu.Unlock()
			return fmt.Errorf("tenant %s is being processed twice at once", tenant)
		}
		active[tenant] = true
		overlap = overlap || len(active) > 1
		mu.Unlock()
		defer func() { mu.Lock(); delete(active, tenant); mu.Unlock() }()
		select {
		case <-time.After(time.Duration(a.Payload[len(a.Payload)-1]%3) * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
		return emit(a)
	}
	var c counts
	start(t, nc, []bridge.RouteConfig{{Name: "tenants", In: "t.in", Out: "t.out", Process: process, Workers: 4, OrderBy: order}},
		bridge.WithHooks(c.hooks()))
	out := collect(t, nc, "t.out")
	const tenants, each = 16, 25
	for i := range each {
		for k := range tenants {
			m := nats.NewMsg("t.in")
			m.Header.Set("X-Tenant", "t"+strconv.Itoa(k))
			m.Data = []byte(strconv.Itoa(i))
			if err := nc.PublishMsg(m); err != nil {
				t.Fatal(err)
			}
		}
	}
	next := map[string]int{}
	for _, m := range out.waitN(t, tenants*each) {
		tenant := m.Header.Get("X-Tenant")
		if want := strconv.Itoa(next[tenant]); string(m.Data) != want {
			t.Fatalf("tenant %s: got %q, want %q: out of order", tenant, m.Data, want)
		}
		next[tenant]++
	}
	natstest.WaitFor(t, 5*time.Second, c.balanced)
	if c.failed.Load() != 0 {
		t.Fatalf("%d failures", c.failed.Load())
	}
	mu.Lock()
	defer mu.Unlock()
	if !overlap {
		t.Error("no two tenants were ever processed at once")
	}
}
