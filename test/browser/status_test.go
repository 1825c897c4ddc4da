package browser_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image/png"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsbridge/bridge/internal/natstest"
)

var screenshot = flag.String("screenshot", "", "write the page's screenshot (PNG) to this file")

// routeEnv configures three routes: a core route and a JetStream route
// with jq programs, and a forward-only core route.
func routeEnv(url string) []string {
	return []string{
		"NATS_URL=" + url,
		"BRIDGE_ROUTE_0_NAME=totals",
		"BRIDGE_ROUTE_0_IN=invoices",
		"BRIDGE_ROUTE_0_OUT=invoices.totals",
		"BRIDGE_ROUTE_0_JQ={id: .id, total: (.price * .qty)}",
		"BRIDGE_ROUTE_1_NAME=audit",
		"BRIDGE_ROUTE_1_IN=orders.*",
		"BRIDGE_ROUTE_1_OUT=audit.{{wildcard(1)}}",
		"BRIDGE_ROUTE_1_STREAM=ORDERS",
		"BRIDGE_ROUTE_1_JQ=. + {audited: true}",
		"BRIDGE_ROUTE_2_NAME=events",
		"BRIDGE_ROUTE_2_IN=events.>",
		"BRIDGE_ROUTE_2_OUT=archive.>",
	}
}

// cells reads the text of every counter cell of the route rows, keyed
// "route/field", e.g. "totals/total-in" or "events/rate-in".
const cellsJS = `(() => {
	const out = {};
	for (const tr of document.querySelectorAll("#routes tr[data-route]")) {
		for (const el of tr.querySelectorAll("[data-total]")) out[tr.dataset.route + "/total-" + el.dataset.total] = el.textContent;
		for (const el of tr.querySelectorAll("[data-rate]")) out[tr.dataset.route + "/rate-" + el.dataset.rate] = el.textContent;
		for (const el of tr.querySelectorAll("[data-field]")) out[tr.dataset.route + "/" + el.dataset.field] = el.textContent;
	}
	out.failures = [...document.querySelectorAll("#failures tbody tr")].map(tr => tr.textContent).join("\n");
	return out;
})()`

