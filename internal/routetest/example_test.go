package routetest_test

import (
	"context"
	"fmt"

	"github.com/natsbridge/bridge/bridge"
	"github.com/natsbridge/bridge/internal/routetest"
	"github.com/natsbridge/bridge/jq"
)

// Example parses a test file, binds it to a route and runs its tests, as
// `bridge test` does with the routes of the environment.
func Example() {
	prog, err := jq.Compile(`{total: (.price * .qty)}`)
	if err != nil {
		panic(err)
	}
	routes := []bridge.RouteConfig{{Name: "totals", In: "invoices", Out: "invoices.totals", Process: prog.Process}}

	file := `tests:
  - name: adds a total
    route: totals
    input: {payload: '{"price":2,"qty":3}'}
    output: [{subject: invoices.totals, payload: '{"total":7}'}]
  - name: rejects non-JSON
    route: totals
    input: {payload: 'nope'}
    fails: decode
`
	cases, err := routetest.Parse("totals_test.yaml", []byte(file))
	if err != nil {
		panic(err)
	}
	tests, err := routetest.Bind("totals_test.yaml", cases, routes)
	if err != nil {
		panic(err)
	}
	for _, t := range tests {
		diffs := t.Run(context.Background())
		if len(diffs) == 0 {
			fmt.Println("ok  ", t.Name)
			continue
		}
		fmt.Println("FAIL", t.Name)
		for _, d := range diffs {
			fmt.Println("    " + d)
		}
	}
	// Output:
	// FAIL adds a total
	//     output 1: payload (compared as JSON):
	//       .total: want 7, got 6
	// ok   rejects non-JSON
}
