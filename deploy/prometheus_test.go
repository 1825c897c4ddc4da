package deploy_test

import (
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// prometheusConfigFile is the part of prometheus.yml that the tests read.
type prometheusConfigFile struct {
	RuleFiles     []string `yaml:"rule_files"`
	ScrapeConfigs []struct {
		JobName      string `yaml:"job_name"`
		DNSSDConfigs []struct {
			Names []string `yaml:"names"`
			Type  string   `yaml:"type"`
			Port  int      `yaml:"port"`
		} `yaml:"dns_sd_configs"`
	} `yaml:"scrape_configs"`
}

// ruleFile is the part of a rule file that the tests read.
type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Record      string            `yaml:"record"`
			Expr        string            `yaml:"expr"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// alerts returns the names of the alerting rules of alertsFile.
func alerts(t *testing.T) []string {
	t.Helper()
	var rf ruleFile
	readYAML(t, alertsFile, &rf)
	var names []string
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Alert != "" {
				names = append(names, r.Alert)
			}
		}
	}
	if len(names) == 0 {
		t.Fatalf("%s has no alerting rule", alertsFile)
	}
	return names
}

func TestPromtool(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // in the output
	}{
		// check config also checks the rule files it names.
		{"check config", []string{"check", "config", prometheusConfig}, "SUCCESS"},
		{"check rules", []string{"check", "rules", alertsFile}, "SUCCESS"},
		// The unit tests of the alert rules.
		{"test rules", []string{"test", "rules", alertsTestFile}, "SUCCESS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if out := runPromtool(t, tt.args...); !strings.Contains(out, tt.want) {
				t.Errorf("promtool %s: no %s in\n%s", strings.Join(tt.args, " "), tt.want, out)
			}
		})
	}
}

// TestAlertRulesAnnotated checks that every alert says how bad it is and
// what happened.
func TestAlertRulesAnnotated(t *testing.T) {
	var rf ruleFile
	readYAML(t, alertsFile, &rf)
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			t.Run(r.Alert, func(t *testing.T) {
				if s := r.Labels["severity"]; s != "critical" && s != "warning" {
					t.Errorf("severity %q, want critical or warning", s)
				}
				for _, a := range []string{"summary", "description"} {
					if strings.TrimSpace(r.Annotations[a]) == "" {
						t.Errorf("no %s annotation", a)
					}
				}
			})
		}
	}
}

// TestAlertRulesTested checks that alerts_test.yml proves, for every alert,
// that it fires (some test expects it) and that it stays quiet on the
// healthy series of the test named "healthy".
func TestAlertRulesTested(t *testing.T) {
	var tf struct {
		RuleFiles []string `yaml:"rule_files"`
		Tests     []struct {
			Name          string `yaml:"name"`
			AlertRuleTest []struct {
				Alertname string `yaml:"alertname"`
				ExpAlerts []any  `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	readYAML(t, alertsTestFile, &tf)
	if want := path.Base(alertsFile); !slices.Equal(tf.RuleFiles, []string{want}) {
		t.Errorf("%s tests %v, want [%s]", alertsTestFile, tf.RuleFiles, want)
	}
	fires, quietWhenHealthy := map[string]bool{}, map[string]bool{}
	for _, test := range tf.Tests {
		for _, a := range test.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname] = true
			} else if test.Name == "healthy" {
				quietWhenHealthy[a.Alertname] = true
			}
		}
	}
	for _, name := range alerts(t) {
		if !fires[name] {
			t.Errorf("%s: no test expects %s to fire", alertsTestFile, name)
		}
		if !quietWhenHealthy[name] {
			t.Errorf("%s: the test \"healthy\" does not expect %s to stay quiet", alertsTestFile, name)
		}
	}
}

// TestPrometheusInCompose checks that the Prometheus service of the compose
// file runs prometheus.yml with the rule files it names, and that it
// discovers every replica of the bridge.
func TestPrometheusInCompose(t *testing.T) {
	p := loadCompose(t)
	prom := service(t, p, "prometheus")
	var cfg prometheusConfigFile
	readYAML(t, prometheusConfig, &cfg)

	configPath := "/etc/prometheus/prometheus.yml" // the image's default
	for _, arg := range prom.Command {
		if v, ok := strings.CutPrefix(arg, "--config.file="); ok {
			configPath = v
		}
	}
	t.Run("mounts prometheus.yml", func(t *testing.T) {
		m := bindMount(t, prom, configPath)
		if !sameFile(t, m.Source, prometheusConfig) {
			t.Errorf("%s is mounted from %s, want %s", configPath, m.Source, prometheusConfig)
		}
	})
	t.Run("mounts the alert rules", func(t *testing.T) {
		if len(cfg.RuleFiles) == 0 {
			t.Fatalf("%s loads no rule file", prometheusConfig)
		}
		found := false
		for _, rf := range cfg.RuleFiles {
			inContainer := rf
			if !path.IsAbs(rf) {
				inContainer = path.Join(path.Dir(configPath), rf)
			}
			src := hostPath(prom, inContainer)
			if src == "" {
				t.Errorf("rule file %s (%s in the container) is not mounted", rf, inContainer)
				continue
			}
			found = found || sameFile(t, src, alertsFile)
		}
		if !found {
			t.Errorf("%s does not load %s", prometheusConfig, alertsFile)
		}
	})
	t.Run("discovers every bridge replica", func(t *testing.T) {
		metricsPort := port(t, loadBridgeConfig(t, p).Service.MetricsAddr)
		for _, sc := range cfg.ScrapeConfigs {
			if sc.JobName != "bridge" {
				continue
			}
			for _, sd := range sc.DNSSDConfigs {
				if slices.Contains(sd.Names, "bridge") && sd.Type == "A" && sd.Port > 0 {
					if got := strconv.Itoa(sd.Port); got != metricsPort {
						t.Errorf("dns_sd_configs port %s, want the metrics port of the bridge, %s", got, metricsPort)
					}
					return
				}
			}
		}
		t.Errorf("%s: no job \"bridge\" with dns_sd_configs of type A on the name bridge", prometheusConfig)
	})
}
