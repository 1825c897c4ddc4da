package helm_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	kedav1alpha1 "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// alertJob is the job the alert rules select (up{job="bridge"}); the
// monitors label the targets with it.
const alertJob = "bridge"

// TestFileCopies checks that the chart's copies of the alert rules and the
// dashboard are byte for byte the files of the compose stack, the one
// source. Helm reads only files inside the chart, and a symlink out of it
// is refused by some tools (Argo CD, for one), hence copies; make
// helm-update refreshes them.
func TestFileCopies(t *testing.T) {
	for _, f := range []struct{ src, dst string }{
		{alertsSource, alertsCopy},
		{dashboardSrc, dashboardCopy},
	} {
		t.Run(filepath.Base(f.src), func(t *testing.T) {
			src := readFile(t, f.src)
			if *update {
				if err := os.WriteFile(f.dst, src, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if ok, diff := sameBytes(src, readFile(t, f.dst)); !ok {
				t.Errorf("deploy/helm/%s differs from deploy/helm/%s (%s): run make helm-update", f.dst, f.src, diff)
			}
		})
	}
}

// ruleSpec decodes a Prometheus rule file strictly into the spec of a
// PrometheusRule, which has the same shape (groups).
func ruleSpec(t *testing.T, data []byte) monitoringv1.PrometheusRuleSpec {
	t.Helper()
	var spec monitoringv1.PrometheusRuleSpec
	if err := yaml.UnmarshalStrict(data, &spec); err != nil {
		t.Fatalf("rule file: %v", err)
	}
	if len(spec.Groups) == 0 {
		t.Fatal("rule file has no group")
	}
	return spec
}

// TestPrometheusRule checks that the PrometheusRule carries exactly the
// rules of deploy/prometheus/alerts.yml, that they select the job the
// monitors set, and that promtool accepts them and passes the alert unit
// tests of the compose stack (alerts_test.yml) on them.
func TestPrometheusRule(t *testing.T) {
	r := render(t, valuesFile(t, "everything.yaml"))
	pr := one[monitoringv1.PrometheusRule](t, r)
	if pr.Labels["release"] != "kube-prometheus-stack" {
		t.Errorf("labels %v, want release from values", pr.Labels)
	}
	want := ruleSpec(t, readFile(t, alertsSource))
	if !reflect.DeepEqual(pr.Spec, want) {
		got, _ := yaml.Marshal(pr.Spec)
		w, _ := yaml.Marshal(want)
		t.Fatalf("PrometheusRule spec differs from %s:\n--- rendered\n%s\n--- %s\n%s", alertsSource, got, alertsSource, w)
	}
	if !strings.Contains(string(readFile(t, alertsSource)), fmt.Sprintf(`up{job=%q}`, alertJob)) {
		t.Errorf("%s does not select job %q, which the ServiceMonitor and PodMonitor set", alertsSource, alertJob)
	}

	// The rendered rules, as a rule file beside the compose stack's unit
	// tests (which name alerts.yml).
	data, err := yaml.Marshal(pr.Spec)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rules := filepath.Join(dir, "alerts.yml")
	if err := os.WriteFile(rules, data, 0o644); err != nil {
		t.Fatal(err)
	}
	unitTests := filepath.Join(dir, "alerts_test.yml")
	if err := os.WriteFile(unitTests, readFile(t, alertsTest), 0o644); err != nil {
		t.Fatal(err)
	}
	var count int
	for _, g := range pr.Spec.Groups {
		count += len(g.Rules)
	}
	if out := runPromtool(t, "check", "rules", rules); !strings.Contains(out, fmt.Sprintf("SUCCESS: %d rules found", count)) {
		t.Errorf("promtool check rules:\n%s", out)
	}
	if out := runPromtool(t, "test", "rules", unitTests); !strings.Contains(out, "SUCCESS") {
		t.Errorf("promtool test rules:\n%s", out)
	}
}

// TestKEDAQueriesParse checks with promtool that the PromQL query of every
// prometheus trigger parses.
func TestKEDAQueriesParse(t *testing.T) {
	type rule struct {
		Record string `json:"record"`
		Expr   string `json:"expr"`
	}
	var rules []rule
	for _, name := range []string{"everything.yaml", "new-connections.yaml"} {
		so := one[kedav1alpha1.ScaledObject](t, render(t, valuesFile(t, name)))
		for _, tr := range so.Spec.Triggers {
			if tr.Type == "prometheus" {
				rules = append(rules, rule{Record: fmt.Sprintf("keda:trigger_%d", len(rules)), Expr: tr.Metadata["query"]})
			}
		}
	}
	if len(rules) == 0 {
		t.Fatal("no prometheus trigger rendered")
	}
	data, err := yaml.Marshal(map[string]any{"groups": []any{map[string]any{"name": "keda", "rules": rules}}})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "keda.yml")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if out := runPromtool(t, "check", "rules", file); !strings.Contains(out, fmt.Sprintf("SUCCESS: %d rules found", len(rules))) {
		t.Errorf("promtool check rules:\n%s", out)
	}
}

// TestDashboard checks that the dashboard ConfigMap holds the compose
// stack's dashboard byte for byte, labelled for the Grafana sidecar, and
// that datasourceUid replaces the data source of every panel and nothing
// else.
func TestDashboard(t *testing.T) {
	source := readFile(t, dashboardSrc)
	dashboard := func(t *testing.T, values string) (*corev1.ConfigMap, string) {
		t.Helper()
		var found *corev1.ConfigMap
		for _, cm := range all[corev1.ConfigMap](render(t, values)) {
			if strings.HasSuffix(cm.Name, "-dashboard") {
				found = cm
			}
		}
		if found == nil {
			t.Fatal("no dashboard ConfigMap")
		}
		if len(found.Data) != 1 {
			t.Fatalf("dashboard ConfigMap has %d keys, want 1", len(found.Data))
		}
		for k, v := range found.Data {
			if !strings.HasSuffix(k, ".json") {
				t.Errorf("key %s: the sidecar loads *.json", k)
			}
			return found, v
		}
		return nil, ""
	}

	t.Run("equal to the compose dashboard", func(t *testing.T) {
		cm, got := dashboard(t, valuesFile(t, "everything.yaml"))
		if ok, diff := sameBytes([]byte(got), source); !ok {
			t.Errorf("dashboard differs from %s: %s", dashboardSrc, diff)
		}
		if cm.Labels["grafana_dashboard"] != "1" {
			t.Errorf("labels %v, want grafana_dashboard: \"1\"", cm.Labels)
		}
		if cm.Namespace != "monitoring" || cm.Annotations["grafana_folder"] != "Messaging" {
			t.Errorf("namespace %s, annotations %v: want those of values", cm.Namespace, cm.Annotations)
		}
	})
	t.Run("datasourceUid", func(t *testing.T) {
		const uid = "prometheus"
		_, got := dashboard(t, valuesFile(t, "minimal.yaml")+"grafanaDashboard: {enabled: true, datasourceUid: "+uid+"}\n")
		var doc any
		if err := json.Unmarshal([]byte(got), &doc); err != nil {
			t.Fatalf("not JSON: %v", err)
		}
		want := strings.ReplaceAll(string(source), `"uid": "bridge-prometheus"`, `"uid": "`+uid+`"`)
		if want == string(source) {
			t.Fatalf("%s names no data source bridge-prometheus: update the chart's datasourceUid", dashboardSrc)
		}
		if got != want {
			t.Error("with datasourceUid, the dashboard is not the compose one with only the data source uid replaced")
		}
		if strings.Contains(got, "bridge-prometheus") {
			t.Error("bridge-prometheus is still referenced")
		}
	})
}

// promtool returns the path of promtool. Without it, the test fails in CI
// (CI=true; .ci/run installs Debian's prometheus package) and is skipped
// elsewhere.
func promtool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("promtool is required in CI (.ci/run installs Debian's prometheus package): %v", err)
		}
		t.Skip("promtool not found; install it to run this check: apt-get install --no-install-recommends prometheus (Debian)")
	}
	return path
}

// runPromtool runs promtool with args and returns its output; the test
// fails if promtool fails.
func runPromtool(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), promtool(t), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
