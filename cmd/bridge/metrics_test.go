package main_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/natsbridge/bridge/internal/natstest"
)

// TestMetricsEndpoint passes a good and a bad message through a jq route
// with a DLQ, restarts the NATS server, and reads /metrics as OpenMetrics
// along the way: the wiring of the route hooks and of the connection's
// handlers, end to end.
func TestMetricsEndpoint(t *testing.T) {
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	p := startBridge(t,
		"NATS_URL="+s.ClientURL(),
		"BRIDGE_ROUTE_0_NAME=ids",
		"BRIDGE_ROUTE_0_IN=m.in",
		"BRIDGE_ROUTE_0_OUT=m.out",
		"BRIDGE_ROUTE_0_JQ=.id",
		"BRIDGE_ROUTE_0_DLQ=m.dlq",
	)
	out := subscribe(t, nc, "m.out")
	dlq := subscribe(t, nc, "m.dlq")
	_ = nc.Publish("m.in", []byte(`{"id":1}`))
	_ = nc.Publish("m.in", []byte(`not json`))
	out.wait(t, 1)
	dlq.wait(t, 1)

	scrapeUntil(t, p,
		`bridge_messages_in_total{route="ids"} 2.0`,
		`bridge_messages_processed_total{route="ids"} 1.0`,
		`bridge_messages_out_total{route="ids"} 1.0`,
		`bridge_messages_failed_total{reason="decode",route="ids"} 1.0`,
		`bridge_messages_failed_total{reason="timeout",route="ids"} 0.0`,
		`bridge_messages_dead_lettered_total{route="ids"} 1.0`,
		`bridge_messages_dropped_total{reason="overflow",route="ids"} 0.0`,
		`bridge_messages_filtered_total{route="ids"} 0.0`,
		`bridge_bytes_in_total{route="ids"} 16.0`,
		`bridge_bytes_out_total{route="ids"} 1.0`,
		`bridge_processing_seconds_count{route="ids"} 2`,
		`bridge_latency_seconds_count{route="ids"} 1`,
		`bridge_buffer_depth{route="ids"} 0.0`,
		`bridge_buffer_capacity{route="ids"} 1024.0`,
		`bridge_nats_connected{connection="default"} 1.0`,
		`bridge_nats_reconnects_total{connection="default"} 0.0`,
		`bridge_build_info{goversion="go`,
		"go_goroutines ",
		"process_cpu_seconds_total ",
		"# EOF",
	)

	opts := s.Opts.Clone()
	s.Shutdown()
	s.WaitForShutdown()
	scrapeUntil(t, p, `bridge_nats_connected{connection="default"} 0.0`)
	natstest.Start(t, opts)
	scrapeUntil(t, p, `bridge_nats_connected{connection="default"} 1.0`, `bridge_nats_reconnects_total{connection="default"} 1.0`)

	if code := p.terminate(t); code != 0 {
		t.Fatalf("exit code %d", code)
	}
}

// scrapeUntil scrapes p's /metrics, asking for OpenMetrics, until the
// answer is OpenMetrics and contains every one of want.
func scrapeUntil(t *testing.T, p *proc, want ...string) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	natstest.WaitFor(t, 20*time.Second, func() error {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+p.http+"/metrics", nil)
		if err != nil {
			return err
		}
		req.Header.Set("Accept", "application/openmetrics-text; version=1.0.0")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/openmetrics-text") {
			return fmt.Errorf("Content-Type %q, want OpenMetrics", ct)
		}
		for _, w := range want {
			if !strings.Contains(string(body), w) {
				return fmt.Errorf("/metrics lacks %q:\n%s", w, body)
			}
		}
		return nil
	})
}
