package main_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/natsbridge/bridge/internal/natstest"
	"github.com/natsbridge/bridge/internal/status"
)

// TestStatusPage checks the wiring of the status page: the configured
// routes at / and /status, their counters, and a failure recorded through
// the route's Failed hook while the metrics still count it.
func TestStatusPage(t *testing.T) {
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	p := startBridge(t,
		"NATS_URL="+s.ClientURL(),
		"BRIDGE_ROUTE_0_NAME=totals",
		"BRIDGE_ROUTE_0_IN=invoices",
		"BRIDGE_ROUTE_0_OUT=invoices.totals",
		"BRIDGE_ROUTE_0_JQ={total: (.price * .qty)}",
	)
	out := subscribe(t, nc, "invoices.totals")
	for range 3 {
		_ = nc.Publish("invoices", []byte(`{"price":2,"qty":3}`))
	}
	_ = nc.Publish("invoices", []byte("not json"))
	out.wait(t, 3)

	var snap status.Snapshot
	natstest.WaitFor(t, 10*time.Second, func() error {
		snap = status.Snapshot{}
		if err := json.Unmarshal([]byte(p.body(t, "/status")), &snap); err != nil {
			return err
		}
		if len(snap.Routes) != 1 {
			return fmt.Errorf("%d routes", len(snap.Routes))
		}
		if r := snap.Routes[0]; r.Totals.In != 4 || len(r.Failures) != 1 {
			return fmt.Errorf("in %d, %d failures", r.Totals.In, len(r.Failures))
		}
		return nil
	})
	r := snap.Routes[0]
	if r.Name != "totals" || r.In != "invoices" || r.Out != "invoices.totals" || r.Kind != status.KindCore {
		t.Errorf("route %+v", r)
	}
	if r.Totals.Out != 3 || r.Totals.FailedBy["decode"] != 1 {
		t.Errorf("totals %+v, want 3 out and 1 decode failure", r.Totals)
	}
	if f := r.Failures[0]; f.Reason != "decode" || f.Subject != "invoices" || f.Error == "" {
		t.Errorf("failure %+v, want a decode failure on invoices with its error", f)
	}
	if r.Buffer == nil || r.Buffer.Capacity != 1024 {
		t.Errorf("buffer %+v, want capacity 1024", r.Buffer)
	}
	if len(snap.Connections) != 1 || !snap.Connections[0].Connected {
		t.Errorf("connections %+v", snap.Connections)
	}
	// The metrics hook still sees the failure next to the status page.
	if m := p.body(t, "/metrics"); !strings.Contains(m, `bridge_messages_failed_total{reason="decode",route="totals"} 1`) {
		t.Error("the failure is missing from /metrics")
	}

	page := p.body(t, "/")
	for _, want := range []string{`<tr data-route="totals">`, `<code>invoices</code>`, `data-total="in">4<`, `<td>decode</td>`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if code := p.get(t, "/nothing-here"); code != http.StatusNotFound {
		t.Errorf("/nothing-here answered %d, want 404", code)
	}
}
