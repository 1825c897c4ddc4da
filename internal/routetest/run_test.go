package routetest_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/natsbridge/bridge/bridge"
	"github.com/natsbridge/bridge/internal/config"
	"github.com/natsbridge/bridge/internal/routetest"
)

// environ configures the routes the tests run on, as the bridge reads them.
var environ = []string{
	// payload mode
	"BRIDGE_ROUTE_0_NAME=totals", "BRIDGE_ROUTE_0_IN=invoices", "BRIDGE_ROUTE_0_OUT=invoices.totals",
	"BRIDGE_ROUTE_0_JQ={id: .id, total: (.price * .qty)}",
	// no stage
	"BRIDGE_ROUTE_1_NAME=audit", "BRIDGE_ROUTE_1_IN=orders.*", "BRIDGE_ROUTE_1_OUT=audit.{{wildcard(1)}}",
	// message mode: a subject and headers
	"BRIDGE_ROUTE_2_NAME=regions", "BRIDGE_ROUTE_2_IN=shipments", "BRIDGE_ROUTE_2_OUT=shipments.>", "BRIDGE_ROUTE_2_EMIT=message",
	`BRIDGE_ROUTE_2_JQ=if .drop then empty else {subject: "shipments.\(.region)", headers: {"X-Region": .region, "X-Debug": null}} end`,
	// message mode: fan out
	"BRIDGE_ROUTE_3_NAME=items", "BRIDGE_ROUTE_3_IN=items.in", "BRIDGE_ROUTE_3_OUT=items.>", "BRIDGE_ROUTE_3_EMIT=message",
	`BRIDGE_ROUTE_3_JQ=.items[] | {subject: "items.\(.kind)", payload: .}`,
	// a program that never ends
	"BRIDGE_ROUTE_4_NAME=loop", "BRIDGE_ROUTE_4_IN=loop", "BRIDGE_ROUTE_4_OUT=loop.out",
	"BRIDGE_ROUTE_4_JQ=def f: f; f", "BRIDGE_ROUTE_4_TIMEOUT=50ms",
}

// routes returns the routes of environ, loaded as the bridge loads them.
func routes(t *testing.T) []bridge.RouteConfig {
	t.Helper()
	cfg, err := config.Load(environ)
	if err != nil {
		t.Fatal(err)
	}
	var rcs []bridge.RouteConfig
	for _, r := range cfg.Routes {
		rcs = append(rcs, r.RouteConfig())
	}
	return rcs
}

