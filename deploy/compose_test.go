package deploy_test

import (
	"cmp"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/natsbridge/bridge/internal/config"
)

// TestComposeServices checks that the compose file is valid (loadCompose
// validates it against the Compose specification and checks its
// consistency) and has the services of the stack.
func TestComposeServices(t *testing.T) {
	p := loadCompose(t)
	for _, name := range []string{"nats", "nats-edge", "bridge", "prometheus", "grafana"} {
		s := service(t, p, name)
		if len(s.Profiles) > 0 {
			t.Errorf("service %s has profiles %v: `docker compose up` would not start it", name, s.Profiles)
		}
	}
}

// TestComposeBridgeEnvironment checks the environment of the bridge service
// with the bridge's own configuration loader.
func TestComposeBridgeEnvironment(t *testing.T) {
	p := loadCompose(t)
	env := environ(t, service(t, p, "bridge"))
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if !config.Known(name) {
			t.Errorf("%s: the bridge does not know the variable %s (see docs/configuration.md)", composeFile, name)
		}
	}
	cfg := loadBridgeConfig(t, p)

	tests := []struct {
		name  string
		check func(*testing.T, *config.Config)
	}{
		{"connects to the nats service", func(t *testing.T, cfg *config.Config) {
			servers := cfg.NATS.URL.Servers()
			if len(servers) != 1 {
				t.Fatalf("NATS_URL has %d servers, want 1 (the nats service)", len(servers))
			}
			u, err := url.Parse(servers[0])
			if err != nil {
				t.Fatal(err)
			}
			if u.Hostname() != "nats" || u.Port() != "4222" {
				t.Errorf("NATS_URL = %s, want the nats service on port 4222", servers[0])
			}
			if _, err := p.GetService(u.Hostname()); err != nil {
				t.Error(err)
			}
		}},
		{"serves metrics on all interfaces", func(t *testing.T, cfg *config.Config) {
			host, _, _ := strings.Cut(cfg.Service.MetricsAddr, ":")
			if cfg.Service.MetricsAddr == "" || host != "" {
				t.Errorf("BRIDGE_METRICS_ADDR = %q, want :<port> so that Prometheus reaches every replica", cfg.Service.MetricsAddr)
			}
		}},
		{"has a passthrough route with a subject mapping", func(t *testing.T, cfg *config.Config) {
			if !slices.ContainsFunc(cfg.Routes, func(r config.Route) bool {
				return r.JQ == "" && strings.Contains(r.Out, "{{wildcard(1)}}")
			}) {
				t.Errorf("no route without JQ whose OUT uses {{wildcard(1)}}: %v", cfg.Routes)
			}
		}},
		{"has a jq route with a dead-letter subject", func(t *testing.T, cfg *config.Config) {
			if !slices.ContainsFunc(cfg.Routes, func(r config.Route) bool { return r.JQ != "" && r.DLQ != "" }) {
				t.Errorf("no route with both JQ and DLQ: %v", cfg.Routes)
			}
		}},
		{"bridges the edge system into the main one", func(t *testing.T, cfg *config.Config) {
			edge, ok := cfg.Conn(edgeConn)
			if !ok {
				t.Fatalf("no connection named %s (BRIDGE_CONN_<k>_NAME): %v", edgeConn, cfg.Conns)
			}
			servers := edge.URL.Servers()
			if len(servers) != 1 {
				t.Fatalf("connection %s has %d servers, want 1 (the nats-edge service)", edgeConn, len(servers))
			}
			u, err := url.Parse(servers[0])
			if err != nil {
				t.Fatal(err)
			}
			if u.Hostname() != "nats-edge" || u.Port() != "4222" {
				t.Errorf("connection %s: URL %s, want the nats-edge service on port 4222", edgeConn, servers[0])
			}
			// The bridge presents the token the edge server requires.
			if want := serverToken(t, service(t, p, "nats-edge")); edge.Token.Reveal() != want || want == "" {
				t.Errorf("connection %s: token %q, the nats-edge server requires %q (--auth)", edgeConn, edge.Token.Reveal(), want)
			}
			if !slices.Contains(cfg.UsedConns(), edgeConn) || len(cfg.UnusedConns()) > 0 {
				t.Errorf("used connections %v, unused %v: want %s used, none unused", cfg.UsedConns(), cfg.UnusedConns(), edgeConn)
			}
			if !slices.ContainsFunc(cfg.Routes, func(r config.Route) bool {
				return r.InConn == edgeConn && r.OutConn == config.DefaultConn
			}) {
				t.Errorf("no route from %s to %s: %v", edgeConn, config.DefaultConn, cfg.Routes)
			}
		}},
		{"routes use queue groups", func(t *testing.T, cfg *config.Config) {
			for _, r := range cfg.Routes {
				if !r.JetStream() && r.Queue == "" {
					t.Errorf("route %s has no queue group: every replica would receive every message", r.Name)
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.check(t, cfg) })
	}
}

// TestComposeBridgeService checks what `docker compose up --scale bridge=3`
// and a clean shutdown need of the bridge service.
func TestComposeBridgeService(t *testing.T) {
	p := loadCompose(t)
	bridge := service(t, p, "bridge")
	cfg := loadBridgeConfig(t, p)
	metricsPort := port(t, cfg.Service.MetricsAddr)

	tests := []struct {
		name  string
		check func(*testing.T)
	}{
		{"is built from the Dockerfile at the root", func(t *testing.T) {
			if bridge.Build == nil {
				t.Fatal("bridge has no build section")
			}
			root, err := filepath.Abs("..")
			if err != nil {
				t.Fatal(err)
			}
			if bridge.Build.Context != root {
				t.Errorf("build context = %s, want the repository root %s", bridge.Build.Context, root)
			}
			df := cmp.Or(bridge.Build.Dockerfile, "Dockerfile")
			if !filepath.IsAbs(df) {
				df = filepath.Join(bridge.Build.Context, df)
			}
			if !sameFile(t, df, dockerfile) {
				t.Errorf("builds %s, want %s", df, dockerfile)
			}
			if v, ok := bridge.Build.Args["VERSION"]; !ok || v == nil || *v == "" {
				t.Error("build arg VERSION is not passed")
			}
		}},
		{"publishes no host port", func(t *testing.T) {
			// A fixed host port would make the second replica fail to start.
			if len(bridge.Ports) > 0 {
				t.Errorf("ports %+v: replicas are scraped on the compose network, publish nothing", bridge.Ports)
			}
		}},
		{"has no container name", func(t *testing.T) {
			if bridge.ContainerName != "" {
				t.Errorf("container_name %q prevents scaling", bridge.ContainerName)
			}
		}},
		{"exposes the metrics port", func(t *testing.T) {
			if !slices.Contains(bridge.Expose, metricsPort) {
				t.Errorf("expose = %v, want the port of BRIDGE_METRICS_ADDR, %s", bridge.Expose, metricsPort)
			}
		}},
		{"waits for healthy NATS servers", func(t *testing.T) {
			for _, name := range natsServices {
				dep, ok := bridge.DependsOn[name]
				if !ok || dep.Condition != types.ServiceConditionHealthy {
					t.Errorf("depends_on %s = %+v, want condition %s", name, dep, types.ServiceConditionHealthy)
				}
				nats := service(t, p, name)
				if nats.HealthCheck == nil || nats.HealthCheck.Disable || len(nats.HealthCheck.Test) == 0 {
					t.Errorf("the %s service has no healthcheck", name)
				}
			}
		}},
		{"has time to drain on stop", func(t *testing.T) {
			grace := 10 * time.Second // Docker's default
			if bridge.StopGracePeriod != nil {
				grace = time.Duration(*bridge.StopGracePeriod)
			}
			if grace <= cfg.Service.ShutdownTimeout {
				t.Errorf("stop_grace_period %s <= BRIDGE_SHUTDOWN_TIMEOUT %s: Docker kills a replica before it has drained", grace, cfg.Service.ShutdownTimeout)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.check)
	}
}

// natsServices are the NATS servers of the stack: the main system and the
// edge.
var natsServices = []string{"nats", "nats-edge"}

// edgeConn is the name of the bridge's connection to nats-edge.
const edgeConn = "edge"

// serverToken returns the token a nats-server service requires (--auth).
func serverToken(t *testing.T, s types.ServiceConfig) string {
	t.Helper()
	i := slices.Index(s.Command, "--auth")
	if i < 0 || i+1 >= len(s.Command) {
		t.Fatalf("service %s: no --auth <token> in %q", s.Name, s.Command)
	}
	return s.Command[i+1]
}

// TestComposeNATSService checks that each NATS server runs with JetStream
// and exposes its monitoring port, which its healthcheck uses.
func TestComposeNATSService(t *testing.T) {
	p := loadCompose(t)
	for _, name := range natsServices {
		t.Run(name, func(t *testing.T) { checkNATSService(t, service(t, p, name)) })
	}
}

func checkNATSService(t *testing.T, nats types.ServiceConfig) {
	args := strings.Join(nats.Command, " ")
	for _, want := range []string{"-js", "-m 8222"} {
		if !strings.Contains(" "+args+" ", " "+want+" ") {
			t.Errorf("command %q lacks %q", args, want)
		}
	}
	published := map[uint32]bool{}
	for _, p := range nats.Ports {
		published[p.Target] = p.Published != ""
	}
	for _, port := range []uint32{4222, 8222} {
		if !published[port] {
			t.Errorf("port %d is not published", port)
		}
	}
	if hc := nats.HealthCheck; hc == nil || !strings.Contains(strings.Join(hc.Test, " "), ":8222/healthz") {
		t.Errorf("healthcheck %+v does not probe /healthz on the monitoring port", hc)
	}
}

// TestComposeBindMountsExist checks that every file or directory that the
// compose file mounts from deploy/ exists, and that a file is mounted as a
// file and a directory as a directory (Docker would otherwise create an
// empty directory in its place).
func TestComposeBindMountsExist(t *testing.T) {
	p := loadCompose(t)
	for _, name := range p.ServiceNames() {
		for _, v := range service(t, p, name).Volumes {
			if v.Type != types.VolumeTypeBind {
				continue
			}
			t.Run(name+":"+v.Target, func(t *testing.T) {
				fi, err := os.Stat(v.Source)
				if err != nil {
					t.Fatal(err)
				}
				if want := filepath.Ext(v.Target) == ""; fi.IsDir() != want {
					t.Errorf("%s is a directory: %t, but its target %s looks like one: %t", v.Source, fi.IsDir(), v.Target, want)
				}
				if !v.ReadOnly {
					t.Errorf("%s is mounted read-write; configuration is mounted :ro", v.Source)
				}
			})
		}
	}
}
