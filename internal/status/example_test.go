package status_test

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/natsbridge/bridge/internal/status"
	"github.com/natsbridge/bridge/metrics"
)

// Example wires a status page to the bridge's metrics: the routes come from
// the configuration, the numbers from the registry, the failures from the
// route hooks.
func Example() {
	reg := prometheus.NewRegistry()
	m, _ := metrics.New(reg)
	st, err := status.New(reg, []status.Route{{Name: "totals", In: "invoices", Out: "invoices.totals"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	st.Start()
	defer st.Stop()

	mux := http.NewServeMux()
	mux.Handle("GET /{$}", st.PageHandler())
	mux.Handle("GET /status", st.JSONHandler())

	// What the route hooks do for one good input and one that fails.
	r := m.Route("totals")
	r.Received(12)
	r.Published(12)
	r.Processed()
	r.Received(4)
	r.Failed("decode")
	st.Failed("totals", "invoices", "decode", errors.New("payload is not JSON"))

	rs := st.Snapshot().Routes[0]
	fmt.Printf("%s (%s): in %d, out %d, failed %d\n", rs.Name, rs.Kind, rs.Totals.In, rs.Totals.Out, rs.Totals.Failed)
	fmt.Printf("last failure: %s on %s: %s\n", rs.Failures[0].Reason, rs.Failures[0].Subject, rs.Failures[0].Error)
	// Output:
	// totals (core): in 2, out 1, failed 1
	// last failure: decode on invoices: payload is not JSON
}