// TestStatusPageLive opens the page, sends messages through the bridge,
// and waits for the page's script to show them without a reload.
func TestStatusPageLive(t *testing.T) {
	ctx := newBrowser(t)
	srv := natstest.Start(t, nil)
	nc := natstest.Connect(t, srv)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(t.Context(), jetstream.StreamConfig{Name: "ORDERS", Subjects: []string{"orders.*"}}); err != nil {
		t.Fatal(err)
	}
	p := startBridge(t, routeEnv(srv.ClientURL())...)

	if err := chromedp.Do(ctx, chromedp.Navigate(p.base+"/"), chromedp.WaitVisible(chromedp.CSS(`tr[data-route="events"]`))); err != nil {
		t.Fatal(err)
	}
	rows := eval[[]string](t, ctx, `[...document.querySelectorAll("#routes tr[data-route]")].map(tr => tr.dataset.route)`)
	if !slices.Equal(rows, []string{"totals", "audit", "events"}) {
		t.Fatalf("route rows %q, want totals, audit, events in configuration order", rows)
	}
	// The inline style applies only if the policy's hash is its own.
	if d := eval[string](t, ctx, `getComputedStyle(document.querySelector("header")).display`); d != "flex" {
		t.Errorf("header display %q: the page's style was not applied", d)
	}
	kind := eval[string](t, ctx, `document.querySelector('tr[data-route="audit"] .kind').textContent`)
	if kind != "JetStream · ORDERS" {
		t.Errorf("audit route kind %q", kind)
	}
	start := eval[map[string]string](t, ctx, cellsJS)
	if start["totals/total-in"] != "0" || start["events/total-out"] != "0" {
		t.Fatalf("counters before any message: %v", start)
	}
	// A mark on the document: if the page reloaded, it would be gone.
	_ = eval[bool](t, ctx, `window.sameDocument = true`)

	const invoices, orders, events = 120, 300, 2000
	for i := range invoices {
		_ = nc.Publish("invoices", fmt.Appendf(nil, `{"id":%d,"price":2.5,"qty":4}`, i))
	}
	_ = nc.Publish("invoices", []byte("not json"))
	_ = nc.Publish("invoices", []byte(`{"id":7,"price":[2.5],"qty":4}`))
	for i := range orders {
		if _, err := js.PublishAsync("orders."+[]string{"eu", "us", "apac"}[i%3], fmt.Appendf(nil, `{"order":%d}`, i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range events {
		_ = nc.Publish("events.click", []byte(strconv.Itoa(i)))
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}

	want := map[string]string{
		"totals/total-in":     strconv.Itoa(invoices + 2),
		"totals/total-out":    strconv.Itoa(invoices),
		"totals/total-failed": "2",
		"audit/total-in":      strconv.Itoa(orders),
		"audit/total-out":     strconv.Itoa(orders),
		"events/total-in":     "2,000",
		"events/total-out":    "2,000",
	}
	var got map[string]string
	natstest.WaitFor(t, 30*time.Second, func() error {
		got = eval[map[string]string](t, ctx, cellsJS)
		for k, v := range want {
			if got[k] != v {
				return fmt.Errorf("%s shows %q, want %q", k, got[k], v)
			}
		}
		// Rates need a reading before the burst and the burst in
		// the window.
		for _, k := range []string{"totals/rate-in", "audit/rate-out", "events/rate-in"} {
			if v := got[k]; v == "–" || v == "0.0/s" {
				return fmt.Errorf("%s shows %q", k, v)
			}
		}
		if !strings.Contains(got["failures"], "decode") || !strings.Contains(got["failures"], "generator") {
			return fmt.Errorf("failures table: %q", got["failures"])
		}
		return nil
	})
	if !eval[bool](t, ctx, `window.sameDocument === true`) {
		t.Fatal("the page reloaded: the counters were not updated by its script")
	}
	for _, k := range []string{"totals/p50", "totals/p99", "audit/p50"} {
		if v := got[k]; v == "–" || !(strings.HasSuffix(v, "s")) {
			t.Errorf("%s shows %q, want a duration", k, v)
		}
	}
	for _, k := range []string{"totals/pending", "audit/pending"} {
		if v := got[k]; v == "–" || strings.TrimLeft(v, "0123456789,") != "" {
			t.Errorf("%s shows %q, want a count (pending queue, or in flight)", k, v)
		}
	}
	if s := eval[string](t, ctx, `document.getElementById("updated").textContent`); !strings.HasPrefix(s, "live, ") {
		t.Errorf("update indicator %q, want live", s)
	}

	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(shot))
	if err != nil || cfg.Width < 1000 {
		t.Fatalf("screenshot: %v, %dx%d", err, cfg.Width, cfg.Height)
	}
	if *screenshot != "" {
		if err := os.WriteFile(*screenshot, shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestStatusPageWithoutJavaScript loads the page with scripts disabled:
// the server-rendered table must carry the routes and their numbers.
func TestStatusPageWithoutJavaScript(t *testing.T) {
	ctx := newBrowser(t)
	srv := natstest.Start(t, nil)
	nc := natstest.Connect(t, srv)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(t.Context(), jetstream.StreamConfig{Name: "ORDERS", Subjects: []string{"orders.*"}}); err != nil {
		t.Fatal(err)
	}
	p := startBridge(t, routeEnv(srv.ClientURL())...)
	out, err := nc.SubscribeSync("archive.>")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		_ = nc.Publish("events.view", []byte(strconv.Itoa(i)))
	}
	_ = nc.Publish("invoices", []byte("not json"))
	for range 5 {
		if _, err := out.NextMsg(10 * time.Second); err != nil {
			t.Fatal(err)
		}
	}

	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	// The failure may reach the page a moment after the outputs: reload
	// until it shows, as a reader without JavaScript would.
	natstest.WaitFor(t, 20*time.Second, func() error {
		tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := chromedp.Do(tctx, chromedp.Navigate(p.base+"/")); err != nil {
			return err
		}
		html, err := chromedp.Run(tctx, chromedp.OuterHTML(chromedp.CSS("html")))
		if err != nil {
			return err
		}
		for _, want := range []string{
			`<tr data-route="totals">`, `<tr data-route="audit">`, `<tr data-route="events">`,
			`data-total="in">5<`, `<td>decode</td>`,
			// The script would have replaced it at once.
			`<span id="updated">at `,
		} {
			if !strings.Contains(html, want) {
				return fmt.Errorf("page without JavaScript lacks %s", want)
			}
		}
		return nil
	})
	// With scripting off, the browser parses <noscript> as markup, so the
	// page reloads itself.
	tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := chromedp.Run(tctx, chromedp.Nodes(chromedp.CSS(`noscript meta[http-equiv="refresh"]`))); err != nil {
		t.Fatalf("no refresh element: scripting is not off? %v", err)
	}
}
