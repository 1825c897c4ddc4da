package bridge_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/bridge"
	"github.com/natsbridge/bridge/jq"
	"github.com/natsbridge/bridge/stream"
)

func TestSimulate(t *testing.T) {
	msg, err := jq.Compile(`if .kind == "x" then {subject: "audit.x"} elif .kind == "none" then empty else {subject: ("routed." + .kind), headers: {"X-K": .kind}} end`,
		jq.WithEmit(jq.EmitMessage))
	if err != nil {
		t.Fatal(err)
	}
	pay, err := jq.Compile(`{total: (.price * .qty)}`)
	if err != nil {
		t.Fatal(err)
	}
	routed := bridge.RouteConfig{Name: "m", In: "orders.in", Out: "routed.>", Process: msg.Process, ChooseSubject: true}
	totals := bridge.RouteConfig{Name: "t", In: "invoices.*", Out: "totals.{{wildcard(1)}}", Process: pay.Process}
	forward := bridge.RouteConfig{Name: "f", In: "a.>", Out: "b.>"}
	slow := bridge.RouteConfig{Name: "s", In: "s", Out: "t", Timeout: 10 * time.Millisecond,
		Process: func(ctx context.Context, _ *artifact.Artifact, _ stream.Emit) error { <-ctx.Done(); return ctx.Err() }}

	tests := []struct {
		name    string
		rc      bridge.RouteConfig
		subject string
		payload string
		want    []string // subject and payload of each output
		reason  bridge.Reason
	}{
		{"routed", routed, "orders.in", `{"kind":"eu"}`, []string{"routed.eu", `{"kind":"eu"}`}, ""},
		{"filtered", routed, "orders.in", `{"kind":"none"}`, nil, ""},
		{"outside Out", routed, "orders.in", `{"kind":"x"}`, nil, bridge.ReasonSubject},
		{"not JSON", routed, "orders.in", `nope`, nil, bridge.ReasonDecode},
		{"payload mode", totals, "invoices.eu", `{"price":2,"qty":3}`, []string{"totals.eu", `{"total":6}`}, ""},
		{"runtime error", totals, "invoices.eu", `{"price":[2],"qty":3}`, nil, bridge.ReasonGenerator},
		{"no stage", forward, "a.x.y", `raw`, []string{"b.x.y", "raw"}, ""},
		{"timeout", slow, "s", `{}`, nil, bridge.ReasonTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			outs, err := bridge.Simulate(t.Context(), tt.rc, artifact.New(tt.subject, []byte(tt.payload)))
			if tt.reason != "" {
				f, ok := errors.AsType[*bridge.Failure](err)
				if !ok || f.Reason != tt.reason {
					t.Fatalf("err %v, want a %s failure", err, tt.reason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range outs {
				got = append(got, o.Subject, string(o.Payload))
			}
			if len(got) != len(tt.want) {
				t.Fatalf("outputs %q, want %q", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("outputs %q, want %q", got, tt.want)
				}
			}
		})
	}
	if _, err := bridge.Simulate(t.Context(), bridge.RouteConfig{Name: "bad", In: "a", Out: "a"}, artifact.New("a", nil)); !errors.Is(err, bridge.ErrInvalidRoute) {
		t.Errorf("invalid route: %v", err)
	}
}
