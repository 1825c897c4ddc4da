package deploy_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/natsbridge/bridge/deploy/promql"
)

// Where deploy/docker-compose.yml mounts the Grafana provisioning.
const (
	grafanaDatasources = "/etc/grafana/provisioning/datasources"
	grafanaProviders   = "/etc/grafana/provisioning/dashboards"
)

type grafanaDatasource struct {
	Name string `yaml:"name"`
	UID  string `yaml:"uid"`
	Type string `yaml:"type"`
	URL  string `yaml:"url"`
}

// provisionedDatasources returns the datasources of the provisioning files
// in dir.
func provisionedDatasources(t *testing.T, dir string) []grafanaDatasource {
	t.Helper()
	var all []grafanaDatasource
	for _, f := range yamlFiles(t, dir) {
		var file struct {
			Datasources []grafanaDatasource `yaml:"datasources"`
		}
		readYAML(t, f, &file)
		all = append(all, file.Datasources...)
	}
	return all
}

// prometheusUID returns the uid of the one provisioned Prometheus
// datasource, which every dashboard query must use.
func prometheusUID(t *testing.T) string {
	t.Helper()
	var uids []string
	for _, ds := range provisionedDatasources(t, "grafana/provisioning/datasources") {
		if ds.Type == "prometheus" {
			uids = append(uids, ds.UID)
		}
	}
	if len(uids) != 1 || uids[0] == "" {
		t.Fatalf("provisioned Prometheus datasource uids %q, want one, fixed", uids)
	}
	return uids[0]
}

func yamlFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	for _, pattern := range []string{"*.yml", "*.yaml"} {
		m, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatalf("no provisioning file in %s", dir)
	}
	return files
}

// TestGrafanaProvisioning checks that the Grafana service of the compose
// file gets the datasource and the dashboards, and that the datasource
// points at the Prometheus service.
func TestGrafanaProvisioning(t *testing.T) {
	p := loadCompose(t)
	grafana := service(t, p, "grafana")

	t.Run("datasource", func(t *testing.T) {
		src := bindMount(t, grafana, grafanaDatasources).Source
		dss := provisionedDatasources(t, src)
		if len(dss) == 0 {
			t.Fatalf("no datasource in %s", src)
		}
		for _, ds := range dss {
			if ds.UID == "" {
				t.Errorf("datasource %s has no fixed uid", ds.Name)
			}
			if ds.Type != "prometheus" {
				continue
			}
			u, err := url.Parse(ds.URL)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.GetService(u.Hostname()); err != nil || u.Hostname() != "prometheus" || u.Port() != "9090" {
				t.Errorf("datasource %s: url %s, want the prometheus service on port 9090", ds.Name, ds.URL)
			}
		}
	})
	t.Run("dashboards", func(t *testing.T) {
		src := bindMount(t, grafana, grafanaProviders).Source
		for _, f := range yamlFiles(t, src) {
			var file struct {
				Providers []struct {
					Name    string `yaml:"name"`
					Type    string `yaml:"type"`
					Options struct {
						Path string `yaml:"path"`
					} `yaml:"options"`
				} `yaml:"providers"`
			}
			readYAML(t, f, &file)
			if len(file.Providers) == 0 {
				t.Errorf("%s: no dashboard provider", f)
			}
			for _, pr := range file.Providers {
				dir := hostPath(grafana, pr.Options.Path)
				if pr.Type != "file" || dir == "" {
					t.Errorf("%s: provider %s reads %s (%s), which is not mounted", f, pr.Name, pr.Options.Path, pr.Type)
					continue
				}
				if !sameFile(t, dir, dashboardsDir) {
					t.Errorf("%s: provider %s reads %s, want %s", f, pr.Name, dir, dashboardsDir)
				}
			}
		}
	})
	// The README promises that the NATS bridge dashboard is Grafana's
	// home page; without this setting Grafana shows its own.
	t.Run("home dashboard", func(t *testing.T) {
		const setting = "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"
		home := grafana.Environment[setting]
		if home == nil || *home == "" {
			t.Fatalf("the grafana service does not set %s, so the bridge dashboard is not the home page", setting)
		}
		src := hostPath(grafana, *home)
		if src == "" {
			t.Fatalf("home dashboard %s is not mounted", *home)
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		var d dashboardFile
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("home dashboard %s: %v", src, err)
		}
		if d.Title != "NATS bridge" {
			t.Errorf("home dashboard %s is %q, want the NATS bridge dashboard", src, d.Title)
		}
	})
}

