// Package deploy_test checks the deployment files of the repository without
// running them: the Dockerfile, deploy/docker-compose.yml, the Prometheus
// configuration and alert rules, and the Grafana provisioning and
// dashboards. No Docker engine is needed; promtool is (Debian package
// prometheus), and these tests skip the checks that need it only outside CI.
package deploy_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v3"

	"github.com/natsbridge/bridge/internal/config"
)

// Paths, relative to deploy/ (the directory of these tests).
const (
	composeFile      = "docker-compose.yml"
	prometheusConfig = "prometheus/prometheus.yml"
	alertsFile       = "prometheus/alerts.yml"
	alertsTestFile   = "prometheus/alerts_test.yml"
	dashboardsDir    = "grafana/dashboards"
	dockerfile       = "../Dockerfile"
	dockerignore     = "../.dockerignore"
)

// loadCompose loads docker-compose.yml the way `docker compose` does, with
// schema validation and consistency checks, every profile enabled and an
// empty environment (so that the result does not depend on the caller's).
// Relative paths are resolved against deploy/.
func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	p, err := loader.LoadWithContext(t.Context(), types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(dir, composeFile)}},
		Environment: types.Mapping{},
	}, loader.WithProfiles([]string{"*"}))
	if err != nil {
		t.Fatalf("%s: %v", composeFile, err)
	}
	return p
}

// service returns the service name of p.
func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, err := p.GetService(name)
	if err != nil {
		t.Fatalf("%s: %v", composeFile, err)
	}
	return s
}

// environ returns the environment of s as KEY=value strings, sorted; a
// variable without a value (passed through from the host) is an error.
func environ(t *testing.T, s types.ServiceConfig) []string {
	t.Helper()
	var env []string
	for k, v := range s.Environment {
		if v == nil {
			t.Errorf("service %s: %s has no value (it would come from the host)", s.Name, k)
			continue
		}
		env = append(env, k+"="+*v)
	}
	slices.Sort(env)
	return env
}

// loadBridgeConfig loads the configuration that the bridge service of the
// compose file runs with, failing the test if it is invalid.
func loadBridgeConfig(t *testing.T, p *types.Project) *config.Config {
	t.Helper()
	cfg, err := config.Load(environ(t, service(t, p, "bridge")))
	if err != nil {
		t.Fatalf("bridge environment in %s: %v", composeFile, err)
	}
	return cfg
}

// port returns the port of a host:port address.
func port(t *testing.T, addr string) string {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// bindMount returns the bind mount of s whose target is target.
func bindMount(t *testing.T, s types.ServiceConfig, target string) types.ServiceVolumeConfig {
	t.Helper()
	for _, v := range s.Volumes {
		if v.Target == target {
			if v.Type != types.VolumeTypeBind {
				t.Fatalf("service %s: %s is a %s mount, want a bind mount", s.Name, target, v.Type)
			}
			return v
		}
	}
	t.Fatalf("service %s mounts nothing at %s", s.Name, target)
	return types.ServiceVolumeConfig{}
}

// hostPath maps path, a path inside a container of s, to the file of deploy/
// that a bind mount of s puts there, or "" if no bind mount covers it.
func hostPath(s types.ServiceConfig, path string) string {
	for _, v := range s.Volumes {
		if v.Type != types.VolumeTypeBind {
			continue
		}
		if rel, err := filepath.Rel(v.Target, path); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			return filepath.Join(v.Source, rel)
		}
	}
	return ""
}

// sameFile reports whether a and b name the same existing file.
func sameFile(t *testing.T, a, b string) bool {
	t.Helper()
	fa, err := os.Stat(a)
	if err != nil {
		t.Fatal(err)
	}
	fb, err := os.Stat(b)
	if err != nil {
		t.Fatal(err)
	}
	return os.SameFile(fa, fb)
}

// readYAML decodes the YAML file path into v.
func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// promtool returns the path of promtool. Without it, the test fails in CI
// (CI=true; .ci/run installs it) and is skipped elsewhere.
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
