// Package promql lists the PromQL expressions of the deployment in deploy/:
// the queries of the Grafana dashboards and the rules of the Prometheus rule
// files, so that tests can check that each one parses and evaluate each one
// against a Prometheus that scrapes the bridge.
//
// Dashboard queries use Grafana variables, which Prometheus does not know.
// [Expressions] replaces them: a dashboard variable by its "All" value (so a
// query selects every route and replica), and the built-in $__rate_interval,
// $__interval and $__range by fixed durations (see [RateInterval]).
package promql

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Layout of a deployment directory, relative to it.
const (
	// PrometheusConfig is the Prometheus configuration; its rule_files
	// (relative to it) name the rule files.
	PrometheusConfig = "prometheus/prometheus.yml"
	// DashboardGlob matches the Grafana dashboards.
	DashboardGlob = "grafana/dashboards/*.json"
)

// Durations that replace Grafana's built-in interval variables.
const (
	// RateInterval replaces $__rate_interval and $__interval: long enough
	// for rate to see several samples at a scrape interval of up to 15s.
	RateInterval = "1m"
	// Range replaces $__range, the time range of the dashboard.
	Range = "5m"
)

// Kind tells where an expression comes from, and so what to expect of its
// result: panels and variables should return data while the bridge runs
// with traffic; alerts return data only while they fire.
type Kind string

// Kinds of expressions.
const (
	Panel    Kind = "panel"    // a query of a dashboard panel
	Variable Kind = "variable" // the series a dashboard variable takes its values from
	Alert    Kind = "alert"    // the expression of an alerting rule
	Record   Kind = "record"   // the expression of a recording rule
)

// Expr is one PromQL expression of the deployment.
type Expr struct {
	// Source is the file it comes from, relative to the deployment
	// directory, with forward slashes: "grafana/dashboards/bridge.json".
	Source string
	// Title says where in Source: "Buffer fill [A]" (panel title and
	// query refId), "variable route", "alert BridgeDown" or "record name".
	Title string
	Kind  Kind
	// Expr is the expression, with Grafana variables replaced.
	Expr string
}

func (e Expr) String() string { return e.Source + ": " + e.Title }

// Expressions returns every PromQL expression of the deployment directory
// dir (the deploy/ directory of the repository): those of the rule files
// that PrometheusConfig loads, then those of the dashboards that match
// DashboardGlob, each in file order. It reports every problem it finds: an
// unreadable file, a panel query without an expression, a variable whose
// query is not label_values or query_result, a Grafana variable that it
// cannot replace.
func Expressions(dir string) ([]Expr, error) {
	var exprs []Expr
	var errs []error
	rules, err := ruleFiles(dir)
	if err != nil {
		return nil, err
	}
	for _, rel := range rules {
		e, err := ruleExpressions(dir, rel)
		exprs = append(exprs, e...)
		errs = append(errs, err)
	}
	dashboards, err := filepath.Glob(filepath.Join(dir, DashboardGlob))
	if err != nil {
		return nil, err
	}
	for _, path := range dashboards {
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return nil, err
		}
		e, err := dashboardExpressions(dir, filepath.ToSlash(rel))
		exprs = append(exprs, e...)
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return exprs, nil
}

// ruleFiles returns the rule files of the Prometheus configuration,
// relative to dir, with forward slashes.
func ruleFiles(dir string) ([]string, error) {
	var cfg struct {
		RuleFiles []string `yaml:"rule_files"`
	}
	if err := decodeYAML(filepath.Join(dir, PrometheusConfig), &cfg); err != nil {
		return nil, err
	}
	var files []string
	for _, pattern := range cfg.RuleFiles {
		if filepath.IsAbs(pattern) {
			return nil, fmt.Errorf("%s: rule file %s: want a path relative to the configuration", PrometheusConfig, pattern)
		}
		matches, err := filepath.Glob(filepath.Join(dir, filepath.Dir(PrometheusConfig), pattern))
		if err != nil {
			return nil, fmt.Errorf("%s: rule file %s: %w", PrometheusConfig, pattern, err)
		}
		if len(matches) == 0 {
			return nil, fmt.Errorf("%s: rule file %s: no such file", PrometheusConfig, pattern)
		}
		for _, m := range matches {
			rel, err := filepath.Rel(dir, m)
			if err != nil {
				return nil, err
			}
			files = append(files, filepath.ToSlash(rel))
		}
	}
	return files, nil
}

func ruleExpressions(dir, rel string) ([]Expr, error) {
	var file struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert  string `yaml:"alert"`
				Record string `yaml:"record"`
				Expr   string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := decodeYAML(filepath.Join(dir, rel), &file); err != nil {
		return nil, err
	}
	var exprs []Expr
	var errs []error
	for _, g := range file.Groups {
		for i, r := range g.Rules {
			e := Expr{Source: rel, Kind: Alert, Title: "alert " + r.Alert, Expr: strings.TrimSpace(r.Expr)}
			if r.Alert == "" {
				e.Kind, e.Title = Record, "record "+r.Record
			}
			if e.Expr == "" {
				errs = append(errs, fmt.Errorf("%s: group %s, rule %d: no expr", rel, g.Name, i+1))
				continue
			}
			exprs = append(exprs, e)
		}
	}
	return exprs, errors.Join(errs...)
}