// dashboardFile is the part of a Grafana dashboard that the tests read.
type dashboardFile struct {
	UID        string           `json:"uid"`
	Title      string           `json:"title"`
	Panels     []dashboardPanel `json:"panels"`
	Templating struct {
		List []struct {
			Name       string      `json:"name"`
			Type       string      `json:"type"`
			Datasource *datasource `json:"datasource"`
		} `json:"list"`
	} `json:"templating"`
}

type dashboardPanel struct {
	Title      string           `json:"title"`
	Type       string           `json:"type"`
	Datasource *datasource      `json:"datasource"`
	Panels     []dashboardPanel `json:"panels"`
	Targets    []struct {
		RefID        string      `json:"refId"`
		Datasource   *datasource `json:"datasource"`
		Expr         string      `json:"expr"`
		LegendFormat string      `json:"legendFormat"`
	} `json:"targets"`
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

func (d *datasource) String() string {
	if d == nil {
		return "none"
	}
	return fmt.Sprintf("%s %q", d.Type, d.UID)
}

func dashboardFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dashboardsDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no dashboard in %s", dashboardsDir)
	}
	return files
}

// TestDashboards checks that every dashboard parses, and that every panel,
// query and variable uses the provisioned Prometheus datasource.
func TestDashboards(t *testing.T) {
	uid := prometheusUID(t)
	want := &datasource{Type: "prometheus", UID: uid}
	for _, file := range dashboardFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var d dashboardFile
			if err := json.Unmarshal(data, &d); err != nil {
				t.Fatal(err)
			}
			if d.UID == "" || d.Title == "" {
				t.Errorf("uid %q, title %q: both must be set (links use the uid)", d.UID, d.Title)
			}
			for _, v := range d.Templating.List {
				if v.Type == "query" && (v.Datasource == nil || *v.Datasource != *want) {
					t.Errorf("variable %s: datasource %v, want %v", v.Name, v.Datasource, want)
				}
			}
			var titles []string
			var walk func([]dashboardPanel)
			walk = func(panels []dashboardPanel) {
				for _, p := range panels {
					walk(p.Panels)
					if p.Type == "row" {
						continue
					}
					titles = append(titles, p.Title)
					if p.Datasource == nil || *p.Datasource != *want {
						t.Errorf("panel %q: datasource %v, want %v", p.Title, p.Datasource, want)
					}
					if len(p.Targets) == 0 {
						t.Errorf("panel %q has no query", p.Title)
					}
					for _, q := range p.Targets {
						if q.Datasource == nil || *q.Datasource != *want {
							t.Errorf("panel %q, query %s: datasource %v, want %v", p.Title, q.RefID, q.Datasource, want)
						}
					}
				}
			}
			walk(d.Panels)
			if len(titles) == 0 {
				t.Error("no panel")
			}
			slices.Sort(titles)
			for i := 1; i < len(titles); i++ {
				if titles[i] == titles[i-1] {
					t.Errorf("two panels are titled %q", titles[i])
				}
			}
		})
	}
}

