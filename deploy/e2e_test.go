package deploy_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsbridge/bridge/deploy/promql"
	"github.com/natsbridge/bridge/internal/natstest"
)

// TestPrometheusEndToEnd runs the bridge binary with the compose stack's
// routes and connections (a second server stands for nats-edge) under
// traffic, scraped by a real Prometheus server (Debian's
// prometheus package) on loopback, then evaluates every expression of the
// dashboards and alert rules through Prometheus' HTTP API: each must parse,
// and every dashboard panel and variable must return data.
func TestPrometheusEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts NATS, the bridge and Prometheus")
	}
	promBin, err := exec.LookPath("prometheus")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("prometheus is not installed; .ci/run installs Debian's prometheus package")
		}
		t.Skip("prometheus is not installed (apt-get install prometheus); CI runs this test")
	}
	exprs, err := promql.Expressions(".")
	if err != nil {
		t.Fatal(err)
	}

	// NATS and the bridge, configured like the compose stack, plus a
	// JetStream route, whose panels query gauges of their own.
	s := natstest.Start(t, nil)
	nc := natstest.Connect(t, s)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(t.Context(), jetstream.StreamConfig{Name: "E2E", Subjects: []string{"e2e.js.in"}, Storage: jetstream.MemoryStorage}); err != nil {
		t.Fatal(err)
	}
	// The edge system, with the token the compose file gives nats-edge;
	// the bridge's connection to it goes to this server instead.
	project := loadCompose(t)
	eo := natstest.Options(t)
	eo.Authorization = serverToken(t, service(t, project, "nats-edge"))
	edge := natstest.Start(t, eo)
	ncEdge := natstest.Connect(t, edge, nats.Token(eo.Authorization))
	edgeURL := ""
	for _, c := range loadBridgeConfig(t, project).Conns {
		if c.Name == edgeConn {
			edgeURL = fmt.Sprintf("BRIDGE_CONN_%d_URL", c.Index)
		}
	}
	if edgeURL == "" {
		t.Fatalf("the bridge service has no connection %s", edgeConn)
	}

	metricsAddr := freeAddr(t)
	env := environ(t, service(t, project, "bridge"))
	n := routeCount(env)
	env = append(withoutVars(env, "NATS_URL", edgeURL, "BRIDGE_METRICS_ADDR"),
		"NATS_URL="+s.ClientURL(), edgeURL+"="+edge.ClientURL(), "BRIDGE_METRICS_ADDR="+metricsAddr, "PATH="+os.Getenv("PATH"),
		fmt.Sprintf("BRIDGE_ROUTE_%d_NAME=e2e-js", n), fmt.Sprintf("BRIDGE_ROUTE_%d_IN=e2e.js.in", n),
		fmt.Sprintf("BRIDGE_ROUTE_%d_OUT=e2e.js.out", n), fmt.Sprintf("BRIDGE_ROUTE_%d_STREAM=E2E", n))
	startProcess(t, "bridge", buildBridge(t), env)
	waitHTTP(t, "http://"+metricsAddr+"/readyz")

	// Prometheus scraping it every second, with the stack's alert rules.
	dir := t.TempDir()
	alerts, err := os.ReadFile(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "alerts.yml"), string(alerts))
	writeFile(t, filepath.Join(dir, "prometheus.yml"), fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [alerts.yml]
scrape_configs:
  - job_name: bridge
    static_configs:
      - targets: [%q]
`, metricsAddr))
	promAddr := freeAddr(t)
	startProcess(t, "prometheus", promBin, nil,
		"--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+promAddr)
	waitHTTP(t, "http://"+promAddr+"/-/ready")

	// Traffic on every route, with some input the jq route rejects, until
	// the test ends.
	ctx, stop := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { traffic(ctx, nc, ncEdge) })
	t.Cleanup(func() { stop(); wg.Wait() })

	api := "http://" + promAddr + "/api/v1/query"
	// Wait until rates have two samples of traffic on every route.
	natstest.WaitFor(t, 60*time.Second, func() error {
		r, err := query(api, `count(rate(bridge_messages_out_total{job="bridge"}[1m]) > 0) >= 2 and count(rate(bridge_latency_seconds_count[1m]) > 0) >= 2`)
		if err != nil {
			return err
		}
		if len(r) == 0 {
			return errors.New("no traffic in Prometheus yet")
		}
		return nil
	})

	// The edge route carries the edge's traffic into the main system.
	natstest.WaitFor(t, 30*time.Second, func() error {
		r, err := query(api, `bridge_messages_out_total{route="edge-telemetry"} > 0 and on() bridge_nats_connected{connection="edge"} == 1`)
		if err != nil {
			return err
		}
		if len(r) == 0 {
			return errors.New("no output of the edge-telemetry route in Prometheus yet")
		}
		return nil
	})

	for _, e := range exprs {
		t.Run(e.String(), func(t *testing.T) {
			natstest.WaitFor(t, 30*time.Second, func() error {
				r, err := query(api, e.Expr)
				if err != nil {
					var bad *badQuery
					if errors.As(err, &bad) {
						t.Fatalf("%s does not evaluate: %v", e.Expr, err)
					}
					return err
				}
				if (e.Kind == promql.Panel || e.Kind == promql.Variable) && len(r) == 0 {
					return fmt.Errorf("%s returned no data", e.Expr)
				}
				return nil
			})
		})
	}
}

// traffic publishes to every route of the test at a modest rate: on the
// main system through nc, on the edge through edge.
func traffic(ctx context.Context, nc, edge *nats.Conn) {
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		_ = nc.Publish("orders."+strconv.Itoa(i%3)+".created", []byte(`{"id":1}`))
		payload := fmt.Sprintf(`{"id":%d,"type":"t","items":[{"price":%d}]}`, i, i%10)
		if i%50 == 0 {
			payload = "not json"
		}
		_ = nc.Publish("events.raw."+strconv.Itoa(i%4), []byte(payload))
		_ = nc.Publish("e2e.js.in", []byte(`{"id":1}`))
		_ = edge.Publish("telemetry.site"+strconv.Itoa(i%2), []byte(`{"temp":21}`))
	}
}

// routeCount returns the number of routes env configures.
func routeCount(env []string) int {
	n := 0
	for _, kv := range env {
		rest, ok := strings.CutPrefix(kv, "BRIDGE_ROUTE_")
		if !ok {
			continue
		}
		idx, _, _ := strings.Cut(rest, "_")
		if i, err := strconv.Atoi(idx); err == nil && i+1 > n {
			n = i + 1
		}
	}
	return n
}

// badQuery is a query Prometheus rejected (HTTP 400 or 422).
type badQuery struct{ msg string }

func (e *badQuery) Error() string { return e.msg }

// query runs an instant query and returns its result vector or matrix.
func query(api, expr string) ([]json.RawMessage, error) {
	resp, err := http.Get(api + "?query=" + url.QueryEscape(expr))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusUnprocessableEntity {
		return nil, &badQuery{msg: body.Error}
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("status %s: %s", body.Status, body.Error)
	}
	if body.Data.ResultType == "scalar" || body.Data.ResultType == "string" {
		return []json.RawMessage{body.Data.Result}, nil
	}
	var r []json.RawMessage
	err = json.Unmarshal(body.Data.Result, &r)
	return r, err
}

var (
	bridgeOnce sync.Once
	bridgeBin  string
	bridgeErr  error
)

// buildBridge builds cmd/bridge once per test binary.
func buildBridge(t *testing.T) string {
	t.Helper()
	bridgeOnce.Do(func() {
		dir, err := os.MkdirTemp("", "deploy-e2e-")
		if err != nil {
			bridgeErr = err
			return
		}
		bridgeBin = filepath.Join(dir, "bridge")
		// deploy is a module of its own; build the binary in the root module.
		build := exec.Command("go", "build", "-o", bridgeBin, "./cmd/bridge")
		build.Dir = ".."
		out, err := build.CombinedOutput()
		if err != nil {
			bridgeErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if bridgeErr != nil {
		t.Fatal(bridgeErr)
	}
	t.Cleanup(func() { _ = os.RemoveAll(filepath.Dir(bridgeBin)) })
	return bridgeBin
}

// startProcess runs bin until the test ends, logging its output on failure.
func startProcess(t *testing.T, name, bin string, env []string, args ...string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	if env != nil {
		cmd.Env = env
	}
	out := &natstest.Output{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("%s output:\n%s", name, out.String())
		}
	})
}

func waitHTTP(t *testing.T, u string) {
	t.Helper()
	natstest.WaitFor(t, 30*time.Second, func() error {
		resp, err := http.Get(u)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: %s", u, resp.Status)
		}
		return nil
	})
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func withoutVars(env []string, names ...string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, n := range names {
			drop = drop || k == n
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return out
}
