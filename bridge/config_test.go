package bridge_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/natsbridge/bridge/bridge"
	"github.com/natsbridge/bridge/stream"
)

// TestValidate holds every rule of a route: each bad route is refused with
// a FieldError naming the field at fault and saying why.
func TestValidate(t *testing.T) {
	core := func(mod func(*bridge.RouteConfig)) bridge.RouteConfig {
		rc := bridge.RouteConfig{Name: "r", In: "orders.*", Out: "audit.{{wildcard(1)}}"}
		mod(&rc)
		return rc
	}
	js := func(mod func(*bridge.RouteConfig)) bridge.RouteConfig {
		return core(func(rc *bridge.RouteConfig) { rc.Stream = "ORDERS"; mod(rc) })
	}
	tests := []struct {
		name  string
		route bridge.RouteConfig
		field string
		says  string
	}{
		{"no name", core(func(rc *bridge.RouteConfig) { rc.Name = "" }), "Name", "required"},
		{"name with a space", core(func(rc *bridge.RouteConfig) { rc.Name = "a b" }), "Name", "invalid name"},
		{"name too long", core(func(rc *bridge.RouteConfig) { rc.Name = strings.Repeat("x", 65) }), "Name", "at most 64"},
		{"bad In", core(func(rc *bridge.RouteConfig) { rc.In = "a..b" }), "In", "invalid subject"},
		{"bad mapping", core(func(rc *bridge.RouteConfig) { rc.Out = "b.{{wildcard(2)}}" }), "Out", "wildcard"},
		{"loop", core(func(rc *bridge.RouteConfig) { rc.In, rc.Out = "a.>", "a.x.>" }), "Out", "messages would loop"},
		{"Out outside In in payload mode", core(func(rc *bridge.RouteConfig) { rc.In, rc.Out = "orders.in", "routed.>" }), "Out", ""},
		{"DLQ with wildcards", core(func(rc *bridge.RouteConfig) { rc.DLQ = "dead.*" }), "DLQ", "without wildcards"},
		{"DLQ inside In", core(func(rc *bridge.RouteConfig) { rc.DLQ = "orders.dead" }), "DLQ", "processed again"},
		{"queue with a space", core(func(rc *bridge.RouteConfig) { rc.Queue = "q 1" }), "Queue", "whitespace"},
		{"buffer too big", core(func(rc *bridge.RouteConfig) { rc.BufferSize = bridge.MaxBufferSize + 1 }), "BufferSize", "between 1 and"},
		{"negative buffer", core(func(rc *bridge.RouteConfig) { rc.BufferSize = -1 }), "BufferSize", "between 1 and"},
		{"too many workers", core(func(rc *bridge.RouteConfig) { rc.Workers = bridge.MaxWorkers + 1 }), "Workers", "between 1 and"},
		{"negative timeout", core(func(rc *bridge.RouteConfig) { rc.Timeout = -time.Second }), "Timeout", "negative"},
		{"fail policy", core(func(rc *bridge.RouteConfig) { rc.Overflow = stream.Fail }), "Overflow", "not supported"},
		{"bad stream name", js(func(rc *bridge.RouteConfig) { rc.Stream = "A.B" }), "Stream", "invalid stream name"},
		{"bad durable", js(func(rc *bridge.RouteConfig) { rc.Durable = "d>" }), "Durable", "invalid durable name"},
		{"queue on JetStream", js(func(rc *bridge.RouteConfig) { rc.Queue = "q" }), "Queue", "only used by core"},
		{"dropping JetStream", js(func(rc *bridge.RouteConfig) { rc.Overflow = stream.DropOldest }), "Overflow", "never drops"},
		{"negative MaxDeliver", js(func(rc *bridge.RouteConfig) { rc.MaxDeliver = -1 }), "MaxDeliver", "at least 1"},
		{"AckWait too short", js(func(rc *bridge.RouteConfig) { rc.AckWait = time.Millisecond }), "AckWait", "at least 3ms"},
		{"Timeout not below AckWait", js(func(rc *bridge.RouteConfig) { rc.Timeout, rc.AckWait = time.Minute, time.Minute }), "Timeout", "shorter than AckWait"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.route.Validate()
			if !errors.Is(err, bridge.ErrInvalidRoute) {
				t.Fatalf("Validate() = %v, want an invalid route", err)
			}
			fe, ok := errors.AsType[*bridge.FieldError](err)
			if !ok || fe.Field != tt.field || !strings.Contains(fe.Err.Error(), tt.says) {
				t.Fatalf("Validate() = %v, want a FieldError on %s saying %q", err, tt.field, tt.says)
			}
		})
	}
}

// TestValidateAccepts checks routes that are fine, defaults included.
func TestValidateAccepts(t *testing.T) {
	for _, rc := range []bridge.RouteConfig{
		{Name: "min", In: "a", Out: "b"},
		{Name: "literal.out", In: "a.>", Out: "b"},
		{Name: "js", In: "a.>", Out: "b.>", Stream: "S", Timeout: time.Second},
		{Name: "space", In: "orders.in", Out: "routed.>", ChooseSubject: true},
	} {
		if err := rc.Validate(); err != nil {
			t.Errorf("%s: %v", rc.Name, err)
		}
	}
	d := bridge.RouteConfig{Name: "a.b", In: "x", Out: "y", Stream: "S"}.WithDefaults()
	if d.Durable != "bridge-a_b" || d.MaxDeliver != bridge.DefaultMaxDeliver || d.AckWait != bridge.DefaultAckWait ||
		d.BufferSize != bridge.DefaultBufferSize || d.Workers != 1 {
		t.Errorf("defaults: %+v", d)
	}
}

// TestCheckRoutes finds the rules between routes, with the index of the
// later route.
func TestCheckRoutes(t *testing.T) {
	err := bridge.CheckRoutes([]bridge.RouteConfig{
		{Name: "a", In: "x", Out: "y", Stream: "S"},
		{Name: "b", In: "x2", Out: "y2", Stream: "S", Durable: "bridge-a"},
		{Name: "a", In: "x3", Out: "y3"},
	})
	var got []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		fe := e.(*bridge.FieldError)
		got = append(got, fe.Field+"@"+string(rune('0'+fe.Index)))
	}
	if strings.Join(got, " ") != "Durable@1 Name@2" {
		t.Errorf("problems %v, want Durable@1 Name@2", got)
	}
}
