package fault_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// Directions of a toxic, as toxiproxy names them: upstream is what the
// bridge sends to the server, downstream what the server sends to the
// bridge.
const (
	upstream   = "upstream"
	downstream = "downstream"
)

// netProxy is a toxiproxy TCP proxy, embedded in the test, between the
// bridge and one NATS server: the faults of a bad network are toxics added
// to it and removed again.
type netProxy struct {
	p *toxiproxy.Proxy
}

// startProxy starts a proxy on a random loopback port in front of
// upstreamAddr (host:port) and stops it, closing every connection through
// it, when the test ends.
func startProxy(t *testing.T, upstreamAddr string) *netProxy {
	t.Helper()
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	p := toxiproxy.NewProxy(srv, "nats", "127.0.0.1:0", upstreamAddr)
	if err := p.Start(); err != nil {
		t.Fatalf("toxiproxy: %v", err)
	}
	t.Cleanup(p.Stop)
	return &netProxy{p: p}
}

// url is the NATS URL of the proxy.
func (np *netProxy) url() string { return "nats://" + np.p.Listen }

// toxic is one toxic: its name, type (latency, bandwidth, timeout,
// reset_peer, slow_close, ...), direction, toxicity (the share of
// connections it applies to, 0 to 1) and attributes.
type toxic struct {
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Stream     string         `json:"stream"`
	Toxicity   float32        `json:"toxicity"`
	Attributes map[string]any `json:"attributes"`
}

// add adds a toxic to every connection through the proxy, current and
// future.
func (np *netProxy) add(t *testing.T, tx toxic) {
	t.Helper()
	b, err := json.Marshal(tx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := np.p.Toxics.AddToxicJson(strings.NewReader(string(b))); err != nil {
		t.Fatalf("toxiproxy: add %s: %v", tx.Name, err)
	}
}

// setToxicity changes the toxicity of a toxic. Connections made while the
// toxic was in place keep its setup: a reset_peer toxic present, with
// toxicity 0, when a connection was made can later reset that connection
// with a real RST (toxiproxy sets SO_LINGER 0 only on connections it
// starts with reset_peer in the chain; added later, the toxic closes with
// a FIN).
func (np *netProxy) setToxicity(t *testing.T, name string, toxicity float32) {
	t.Helper()
	body := fmt.Sprintf(`{"toxicity":%g}`, toxicity)
	if _, err := np.p.Toxics.UpdateToxicJson(name, strings.NewReader(body)); err != nil {
		t.Fatalf("toxiproxy: update %s: %v", name, err)
	}
}

// remove removes a toxic from every connection. Removing a timeout toxic
// closes the connections it held (toxiproxy's cleanup), as a peer's stack
// eventually answers a connection that it has given up on.
func (np *netProxy) remove(t *testing.T, name string) {
	t.Helper()
	if err := np.p.Toxics.RemoveToxic(context.Background(), name); err != nil {
		t.Fatalf("toxiproxy: remove %s: %v", name, err)
	}
}
