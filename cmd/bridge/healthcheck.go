package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// defaultMetricsAddr is BRIDGE_METRICS_ADDR's default; the probe reads the
// variable itself so that it works with an environment the full
// configuration would reject.
const defaultMetricsAddr = ":9090"

// probeReady asks the bridge listening on BRIDGE_METRICS_ADDR whether it is
// ready, for `HEALTHCHECK CMD ["/bridge", "-healthcheck"]`.
func probeReady(environ []string, stderr io.Writer) int {
	addr, set := defaultMetricsAddr, false
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, "BRIDGE_METRICS_ADDR="); ok {
			addr, set = v, true
		}
	}
	if set && addr == "" {
		fmt.Fprintln(stderr, "bridge: -healthcheck needs the HTTP server, which BRIDGE_METRICS_ADDR=\"\" disables")
		return exitFailure
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		fmt.Fprintf(stderr, "bridge: BRIDGE_METRICS_ADDR: %v\n", err)
		return exitUsage
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get("http://" + net.JoinHostPort(host, port) + "/readyz")
	if err != nil {
		fmt.Fprintln(stderr, "bridge: not ready:", err)
		return exitFailure
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "bridge: not ready: %s: %s", resp.Status, body)
		return exitFailure
	}
	return exitOK
}
