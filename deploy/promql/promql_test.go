package promql_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/natsbridge/bridge/deploy/promql"
)

// writeTree writes files (path relative to the directory: content) to a new
// directory and returns it.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const (
	config = "rule_files: [alerts.yml, 'rules/*.yml']\n"
	alerts = `
groups:
  - name: a
    rules:
      - alert: Down
        expr: up == 0
      - record: job:up:sum
        expr: |
          sum by (job) (up)
`
	moreRules = `
groups:
  - name: b
    rules:
      - alert: Other
        expr: vector(1)
`
	dashboard = `{
  "templating": {"list": [
    {"name": "instance", "type": "query", "includeAll": true, "allValue": ".*",
     "query": {"query": "label_values(build_info, instance)", "refId": "x"}},
    {"name": "route", "type": "query", "includeAll": true, "allValue": ".+",
     "query": "query_result(max by (route) (in_total{instance=~\"$instance\"}))"},
    {"name": "quantile", "type": "custom", "current": {"value": "0.9"}},
    {"name": "window", "type": "interval", "current": {"value": ["2m"]}}
  ]},
  "panels": [
    {"type": "row", "title": "Row", "collapsed": true, "panels": [
      {"title": "Inner", "targets": [{"refId": "A", "expr": "rate(in_total{route=~\"${route:regex}\"}[$__rate_interval])"}]}
    ]},
    {"title": "Outer", "targets": [
      {"refId": "A", "expr": "histogram_quantile($quantile, rate(x_bucket{instance=~\"[[instance]]\"}[$window]))"},
      {"refId": "B", "expr": "increase(c_total[$__range]) + rate(c_total[${__interval}])"},
      {"refId": "C", "expr": "hidden{", "hide": true}
    ]}
  ]
}`
)

func TestExpressions(t *testing.T) {
	dir := writeTree(t, map[string]string{
		promql.PrometheusConfig:          config,
		"prometheus/alerts.yml":          alerts,
		"prometheus/rules/more.yml":      moreRules,
		"prometheus/alerts_test.yml":     "not: [a rule file",
		"grafana/dashboards/one.json":    dashboard,
		"grafana/dashboards/notes.txt":   "not a dashboard",
		"grafana/provisioning/ds/x.yaml": "ignored: true",
	})
	got, err := promql.Expressions(dir)
	if err != nil {
		t.Fatal(err)
	}
	const dash = "grafana/dashboards/one.json"
	want := []promql.Expr{
		{Source: "prometheus/alerts.yml", Title: "alert Down", Kind: promql.Alert, Expr: "up == 0"},
		{Source: "prometheus/alerts.yml", Title: "record job:up:sum", Kind: promql.Record, Expr: "sum by (job) (up)"},
		{Source: "prometheus/rules/more.yml", Title: "alert Other", Kind: promql.Alert, Expr: "vector(1)"},
		{Source: dash, Title: "variable instance", Kind: promql.Variable, Expr: "build_info"},
		{Source: dash, Title: "variable route", Kind: promql.Variable, Expr: `max by (route) (in_total{instance=~".*"})`},
		{Source: dash, Title: "Inner [A]", Kind: promql.Panel, Expr: `rate(in_total{route=~".+"}[1m])`},
		{Source: dash, Title: "Outer [A]", Kind: promql.Panel, Expr: `histogram_quantile(0.9, rate(x_bucket{instance=~".*"}[2m]))`},
		{Source: dash, Title: "Outer [B]", Kind: promql.Panel, Expr: "increase(c_total[5m]) + rate(c_total[1m])"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Expressions:\n got %q\nwant %q", got, want)
	}
}

func TestExpressionsErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string // in the error
	}{
		{
			name:  "no prometheus config",
			files: map[string]string{},
			want:  []string{"prometheus.yml"},
		},
		{
			name:  "missing rule file",
			files: map[string]string{promql.PrometheusConfig: "rule_files: [gone.yml]"},
			want:  []string{"gone.yml: no such file"},
		},
		{
			name:  "absolute rule file",
			files: map[string]string{promql.PrometheusConfig: "rule_files: [/etc/prometheus/alerts.yml]"},
			want:  []string{"want a path relative to the configuration"},
		},
		{
			name: "rule without expr, bad dashboards",
			files: map[string]string{
				promql.PrometheusConfig:     "rule_files: [r.yml]",
				"prometheus/r.yml":          "groups: [{name: g, rules: [{alert: A}]}]",
				"grafana/dashboards/a.json": `{"panels": [{"title": "P", "targets": [{"refId": "A", "expr": "rate(x[$unknown]) + y[$__rate_interval]"}, {"refId": "B"}]}]}`,
				"grafana/dashboards/b.json": `{"templating": {"list": [{"name": "v", "type": "query", "includeAll": true, "allValue": ".*", "query": "metrics(x)"}]}}`,
				"grafana/dashboards/c.json": `{"templating": {"list": [{"name": "v", "type": "query", "query": "label_values(x, y)"}]}}`,
				"grafana/dashboards/d.json": `{"panels": [`,
			},
			want: []string{
				"prometheus/r.yml: group g, rule 1: no expr",
				"grafana/dashboards/a.json: P [A]: unknown Grafana variables $unknown",
				"grafana/dashboards/a.json: P [B]: no expr",
				`grafana/dashboards/b.json: variable v: query "metrics(x)"`,
				"grafana/dashboards/c.json: variable v: no single value",
				"grafana/dashboards/d.json:",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exprs, err := promql.Expressions(writeTree(t, tt.files))
			if err == nil {
				t.Fatalf("no error; expressions %q", exprs)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
		})
	}
}
