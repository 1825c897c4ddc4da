package main_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/natsbridge/bridge/internal/natstest"
)

// readyz returns the status and body of /readyz.
func (p *proc) readyz(t *testing.T) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + p.http + "/readyz")
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b := make([]byte, 512)
	n, _ := resp.Body.Read(b)
	return resp.StatusCode, strings.TrimSpace(string(b[:n]))
}

// TestTwoConnections runs the bridge with the default connection on a
// server that wants a user and password and a second connection, "edge",
// on one that wants a token, both secrets read from files: both connect,
// each has its own series, /readyz names the one that goes down, and the
// bridge comes back when it returns.
func TestTwoConnections(t *testing.T) {
	const (
		pw    = "central-pa55"
		token = "edge-t0ken"
	)
	central := natstest.Options(t)
	central.Username, central.Password = "bridge", pw
	a := natstest.Start(t, central)
	edgeOpts := natstest.Options(t)
	edgeOpts.Authorization = token
	b := natstest.Start(t, edgeOpts)

	dir := t.TempDir()
	pwFile, tokenFile := filepath.Join(dir, "password"), filepath.Join(dir, "token")
	for path, secret := range map[string]string{pwFile: pw + "\n", tokenFile: token + "\r\n"} {
		if err := os.WriteFile(path, []byte(secret), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p := startBridge(t,
		"NATS_URL="+a.ClientURL(), "NATS_USER=bridge", "NATS_PASSWORD_FILE="+pwFile,
		"BRIDGE_CONN_0_NAME=edge", "BRIDGE_CONN_0_URL="+b.ClientURL(), "BRIDGE_CONN_0_TOKEN_FILE="+tokenFile,
		// Never opened: no route uses it, and nothing listens there.
		"BRIDGE_CONN_1_NAME=spare", "BRIDGE_CONN_1_URL=nats://"+freeAddr(t),
		"BRIDGE_ROUTE_0_IN=a.in", "BRIDGE_ROUTE_0_OUT=a.out",
		"BRIDGE_ROUTE_1_IN=edge.in", "BRIDGE_ROUTE_1_OUT=edge.out", "BRIDGE_ROUTE_1_IN_CONN=edge",
		"BRIDGE_LOG_LEVEL=debug",
	)
	scrapeUntil(t, p,
		`bridge_nats_connected{connection="default"} 1.0`,
		`bridge_nats_connected{connection="edge"} 1.0`,
		`bridge_nats_reconnects_total{connection="default"} 0.0`,
		`bridge_nats_reconnects_total{connection="edge"} 0.0`,
	)
	if strings.Contains(p.body(t, "/metrics"), `connection="spare"`) {
		t.Error("/metrics has series of the unused connection")
	}
	if log := p.stderr.String(); !strings.Contains(log, `msg="connection not opened: no route uses it`) || !strings.Contains(log, "connection=spare") {
		t.Errorf("the unused connection is not logged:\n%s", log)
	}

	// The default connection relays with its password from the file.
	nc := natstest.Connect(t, a, nats.UserInfo("bridge", pw))
	out := subscribe(t, nc, "a.out")
	_ = nc.Publish("a.in", []byte("x"))
	out.wait(t, 1)

	// Edge goes away: /readyz names it as soon as the client knows.
	edgeRestart := b.Opts.Clone()
	b.Shutdown()
	b.WaitForShutdown()
	natstest.WaitFor(t, 20*time.Second, func() error {
		if !strings.Contains(p.stderr.String(), `msg="disconnected from NATS" connection=edge`) {
			return fmt.Errorf("%w: the bridge has not noticed", natstest.ErrTest)
		}
		return nil
	})
	natstest.WaitFor(t, 5*time.Second, func() error {
		code, body := p.readyz(t)
		if code != http.StatusServiceUnavailable || !strings.Contains(body, `connection "edge" is RECONNECTING`) {
			return fmt.Errorf("%w: /readyz %d %q", natstest.ErrTest, code, body)
		}
		return nil
	})
	scrapeUntil(t, p, `bridge_nats_connected{connection="edge"} 0.0`, `bridge_nats_connected{connection="default"} 1.0`)

	natstest.Start(t, edgeRestart)
	natstest.WaitFor(t, 20*time.Second, func() error {
		if code, body := p.readyz(t); code != http.StatusOK {
			return fmt.Errorf("%w: /readyz %d %q after edge came back", natstest.ErrTest, code, body)
		}
		return nil
	})
	scrapeUntil(t, p, `bridge_nats_connected{connection="edge"} 1.0`, `bridge_nats_reconnects_total{connection="edge"} 1.0`,
		`bridge_nats_reconnects_total{connection="default"} 0.0`)

	metrics := p.body(t, "/metrics")
	if code := p.terminate(t); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	for what, text := range map[string]string{"log": p.stderr.String(), "/metrics": metrics} {
		for _, secret := range []string{pw, token} {
			if strings.Contains(text, secret) {
				t.Errorf("the %s shows the secret %q", what, secret)
			}
		}
	}
}
