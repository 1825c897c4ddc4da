package helm_test

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"

	kedav1alpha1 "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/natsbridge/bridge/internal/config"
)

// landed says which of this round's other issues have reached the
// bridge's configuration loader. Each value set that renders their new
// variables names the issues it needs; while one of them is false, the set's
// rendered environment is compared with the environment it must produce
// (wantEnv) and config.Load must still reject it, and once all are true it
// must also load. The lead sets an entry to true when merging that issue;
// the test says which entry when the loader starts accepting a set.
var landed = map[string]bool{
	"issue 11": true, // BRIDGE_ROUTE_<n>_EMIT, _ORDER_BY
	"issue 13": true, // BRIDGE_CONN_<k>_*, BRIDGE_ROUTE_<n>_IN_CONN, _OUT_CONN, _REPLY_TIMEOUT
	"issue 15": true, // NATS_PASSWORD_FILE, NATS_TOKEN_FILE, BRIDGE_CONN_<k>_*_FILE, NATS_PING_INTERVAL, NATS_MAX_PINGS_OUT
}

// loaderSet is a value set whose rendered environment goes through
// config.Load.
type loaderSet struct {
	file  string   // in testdata/values; "" for the chart's defaults
	needs []string // keys of landed
	// wantEnv, for sets that need a landing, is the complete environment
	// the chart must render, before file paths are materialized.
	wantEnv map[string]string
}

var loaderSets = []loaderSet{
	{file: ""},
	{file: "minimal.yaml"},
	{file: "everything.yaml"},
	{file: "jetstream-keda.yaml"},
	{file: "core-hpa.yaml"},
	{
		file:  "new-message-stage.yaml",
		needs: []string{"issue 11"},
		wantEnv: withBase(map[string]string{
			"BRIDGE_ROUTE_0_NAME":     "router",
			"BRIDGE_ROUTE_0_IN":       "orders.in",
			"BRIDGE_ROUTE_0_OUT":      "routed.>",
			"BRIDGE_ROUTE_0_JQ":       `{subject: ("routed." + .region), payload: .}`,
			"BRIDGE_ROUTE_0_WORKERS":  "4",
			"BRIDGE_ROUTE_0_EMIT":     "message",
			"BRIDGE_ROUTE_0_ORDER_BY": "header:X-Tenant",
			"BRIDGE_ROUTE_1_NAME":     "plain",
			"BRIDGE_ROUTE_1_IN":       "plain.in",
			"BRIDGE_ROUTE_1_OUT":      "plain.out",
			"BRIDGE_ROUTE_1_EMIT":     "payload",
			"BRIDGE_ROUTE_1_ORDER_BY": "subject",
		}),
	},
	{
		file:  "new-connections.yaml",
		needs: []string{"issue 13"},
		wantEnv: withBase(map[string]string{
			"NATS_URL":                     "nats://nats.central.svc:4222",
			"BRIDGE_CONN_0_NAME":           "edge",
			"BRIDGE_CONN_0_URL":            "nats://nats.edge.example.com:4222",
			"BRIDGE_CONN_0_USER":           "bridge",
			"BRIDGE_CONN_0_PASSWORD":       fakeSecret("edge-auth", "password"),
			"BRIDGE_CONN_0_TLS_CA":         "/etc/nats-bridge/secrets/edge/tls-ca",
			"BRIDGE_ROUTE_0_NAME":          "edge-to-central",
			"BRIDGE_ROUTE_0_IN":            "sensors.>",
			"BRIDGE_ROUTE_0_OUT":           "sensors.>",
			"BRIDGE_ROUTE_0_STREAM":        "SENSORS",
			"BRIDGE_ROUTE_0_IN_CONN":       "edge",
			"BRIDGE_ROUTE_0_OUT_CONN":      "default",
			"BRIDGE_ROUTE_1_NAME":          "requests",
			"BRIDGE_ROUTE_1_IN":            "api.requests.*",
			"BRIDGE_ROUTE_1_OUT":           "api.edge.{{wildcard(1)}}",
			"BRIDGE_ROUTE_1_OUT_CONN":      "edge",
			"BRIDGE_ROUTE_1_REPLY_TIMEOUT": "5s",
		}),
	},
	{
		file:  "new-secret-files.yaml",
		needs: []string{"issue 13", "issue 15"},
		wantEnv: withBase(map[string]string{
			"NATS_USER":                "bridge",
			"NATS_PASSWORD_FILE":       "/etc/nats-bridge/secrets/default/password",
			"NATS_PING_INTERVAL":       "10s",
			"NATS_MAX_PINGS_OUT":       "2",
			"BRIDGE_CONN_0_NAME":       "partner",
			"BRIDGE_CONN_0_URL":        "tls://nats.partner.example.com:4222",
			"BRIDGE_CONN_0_TOKEN_FILE": "/etc/nats-bridge/secrets/partner/token",
			"BRIDGE_ROUTE_0_NAME":      "to-partner",
			"BRIDGE_ROUTE_0_IN":        "shipments.>",
			"BRIDGE_ROUTE_0_OUT":       "partner.shipments.>",
			"BRIDGE_ROUTE_0_OUT_CONN":  "partner",
		}),
	},
}