// dashboard is the part of a Grafana dashboard that holds queries.
type dashboard struct {
	Panels     []panel `json:"panels"`
	Templating struct {
		List []variable `json:"list"`
	} `json:"templating"`
}

type panel struct {
	Title   string   `json:"title"`
	Type    string   `json:"type"`
	Panels  []panel  `json:"panels"` // of a collapsed row
	Targets []target `json:"targets"`
}

type target struct {
	RefID string `json:"refId"`
	Expr  string `json:"expr"`
	Hide  bool   `json:"hide"`
}

type variable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Query      json.RawMessage `json:"query"` // a string, or {"query": "..."}
	IncludeAll bool            `json:"includeAll"`
	AllValue   string          `json:"allValue"`
	Current    struct {
		Value any `json:"value"` // a string, or a list of them
	} `json:"current"`
}

func dashboardExpressions(dir, rel string) ([]Expr, error) {
	data, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		return nil, err
	}
	var d dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("%s: %w", rel, err)
	}
	values, err := variableValues(d.Templating.List)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rel, err)
	}
	var exprs []Expr
	var errs []error
	add := func(title string, kind Kind, expr string) {
		expanded, err := expand(expr, values)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s: %w", rel, title, err))
			return
		}
		exprs = append(exprs, Expr{Source: rel, Title: title, Kind: kind, Expr: expanded})
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		q, err := variableQuery(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: variable %s: %w", rel, v.Name, err))
			continue
		}
		add("variable "+v.Name, Variable, q)
	}
	var walk func([]panel)
	walk = func(panels []panel) {
		for _, p := range panels {
			walk(p.Panels)
			for _, t := range p.Targets {
				title := fmt.Sprintf("%s [%s]", p.Title, t.RefID)
				switch {
				case t.Hide:
				case strings.TrimSpace(t.Expr) == "":
					errs = append(errs, fmt.Errorf("%s: %s: no expr", rel, title))
				default:
					add(title, Panel, strings.TrimSpace(t.Expr))
				}
			}
		}
	}
	walk(d.Panels)
	return exprs, errors.Join(errs...)
}

// builtins are the Grafana variables that expand replaces besides those of
// the dashboard.
var builtins = map[string]string{
	"__rate_interval": RateInterval,
	"__interval":      RateInterval,
	"__range":         Range,
}

// variableValues returns the value that stands for each variable of a
// dashboard: its "All" value, else its current value.
func variableValues(vars []variable) (map[string]string, error) {
	values := map[string]string{}
	for _, v := range vars {
		if v.IncludeAll && v.AllValue != "" {
			values[v.Name] = v.AllValue
			continue
		}
		switch cur := v.Current.Value.(type) {
		case string:
			if cur != "" && cur != "$__all" {
				values[v.Name] = cur
				continue
			}
		case []any:
			if len(cur) == 1 {
				if s, ok := cur[0].(string); ok && s != "" && s != "$__all" {
					values[v.Name] = s
					continue
				}
			}
		}
		return nil, fmt.Errorf("variable %s: no single value to use (set allValue, or one current value)", v.Name)
	}
	return values, nil
}

// varRE matches the forms of a Grafana variable reference: $name,
// ${name}, ${name:format} and [[name]].
var varRE = regexp.MustCompile(`\$(\w+)|\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)\]\]`)

// expand replaces the Grafana variables of expr by their values.
func expand(expr string, values map[string]string) (string, error) {
	var unknown []string
	out := varRE.ReplaceAllStringFunc(expr, func(ref string) string {
		m := varRE.FindStringSubmatch(ref)
		name := m[1] + m[2] + m[3]
		if v, ok := values[name]; ok {
			return v
		}
		if v, ok := builtins[name]; ok {
			return v
		}
		unknown = append(unknown, ref)
		return ref
	})
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return "", fmt.Errorf("unknown Grafana variables %s", strings.Join(slices.Compact(unknown), ", "))
	}
	return out, nil
}

// queryRE matches the variable queries that select series:
// label_values(selector, label) and query_result(expr).
var queryRE = regexp.MustCompile(`(?s)^\s*(?:label_values\((.+),\s*\w+\s*\)|query_result\((.+)\))\s*$`)

// variableQuery returns the PromQL expression of a query variable.
func variableQuery(v variable) (string, error) {
	var q string
	if err := json.Unmarshal(v.Query, &q); err != nil {
		var obj struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(v.Query, &obj); err != nil {
			return "", fmt.Errorf("query: want a string or an object with a query, got %s", v.Query)
		}
		q = obj.Query
	}
	m := queryRE.FindStringSubmatch(q)
	if m == nil {
		return "", fmt.Errorf("query %q: want label_values(selector, label) or query_result(expr)", q)
	}
	return strings.TrimSpace(m[1] + m[2]), nil
}

func decodeYAML(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
