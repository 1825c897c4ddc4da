package status_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/natsbridge/bridge/internal/status"
	"github.com/natsbridge/bridge/metrics"
)

var update = flag.Bool("update", false, "rewrite testdata/status.json")

func get(t *testing.T, h http.Handler) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	res := rec.Result()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

// scenario runs a little traffic on both routes, with the sampler started
// at time 0 and a snapshot at 2 s.
func scenario(t *testing.T, m *metrics.Metrics, s *status.Status) {
	t.Helper()
	m.Conn("default").Connected()
	setBuffer("totals", 2, 1024)
	setBuffer("orders", 0, 256)
	r, o := m.Route("totals"), m.Route("orders")
	s.Start()
	for range 40 {
		r.Received(10)
		r.Published(12)
		r.Latency(800 * time.Microsecond)
		r.Processed()
	}
	r.Received(3)
	r.Failed("decode")
	s.Failed("totals", "invoices", "decode", errors.New("jq: payload is not JSON"))
	for range 1000 {
		forwarded(o, 100)
	}
	wait(2 * time.Second)
}

// TestJSON compares /status, in a fake clock, with testdata/status.json:
// the shape scripts rely on. Run with -update to accept a change.
func TestJSON(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, m, s := newStatus(t)
		scenario(t, m, s)
		res, body := get(t, s.JSONHandler())
		s.Stop()
		if ct := res.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
		if !json.Valid([]byte(body)) {
			t.Fatalf("invalid JSON:\n%s", body)
		}
		golden := filepath.Join("testdata", "status.json")
		if *update {
			if err := os.WriteFile(golden, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if body != string(want) {
			t.Errorf("/status differs from %s (go test -update to accept):\n%s", golden, body)
		}
	})
}

// TestPage checks the HTML a browser without JavaScript sees: one row per
// route with its numbers, the failures, and the policy that admits exactly
// the page's own script and style.
func TestPage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, m, s := newStatus(t)
		scenario(t, m, s)
		res, body := get(t, s.PageHandler())
		s.Stop()
		if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("Content-Type %q", ct)
		}
		for _, want := range []string{
			`<tr data-route="totals">`,
			`<tr data-route="orders">`,
			`JetStream · ORDERS`,
			`<code>orders.&gt;</code> → <code>audit.&gt;</code>`,
			`<span class="rate" data-rate="in">21/s</span><span class="total" data-total="in">41</span>`,
			`<span class="rate" data-rate="out">500/s</span><span class="total" data-total="out">1,000</span>`,
			`<span data-field="buffer">2 / 1,024</span>`,
			`<td class="num" data-field="pending">–</td>`,
			`<td>totals</td><td>decode</td><td><code>invoices</code></td><td class="error">jq: payload is not JSON</td>`,
			`default: connected`,
			`v1.2.3`,
			`<noscript><meta http-equiv="refresh" content="5"></noscript>`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %s", want)
			}
		}
		p50 := regexp.MustCompile(`data-field="p50">([^<]*)<`).FindAllStringSubmatch(body, -1)
		if len(p50) != 2 || !strings.HasSuffix(p50[0][1], "µs") {
			t.Errorf("p50 cells %q, want the totals route's in µs", p50)
		}

		// The policy's hashes must be those of the inline script and
		// style, or the browser would run neither.
		policy := res.Header.Get("Content-Security-Policy")
		for tag, src := range map[string]string{"script": "script-src", "style": "style-src"} {
			m := regexp.MustCompile(`(?s)<` + tag + `>(.*?)</` + tag + `>`).FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("no inline %s", tag)
			}
			sum := sha256.Sum256([]byte(m[1]))
			want := src + " 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
			if !strings.Contains(policy, want) {
				t.Errorf("policy %q lacks %q", policy, want)
			}
		}
		if !strings.Contains(policy, "default-src 'none'") || !strings.Contains(policy, "connect-src 'self'") {
			t.Errorf("policy %q is not restrictive", policy)
		}
		if regexp.MustCompile(`(src|href)="(https?:)?//`).MatchString(body) {
			t.Error("page refers to an external asset")
		}
	})
}

// TestPageEscapes: subjects and error texts come from the network and must
// not become markup.
func TestPageEscapes(t *testing.T) {
	_, _, s := newStatus(t)
	s.Failed("totals", `a.<b>`, "generator", errors.New(`<script>alert(1)</script>`))
	_, body := get(t, s.PageHandler())
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "<b>") {
		t.Error("failure text rendered as markup")
	}
	if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("escaped failure text missing")
	}
	// Before Start: no rates, and the page says so with a dash.
	if !strings.Contains(body, `data-rate="in">–</span>`) {
		t.Error("no dash for a rate not measured yet")
	}
	if n := strings.Count(body, "<script>"); n != 1 {
		t.Errorf("%d script elements, want 1", n)
	}
}