func TestRun(t *testing.T) {
	tests := []struct {
		name string
		test string   // the keys of one test but name, in flow syntax
		want []string // the differences; a line ending in … is a prefix
	}{
		{
			name: "payload mode",
			test: `route: totals, input: {headers: {X-Tenant: acme}, payload: '{"price":2,"qty":3}'},
			        output: [{subject: invoices.totals, headers: {X-Tenant: acme, Content-Type: application/json}, payload: '{"id":null,"total":6}'}]`,
		},
		{
			name: "JSON: key order and number notation do not matter",
			test: `route: totals, input: {payload: '{"id":1,"price":2,"qty":3}'}, output: [{payload: '{"total": 6.0, "id": 1e0}'}]`,
		},
		{
			name: "payload mode, wrong total",
			test: `route: totals, input: {payload: '{"price":2,"qty":3}'}, output: [{payload: '{"id":null,"total":7,"currency":"EUR"}'}]`,
			want: []string{"output 1: payload (compared as JSON):", `  .currency: missing, want "EUR"`, "  .total: want 7, got 6"},
		},
		{
			name: "wrong subject",
			test: `route: totals, input: {payload: '{"price":1,"qty":1}'}, output: [{subject: invoices.total}]`,
			want: []string{"output 1: subject: want invoices.total, got invoices.totals"},
		},
		{
			name: "message mode: subject and headers",
			test: `route: regions, input: {headers: {X-Debug: "1", X-Tenant: [acme, globex]}, payload: '{"region": "eu"}'},
			        output: [{subject: shipments.eu, headers: {X-Region: eu, X-Debug: [], X-Tenant: [acme, globex]}, payload: '{"region": "eu"}'}]`,
		},
		{
			name: "message mode: wrong headers",
			test: `route: regions, input: {headers: {X-Debug: "1"}, payload: '{"region": "eu"}'},
			        output: [{headers: {x-region: eu, X-Debug: "1", X-Tenant: acme, Content-Type: text/plain}}]`,
			want: []string{
				`output 1: header Content-Type: want ["text/plain"], got none`,
				`output 1: header X-Debug: want ["1"], got none`,
				`output 1: header X-Tenant: want ["acme"], got none`,
				`output 1: header x-region: want ["eu"], got none (names are case-sensitive; got X-Region: ["eu"])`,
			},
		},
		{
			name: "message mode: a header that should be absent",
			test: `route: regions, input: {payload: '{"region": "eu"}'}, output: [{headers: {X-Region: []}}]`,
			want: []string{`output 1: header X-Region: want none, got ["eu"]`},
		},
		{
			name: "filtered",
			test: `route: regions, input: {payload: '{"drop": true}'}, output: []`,
		},
		{
			name: "filtered, outputs expected",
			test: `route: regions, input: {payload: '{"drop": true}'}, output: [{subject: shipments.eu}]`,
			want: []string{"want 1 output, got no output (filtered)"},
		},
		{
			name: "outputs, filtered expected",
			test: `route: regions, input: {headers: {X-Tenant: acme}, payload: '{"region": "eu"}'}, output: []`,
			want: []string{
				"want no output (filtered), got 1 output",
				`  output 1: subject shipments.eu, payload {"region":"eu"}`,
				`    headers X-Region: ["eu"], X-Tenant: ["acme"]`,
			},
		},
		{
			name: "fan out, in order",
			test: `route: items, input: {payload: '{"items":[{"kind":"a"},{"kind":"b"}]}'},
			        output: [{subject: items.a, payload: '{"kind":"a"}'}, {subject: items.b, payload: '{"kind":"b"}'}]`,
		},
		{
			name: "fan out, out of order",
			test: `route: items, input: {payload: '{"items":[{"kind":"a"},{"kind":"b"}]}'},
			        output: [{subject: items.b}, {subject: items.a}]`,
			want: []string{"output 1: subject: want items.b, got items.a", "output 2: subject: want items.a, got items.b"},
		},
		{
			name: "no stage: bytes",
			test: `route: audit, input: {subject: orders.eu, payload: 'hello'}, output: [{subject: audit.eu, payload: 'hello'}]`,
		},
		{
			name: "no stage: other bytes",
			test: `route: audit, input: {subject: orders.eu, payload: '{"a":1}'}, output: [{payload: 'hallo'}]`,
			want: []string{"output 1: payload (compared as bytes: the payload expected is not JSON):", `  want "hallo"`, `  got  {"a":1}`},
		},
		{name: "decode", test: `route: totals, input: {payload: 'nope'}, fails: decode`},
		{name: "generator", test: `route: totals, input: {payload: '{"price":true,"qty":3}'}, fails: generator`},
		{name: "timeout", test: `route: loop, input: {payload: '{}'}, fails: timeout`},
		{name: "subject", test: `route: regions, input: {payload: '{"region":"north america"}'}, fails: subject`},
		{
			name: "another failure",
			test: `route: totals, input: {payload: 'nope'}, fails: generator`,
			want: []string{"want failure generator, got failure decode: jq: payload is not JSON…"},
		},
		{
			name: "a failure instead of outputs",
			test: `route: regions, input: {payload: '{"region":"a b"}'}, output: [{subject: shipments.a}]`,
			want: []string{"want 1 output, got failure subject: …"},
		},
		{
			name: "outputs instead of a failure",
			test: `route: totals, input: {payload: '{"price":1,"qty":1}'}, fails: decode`,
			want: []string{
				"want failure decode, got 1 output",
				`  output 1: subject invoices.totals, payload {"id":null,"total":1}`,
				`    headers Content-Type: ["application/json"]`,
			},
		},
	}
	rcs := routes(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cases, err := routetest.Parse("t.yaml", []byte("tests:\n- {name: t, "+tt.test+"}\n"))
			if err != nil {
				t.Fatal(err)
			}
			bound, err := routetest.Bind("t.yaml", cases, rcs)
			if err != nil {
				t.Fatal(err)
			}
			got := bound[0].Run(t.Context())
			if !matches(got, tt.want) {
				t.Fatalf("differences:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// matches reports whether got are the lines of want, where a line of want
// ending in … is a prefix.
func matches(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if p, ok := strings.CutSuffix(want[i], "…"); ok && strings.HasPrefix(got[i], p) || got[i] == want[i] {
			continue
		}
		return false
	}
	return true
}

func TestBind(t *testing.T) {
	rcs := routes(t)
	file := `tests:
- {name: default subject, route: totals, input: {}, output: []}
- {name: matched subject, route: audit, input: {subject: orders.eu}, output: []}
`
	cases, err := routetest.Parse("t.yaml", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	bound, err := routetest.Bind("t.yaml", cases, rcs)
	if err != nil {
		t.Fatal(err)
	}
	if len(bound) != 2 || bound[0].Input.Subject != "invoices" || bound[0].Route.Name != "totals" ||
		bound[1].Input.Subject != "orders.eu" || bound[1].Route.Name != "audit" || bound[1].File != "t.yaml" {
		t.Fatalf("bound %+v", bound)
	}

	file = `tests:
- {name: unknown route, route: total, input: {}, output: []}
- {name: no subject, route: audit, input: {}, output: []}
- {name: a subject IN does not match, route: audit, input: {subject: orders.eu.x}, output: []}
`
	if cases, err = routetest.Parse("t.yaml", []byte(file)); err != nil {
		t.Fatal(err)
	}
	_, err = routetest.Bind("t.yaml", cases, rcs)
	want := []string{
		`t.yaml:2: test "unknown route": no route is named "total" (the routes of the environment: totals, audit, regions, items, loop)`,
		`t.yaml:3: test "no subject": input.subject is required: the IN of route "audit", "orders.*", is not a literal subject`,
		`t.yaml:4: test "a subject IN does not match": route "audit" does not receive input.subject "orders.eu.x": its IN is "orders.*"`,
	}
	if err == nil || err.Error() != strings.Join(want, "\n") || !errors.Is(err, routetest.ErrInvalid) {
		t.Fatalf("got %v\nwant %s", err, strings.Join(want, "\n"))
	}
}

// TestRunInvalidRoute runs a test on a route that the configuration would
// have refused: the difference says so instead of passing or panicking.
func TestRunInvalidRoute(t *testing.T) {
	cases, err := routetest.Parse("t.yaml", []byte("tests:\n- {name: t, route: loop, input: {}, output: []}\n"))
	if err != nil {
		t.Fatal(err)
	}
	bound, err := routetest.Bind("t.yaml", cases, []bridge.RouteConfig{{Name: "loop", In: "a", Out: "a"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := bound[0].Run(t.Context()); len(got) != 1 || !strings.HasPrefix(got[0], "the route cannot run: ") {
		t.Fatalf("differences %q", got)
	}
}