// withBase adds the variables the chart renders with its defaults.
func withBase(env map[string]string) map[string]string {
	base := map[string]string{
		"NATS_URL":                "nats://nats.messaging.svc:4222",
		"BRIDGE_METRICS_ADDR":     ":9090",
		"BRIDGE_SHUTDOWN_TIMEOUT": "30s",
		"BRIDGE_LOG_LEVEL":        "info",
		"BRIDGE_LOG_FORMAT":       "json",
	}
	maps.Copy(base, env)
	return base
}

// TestLoaderAcceptsRenderedEnv passes the environment the chart renders
// through the bridge's own loader, so that the chart cannot render a
// configuration the bridge rejects, and checks that the loaded
// configuration is what the values say and what the rest of the chart (the
// KEDA triggers, the ports, the grace period) assumes of it.
func TestLoaderAcceptsRenderedEnv(t *testing.T) {
	for _, set := range loaderSets {
		name := cmpOr(set.file, "chart defaults")
		t.Run(name, func(t *testing.T) {
			values := ""
			if set.file != "" {
				values = valuesFile(t, set.file)
			}
			r := render(t, values)
			env := resolveEnv(t, r)
			var pending []string
			for _, n := range set.needs {
				if !landed[n] {
					pending = append(pending, n)
				}
			}
			if set.wantEnv != nil {
				checkEnvEqual(t, env, set.wantEnv)
			}
			cfg, err := config.Load(materialize(t, r, env).environ())
			if len(pending) > 0 {
				if err == nil {
					t.Fatalf("config.Load accepts %s, which needs %s: set those entries of landed to true", set.file, strings.Join(pending, ", "))
				}
				if !errors.Is(err, config.ErrInvalid) {
					t.Fatalf("config.Load: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("config.Load rejects the rendered environment: %v\nenvironment:\n%s", err, strings.Join(env.environ(), "\n"))
			}
			checkLoaded(t, r, values, cfg)
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func checkEnvEqual(t *testing.T, got containerEnv, want map[string]string) {
	t.Helper()
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if g, ok := got[k]; !ok {
			t.Errorf("%s not rendered, want %q", k, want[k])
		} else if g != want[k] {
			t.Errorf("%s=%q, want %q", k, g, want[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok {
			t.Errorf("%s=%q rendered, not expected", k, got[k])
		}
	}
}

// valueRoute is a routes entry as the values hold it.
type valueRoute struct {
	Name, In, Out, Queue, JQ, DLQ, Stream, Durable string
	Overflow, Timeout, AckWait                     string
	Buffer, Workers, MaxDeliver                    int
	Dedup                                          *bool
}

// chartValues is the part of the values the checks compare with.
type chartValues struct {
	NATS struct {
		URL      string `json:"url"`
		Password struct {
			ExistingSecret string `json:"existingSecret"`
			Key            string `json:"key"`
		} `json:"password"`
	} `json:"nats"`
	Routes []valueRoute `json:"routes"`
}

func checkLoaded(t *testing.T, r rendered, values string, cfg *config.Config) {
	t.Helper()
	var v chartValues
	if err := yaml.Unmarshal([]byte(values), &v); err != nil {
		t.Fatal(err)
	}
	if values == "" {
		v.NATS.URL = "nats://nats:4222"
		v.Routes = []valueRoute{{Name: "demo", In: "demo.in.>", Out: "demo.out.>"}}
	}
	if cfg.UseEmbedded() || cfg.NATS.URL.Reveal() != v.NATS.URL {
		t.Errorf("NATS_URL %q, want %q", cfg.NATS.URL.Reveal(), v.NATS.URL)
	}
	if p := v.NATS.Password; p.ExistingSecret != "" && cfg.NATS.Password.Reveal() != fakeSecret(p.ExistingSecret, p.Key) {
		t.Errorf("the password the bridge reads is not key %s of Secret %s", p.Key, p.ExistingSecret)
	}
	if len(cfg.Routes) != len(v.Routes) {
		t.Fatalf("%d routes loaded, want %d", len(cfg.Routes), len(v.Routes))
	}
	for i, want := range v.Routes {
		got := cfg.Routes[i]
		if want.Name == "" {
			want.Name = "route" + strconv.Itoa(i)
		}
		for _, f := range []struct{ name, got, want string }{
			{"name", got.Name, want.Name}, {"in", got.In, want.In}, {"out", got.Out, want.Out},
			{"jq", got.JQ, want.JQ}, {"dlq", got.DLQ, want.DLQ}, {"stream", got.Stream, want.Stream},
		} {
			if f.got != f.want {
				t.Errorf("route %d %s: loaded %q, values %q", i, f.name, f.got, f.want)
			}
		}
		if want.Buffer != 0 && got.Buffer != want.Buffer {
			t.Errorf("route %d buffer: loaded %d, values %d", i, got.Buffer, want.Buffer)
		}
		if want.Dedup != nil && got.Dedup != *want.Dedup {
			t.Errorf("route %d dedup: loaded %v, values %v", i, got.Dedup, *want.Dedup)
		}
	}

	d := one[appsv1.Deployment](t, r)
	c := bridgeContainer(t, d)
	_, port, err := net.SplitHostPort(cfg.Service.MetricsAddr)
	if err != nil {
		t.Fatal(err)
	}
	if want := strconv.Itoa(int(containerPort(t, c, "metrics"))); port != want {
		t.Errorf("the bridge serves metrics and probes on port %s, the container port is %s", port, want)
	}
	grace := d.Spec.Template.Spec.TerminationGracePeriodSeconds
	if grace == nil || float64(*grace) <= cfg.Service.ShutdownTimeout.Seconds() {
		t.Errorf("terminationGracePeriodSeconds %v, not above BRIDGE_SHUTDOWN_TIMEOUT %s", grace, cfg.Service.ShutdownTimeout)
	}
	if objs := all[kedav1alpha1.ScaledObject](r); len(objs) == 1 {
		checkTriggers(t, objs[0], cfg)
	}
}

// checkTriggers checks the KEDA triggers against the loaded routes: a
// nats-jetstream trigger on each JetStream route's stream and on the
// durable consumer the bridge really uses (its default included), and a
// prometheus trigger on each core route's gauges under the name the bridge
// labels them with.
func checkTriggers(t *testing.T, so *kedav1alpha1.ScaledObject, cfg *config.Config) {
	t.Helper()
	byName := map[string]kedav1alpha1.ScaleTriggers{}
	for _, tr := range so.Spec.Triggers {
		if tr.Name != "" {
			byName[tr.Name] = tr
		}
	}
	for _, route := range cfg.Routes {
		tr, ok := byName[route.Name]
		if !ok {
			t.Errorf("route %s has no trigger", route.Name)
			continue
		}
		if route.JetStream() {
			if tr.Type != "nats-jetstream" {
				t.Errorf("route %s: trigger type %s, want nats-jetstream", route.Name, tr.Type)
			}
			if tr.Metadata["stream"] != route.Stream || tr.Metadata["consumer"] != route.Durable {
				t.Errorf("route %s: trigger on %s/%s, the bridge consumes %s/%s", route.Name, tr.Metadata["stream"], tr.Metadata["consumer"], route.Stream, route.Durable)
			}
			for _, key := range []string{"natsServerMonitoringEndpoint", "account", "lagThreshold"} {
				if tr.Metadata[key] == "" {
					t.Errorf("route %s: trigger has no %s", route.Name, key)
				}
			}
			continue
		}
		if tr.Type != "prometheus" {
			t.Errorf("route %s: trigger type %s, want prometheus", route.Name, tr.Type)
		}
		q := tr.Metadata["query"]
		for _, metric := range []string{"bridge_pending_messages", "bridge_buffer_depth"} {
			if !strings.Contains(q, metric+"{") {
				t.Errorf("route %s: query %s does not read %s", route.Name, q, metric)
			}
		}
		if want := fmt.Sprintf("route=%q", route.Name); strings.Count(q, want) != 2 {
			t.Errorf("route %s: query %s does not select %s in both gauges", route.Name, q, want)
		}
	}
}

// TestSecretsNeverPlain checks that no password or token is rendered as a
// value: they reach the container by secretKeyRef or as mounted files, and
// the values cannot carry them at all.
func TestSecretsNeverPlain(t *testing.T) {
	secretVar := func(name string) bool {
		return (strings.HasSuffix(name, "PASSWORD") || strings.HasSuffix(name, "TOKEN")) && !strings.HasSuffix(name, "_FILE")
	}
	for _, name := range valueSets {
		t.Run(name, func(t *testing.T) {
			r := render(t, valuesFile(t, name))
			c := bridgeContainer(t, one[appsv1.Deployment](t, r))
			for _, e := range c.Env {
				if secretVar(e.Name) && (e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil) {
					t.Errorf("env %s is not from a secretKeyRef: %+v", e.Name, e)
				}
			}
			for _, cm := range all[corev1.ConfigMap](r) {
				for k := range cm.Data {
					if secretVar(k) {
						t.Errorf("ConfigMap %s holds %s", cm.Name, k)
					}
				}
			}
		})
	}
	refused := []struct{ name, values string }{
		{"password as a string", "nats: {url: nats://n:4222, user: u, password: hunter2}"},
		{"credentials in the URL", "nats: {url: 'nats://u:hunter2@n:4222'}"},
		{"token in the URL", "nats: {url: 'nats://hunter2@n:4222'}"},
		{"connection password as a string", "connections: [{name: e, url: nats://e:4222, password: hunter2}]"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := renderErr(tt.values); err == nil {
				t.Error("rendered; want the schema to refuse it")
			}
		})
	}
}

// TestStringsReachTheBridgeUnchanged checks that route settings with
// quotes, backslashes, newlines, tabs, non-ASCII, template braces and
// $(VAR) (which the kubelet would expand in an env value) reach the bridge
// exactly as written in the values.
func TestStringsReachTheBridgeUnchanged(t *testing.T) {
	program := "# a comment\n.x + \"q\\\"uote \\\\ back é {{ .Values.x }} $(HOME)\\t\"\n| {y: .}\n"
	const out = "b.{{wildcard(1)}}.>"
	values, err := yaml.Marshal(map[string]any{
		"nats":   map[string]any{"url": "nats://n:4222"},
		"routes": []any{map[string]any{"in": "a.*.>", "out": out, "jq": program}},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := render(t, string(values))
	cfg, err := config.Load(materialize(t, r, resolveEnv(t, r)).environ())
	if err != nil {
		t.Fatalf("config.Load: %v\nvalues:\n%s", err, values)
	}
	if got := cfg.Routes[0].JQ; got != program {
		t.Errorf("jq program:\n got %q\nwant %q", got, program)
	}
	if got := cfg.Routes[0].Out; got != out {
		t.Errorf("out %q, want %q", got, out)
	}
}
