package helm_test

import (
	"strings"
	"testing"
)

// TestRenderErrors checks that values which would deploy something broken
// fail the render, with a message that says what to change.
func TestRenderErrors(t *testing.T) {
	minimal := valuesFile(t, "minimal.yaml")
	jsKEDA := valuesFile(t, "jetstream-keda.yaml")
	tests := []struct {
		name   string
		values string
		want   []string // in the error
	}{
		{
			name:   "HPA and KEDA",
			values: jsKEDA + "autoscaling: {enabled: true}\n",
			want:   []string{"autoscaling.enabled and keda.enabled are both true", "enable one of them"},
		},
		{
			name:   "KEDA to zero with a core route",
			values: strings.Replace(jsKEDA, "\nkeda:\n", "\n  - name: alerts\n    in: alerts.>\n    out: pager.>\nkeda:\n", 1),
			want:   []string{"keda.minReplicaCount is 0", `route "alerts" is a core NATS route`, "lost"},
		},
		{
			name: "KEDA idle at zero with a core route",
			values: minimal + `
keda:
  enabled: true
  idleReplicaCount: 0
  minReplicaCount: 2
  prometheus: {serverAddress: "http://prometheus:9090"}
`,
			want: []string{"keda.idleReplicaCount is 0", `route "orders-audit" is a core NATS route`},
		},
		{
			name:   "KEDA core route without Prometheus",
			values: minimal + "keda: {enabled: true}\n",
			want:   []string{"keda.prometheus.serverAddress", `"orders-audit"`},
		},
		{
			name:   "KEDA JetStream route without monitoring endpoint",
			values: strings.Replace(jsKEDA, "  monitoringEndpoint: nats.messaging.svc:8222\n", "", 1),
			want:   []string{`JetStream route "orders-enrich"`, "nats.monitoringEndpoint"},
		},
		{
			name:   "KEDA min above max",
			values: strings.Replace(jsKEDA, "minReplicaCount: 0", "minReplicaCount: 9", 1),
			want:   []string{"keda.minReplicaCount (9) is above keda.maxReplicaCount (8)"},
		},
		{
			name:   "KEDA idle not below min",
			values: strings.Replace(jsKEDA, "minReplicaCount: 0", "minReplicaCount: 2\n  idleReplicaCount: 2", 1),
			want:   []string{"keda.idleReplicaCount (2) must be below keda.minReplicaCount (2)"},
		},
		{
			name:   "HPA on CPU without a CPU request",
			values: minimal + "autoscaling: {enabled: true}\nresources: {requests: {cpu: null}}\n",
			want:   []string{"targetCPUUtilizationPercentage needs resources.requests.cpu"},
		},
		{
			name:   "HPA without a metric",
			values: minimal + "autoscaling: {enabled: true, targetCPUUtilizationPercentage: null}\n",
			want:   []string{"set targetCPUUtilizationPercentage, targetMemoryUtilizationPercentage or metrics"},
		},
		{
			name:   "HPA min above max",
			values: minimal + "autoscaling: {enabled: true, minReplicas: 4, maxReplicas: 3}\n",
			want:   []string{"autoscaling.minReplicas (4) is above autoscaling.maxReplicas (3)"},
		},
		{
			name:   "grace period not above the shutdown timeout",
			values: minimal + "shutdownTimeout: 1m\nterminationGracePeriodSeconds: 60\n",
			want:   []string{"terminationGracePeriodSeconds (60) must be above shutdownTimeout (1m)"},
		},
		{
			name:   "zero shutdown timeout",
			values: minimal + "shutdownTimeout: 0s\n",
			want:   []string{"shutdownTimeout must be positive"},
		},
		{
			name:   "ServiceMonitor and PodMonitor",
			values: minimal + "metrics: {serviceMonitor: {enabled: true}, podMonitor: {enabled: true}}\n",
			want:   []string{"both true", "scraped twice"},
		},
		{
			name:   "ServiceMonitor without Service",
			values: minimal + "metrics: {service: {enabled: false}, serviceMonitor: {enabled: true}}\n",
			want:   []string{"metrics.serviceMonitor.enabled needs metrics.service.enabled"},
		},
		{
			name:   "no NATS URL",
			values: "nats: {url: ''}\nroutes: [{in: a, out: b}]\n",
			want:   []string{"/nats/url"},
		},
		{
			name:   "no route",
			values: "routes: []\n",
			want:   []string{"routes"},
		},
		{
			name:   "unknown route key",
			values: "routes: [{in: a, out: b, maxdeliver: 3}]\n",
			want:   []string{"maxdeliver"},
		},
		{
			name:   "duplicate route name",
			values: "routes: [{name: a, in: a, out: b}, {name: a, in: c, out: d}]\n",
			want:   []string{`routes[1]: the name "a" is already used by routes[0]`},
		},
		{
			name:   "default route name taken",
			values: "routes: [{in: a, out: b}, {name: route0, in: c, out: d}]\n",
			want:   []string{`the name "route0" is already used`},
		},
		{
			name:   "unknown connection",
			values: "routes: [{in: a, out: b, outConn: edge}]\n",
			want:   []string{`routes[0].outConn: no connection is named "edge"`},
		},
		{
			name:   "user without password",
			values: "nats: {url: nats://n:4222, user: bridge}\n",
			want:   []string{"nats.user is set but nats.password.existingSecret is not"},
		},
		{
			name:   "token with user",
			values: "nats: {url: nats://n:4222, user: u, password: {existingSecret: s, key: p}, token: {existingSecret: s, key: t}}\n",
			want:   []string{"token cannot be combined with user"},
		},
		{
			name:   "nkey with creds",
			values: "nats: {url: nats://n:4222, nkey: {existingSecret: s, key: seed}, creds: {existingSecret: s, key: nats.creds}}\n",
			want:   []string{"nkey cannot be combined with creds"},
		},
		{
			name:   "TLS cert without key",
			values: "nats: {url: nats://n:4222, tls: {cert: {existingSecret: s, key: tls.crt}}}\n",
			want:   []string{"nats.tls: cert and key go together"},
		},
		{
			name:   "bad duration",
			values: "routes: [{in: a, out: b, timeout: 5 seconds}]\n",
			want:   []string{"timeout"},
		},
		{
			name:   "unknown top-level key",
			values: "replicas: 3\n",
			want:   []string{"replicas"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := renderErr(tt.values)
			if err == nil {
				t.Fatal("rendered; want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%v", w, err)
				}
			}
		})
	}
}