// TestDashboardsShowEveryMetric checks that the dashboards query every
// metric of the bridge.
func TestDashboardsShowEveryMetric(t *testing.T) {
	exprs, err := promql.Expressions(".")
	if err != nil {
		t.Fatal(err)
	}
	var queries strings.Builder
	for _, e := range exprs {
		if e.Kind == promql.Panel {
			queries.WriteString(e.Expr + "\n")
		}
	}
	for _, metric := range []string{
		"bridge_messages_in_total",
		"bridge_messages_out_total",
		"bridge_messages_processed_total",
		"bridge_messages_filtered_total",
		"bridge_messages_dropped_total",
		"bridge_messages_failed_total",
		"bridge_messages_dead_lettered_total",
		"bridge_bytes_in_total",
		"bridge_bytes_out_total",
		"bridge_buffer_depth",
		"bridge_buffer_capacity",
		"bridge_pending_messages",
		"bridge_pending_limit_messages",
		"bridge_inflight_messages",
		"bridge_inflight_limit_messages",
		"bridge_processing_seconds_bucket",
		"bridge_latency_seconds_bucket",
		"bridge_nats_connected",
		"bridge_nats_reconnects_total",
		"bridge_build_info",
	} {
		if !strings.Contains(queries.String(), metric) {
			t.Errorf("no dashboard panel queries %s", metric)
		}
	}
}

// TestDashboardsSplitConnections checks that the time series of the NATS
// connections keep one line per connection (a replica has one for
// "default" and one for every BRIDGE_CONN_<k> its routes use), so that the
// one that is down shows, and that no query adds the states of several
// connections into a number that means nothing.
func TestDashboardsSplitConnections(t *testing.T) {
	for _, file := range dashboardFiles(t) {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var d dashboardFile
		if err := json.Unmarshal(data, &d); err != nil {
			t.Fatal(err)
		}
		var walk func([]dashboardPanel)
		walk = func(panels []dashboardPanel) {
			for _, p := range panels {
				walk(p.Panels)
				for _, q := range p.Targets {
					switch {
					case !strings.Contains(q.Expr, "bridge_nats_connected"):
					case p.Type == "timeseries" && (!strings.Contains(q.Expr, "connection)") || !strings.Contains(q.LegendFormat, "{{connection}}")):
						t.Errorf("%s: panel %q: %s (legend %q) does not keep a line per connection", filepath.Base(file), p.Title, q.Expr, q.LegendFormat)
					case strings.HasPrefix(q.Expr, "sum(bridge_nats_connected"):
						t.Errorf("%s: panel %q: %s adds up connection states", filepath.Base(file), p.Title, q.Expr)
					}
				}
			}
		}
		walk(d.Panels)
	}
}

// TestExpressionsParse checks with promtool that every PromQL expression of
// the dashboards and rules parses: each becomes a recording rule of a
// generated rule file, in a group named after where it comes from.
func TestExpressionsParse(t *testing.T) {
	exprs, err := promql.Expressions(".")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[promql.Kind]int{}
	for _, e := range exprs {
		kinds[e.Kind]++
	}
	for _, k := range []promql.Kind{promql.Panel, promql.Variable, promql.Alert} {
		if kinds[k] == 0 {
			t.Errorf("no expression of kind %s among %d", k, len(exprs))
		}
	}

	type rule struct {
		Record string `yaml:"record"`
		Expr   string `yaml:"expr"`
	}
	type group struct {
		Name  string `yaml:"name"`
		Rules []rule `yaml:"rules"`
	}
	var file struct {
		Groups []group `yaml:"groups"`
	}
	seen := map[string]bool{}
	for i, e := range exprs {
		if seen[e.String()] {
			t.Errorf("two expressions are named %s", e)
		}
		seen[e.String()] = true
		file.Groups = append(file.Groups, group{
			Name:  e.String(),
			Rules: []rule{{Record: fmt.Sprintf("deploy_test:expr_%d", i), Expr: e.Expr}},
		})
	}
	data, err := yaml.Marshal(&file)
	if err != nil {
		t.Fatal(err)
	}
	rules := filepath.Join(t.TempDir(), "expressions.yml")
	if err := os.WriteFile(rules, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out := runPromtool(t, "check", "rules", rules)
	if want := fmt.Sprintf("SUCCESS: %d rules found", len(exprs)); !strings.Contains(out, want) {
		t.Errorf("promtool check rules: no %q in\n%s", want, out)
	}
}
