package helm_test

import (
	"fmt"
	"maps"
	"strconv"
	"strings"
	"testing"

	kedav1alpha1 "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
)

// valueSets are the value sets of testdata/values that render. Those the
// loader of this branch accepts are listed in loaderSets (loader_test.go).
var valueSets = []string{
	"minimal.yaml",
	"everything.yaml",
	"jetstream-keda.yaml",
	"core-hpa.yaml",
	"new-message-stage.yaml",
	"new-connections.yaml",
	"new-secret-files.yaml",
}

// TestRender renders every value set, decodes every object strictly (in
// render) and checks what must hold whatever the values: names, labels,
// selectors that match, the security context, probes, and the autoscaler
// and disruption budget that go with the replica count.
func TestRender(t *testing.T) {
	for _, name := range valueSets {
		t.Run(name, func(t *testing.T) {
			r := render(t, valuesFile(t, name))
			checkInvariants(t, r)
		})
	}
	t.Run("chart defaults", func(t *testing.T) {
		r := render(t, "")
		checkInvariants(t, r)
		env := configMap(r, releaseName+"-nats-bridge-env")
		if env == nil {
			t.Fatal("no env ConfigMap")
		}
		if got := env.Data["BRIDGE_ROUTE_0_NAME"]; got != "demo" {
			t.Errorf("default route %q, want the bridge's demo route", got)
		}
	})
}

// standardLabels are the labels every object carries.
var standardLabels = []string{
	"app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version",
	"app.kubernetes.io/component", "app.kubernetes.io/part-of", "app.kubernetes.io/managed-by",
	"helm.sh/chart",
}

func checkInvariants(t *testing.T, r rendered) {
	t.Helper()
	if len(r.objects) == 0 {
		t.Fatal("nothing rendered")
	}
	if strings.TrimSpace(r.notes) == "" {
		t.Error("NOTES.txt rendered nothing")
	}
	seen := map[string]bool{}
	for _, o := range r.objects {
		key := o.kind + "/" + o.meta.Name
		id := key + " (" + o.file + ")"
		if seen[key] {
			t.Errorf("%s: rendered twice", id)
		}
		seen[key] = true
		for _, msg := range validation.IsDNS1123Subdomain(o.meta.Name) {
			t.Errorf("%s: name: %s", id, msg)
		}
		if o.meta.Namespace == "" {
			t.Errorf("%s: no namespace", id)
		}
		for _, l := range standardLabels {
			if o.meta.Labels[l] == "" {
				t.Errorf("%s: no label %s", id, l)
			}
		}
		checkLabels(t, id, o.meta.Labels)
	}

	d := one[appsv1.Deployment](t, r)
	pod := d.Spec.Template
	checkLabels(t, "pod template", pod.Labels)
	sel, err := metaSelector(d.Spec.Selector.MatchLabels)
	if err != nil {
		t.Fatal(err)
	}
	if !sel.Matches(labels.Set(pod.Labels)) {
		t.Errorf("Deployment selector %v does not match its pods' labels %v", d.Spec.Selector.MatchLabels, pod.Labels)
	}
	if pod.Annotations["checksum/config"] == "" {
		t.Error("pods have no checksum/config annotation")
	}
	c := bridgeContainer(t, d)
	checkSecurity(t, &pod.Spec, c)
	checkProbes(t, c)
	port := containerPort(t, c, "metrics")

	// The env ConfigMap the container reads exists.
	if c.EnvFrom[0].ConfigMapRef == nil || configMap(r, c.EnvFrom[0].ConfigMapRef.Name) == nil {
		t.Errorf("the first envFrom of the container is not the chart's ConfigMap: %+v", c.EnvFrom[0])
	}

	for _, svc := range all[corev1.Service](r) {
		if !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(pod.Labels)) {
			t.Errorf("Service %s selects %v, not the pods (%v)", svc.Name, svc.Spec.Selector, pod.Labels)
		}
		for _, p := range svc.Spec.Ports {
			if p.TargetPort.String() != "metrics" || p.Port != port {
				t.Errorf("Service %s port %+v, want %d to the container port named metrics", svc.Name, p, port)
			}
		}
	}
	for _, sm := range all[monitoringv1.ServiceMonitor](r) {
		checkServiceMonitor(t, r, sm)
	}
	for _, pm := range all[monitoringv1.PodMonitor](r) {
		checkPodMonitor(t, pod, c, pm)
	}

	hpas := all[autoscalingv2.HorizontalPodAutoscaler](r)
	scaled := all[kedav1alpha1.ScaledObject](r)
	maxReplicas := int32(1)
	switch {
	case len(hpas)+len(scaled) > 1:
		t.Fatalf("%d HPAs and %d ScaledObjects, want at most one autoscaler", len(hpas), len(scaled))
	case len(hpas) == 1:
		h := hpas[0].Spec
		if ref := h.ScaleTargetRef; ref.Kind != "Deployment" || ref.Name != d.Name || ref.APIVersion != "apps/v1" {
			t.Errorf("HPA scales %+v, want the Deployment %s", ref, d.Name)
		}
		maxReplicas = h.MaxReplicas
	case len(scaled) == 1:
		s := scaled[0].Spec
		if ref := s.ScaleTargetRef; ref == nil || ref.Kind != "Deployment" || ref.Name != d.Name || ref.APIVersion != "apps/v1" {
			t.Errorf("ScaledObject scales %+v, want the Deployment %s", ref, d.Name)
		}
		if len(s.Triggers) == 0 {
			t.Error("ScaledObject has no trigger")
		}
		maxReplicas = *s.MaxReplicaCount
	default:
		if d.Spec.Replicas == nil {
			t.Fatal("Deployment has no replicas and no autoscaler")
		}
		maxReplicas = *d.Spec.Replicas
	}
	if autoscaled := len(hpas)+len(scaled) > 0; autoscaled != (d.Spec.Replicas == nil) {
		t.Errorf("autoscaled %v, but Deployment replicas %v: with an autoscaler the chart must leave them to it", autoscaled, d.Spec.Replicas)
	}

	pdbs := all[policyv1.PodDisruptionBudget](r)
	switch {
	case maxReplicas > 1 && len(pdbs) != 1:
		t.Errorf("up to %d replicas but %d PodDisruptionBudgets, want 1", maxReplicas, len(pdbs))
	case maxReplicas <= 1 && len(pdbs) != 0:
		t.Errorf("at most %d replica but %d PodDisruptionBudgets, want none", maxReplicas, len(pdbs))
	}
	for _, pdb := range pdbs {
		if pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.IntValue() != 1 {
			t.Errorf("PDB maxUnavailable %v, want 1", pdb.Spec.MaxUnavailable)
		}
		sel, err := metaSelector(pdb.Spec.Selector.MatchLabels)
		if err != nil || !sel.Matches(labels.Set(pod.Labels)) {
			t.Errorf("PDB selector %v does not match the pods: %v", pdb.Spec.Selector, err)
		}
	}
}

func metaSelector(m map[string]string) (labels.Selector, error) {
	if len(m) == 0 {
		return nil, fmt.Errorf("empty selector")
	}
	return labels.SelectorFromSet(m), nil
}

// checkLabels checks label keys and values the way the API server does.
func checkLabels(t *testing.T, where string, l map[string]string) {
	t.Helper()
	for k, v := range l {
		for _, msg := range validation.IsQualifiedName(k) {
			t.Errorf("%s: label key %q: %s", where, k, msg)
		}
		for _, msg := range validation.IsValidLabelValue(v) {
			t.Errorf("%s: label %s value %q: %s", where, k, v, msg)
		}
	}
}

// checkSecurity checks the strict security context: non-root, read-only
// root filesystem, no privilege escalation, every capability dropped,
// RuntimeDefault seccomp, and no API token.
func checkSecurity(t *testing.T, pod *corev1.PodSpec, c *corev1.Container) {
	t.Helper()
	psc, sc := pod.SecurityContext, c.SecurityContext
	if psc == nil || sc == nil {
		t.Fatalf("security contexts: pod %v, container %v", psc, sc)
	}
	isTrue := func(b *bool) bool { return b != nil && *b }
	isFalse := func(b *bool) bool { return b != nil && !*b }
	if !isTrue(psc.RunAsNonRoot) || !isTrue(sc.RunAsNonRoot) {
		t.Error("runAsNonRoot is not true")
	}
	if psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		t.Errorf("runAsUser %v, want a non-zero user", psc.RunAsUser)
	}
	if psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("seccompProfile %v, want RuntimeDefault", psc.SeccompProfile)
	}
	if !isTrue(sc.ReadOnlyRootFilesystem) {
		t.Error("readOnlyRootFilesystem is not true")
	}
	if !isFalse(sc.AllowPrivilegeEscalation) {
		t.Error("allowPrivilegeEscalation is not false")
	}
	if sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" || len(sc.Capabilities.Add) != 0 {
		t.Errorf("capabilities %+v, want drop ALL and add none", sc.Capabilities)
	}
	if !isFalse(pod.AutomountServiceAccountToken) {
		t.Error("automountServiceAccountToken is not false")
	}
	// Mounted Secrets must be readable by the non-root user: through the
	// pod's fsGroup and group-read permission.
	for _, v := range pod.Volumes {
		if v.Projected == nil {
			continue
		}
		if psc.FSGroup == nil {
			t.Errorf("volume %s holds Secrets but the pod has no fsGroup to read them", v.Name)
		}
		if v.Projected.DefaultMode == nil || *v.Projected.DefaultMode&0o040 == 0 || *v.Projected.DefaultMode&0o007 != 0 {
			t.Errorf("volume %s: defaultMode %o, want group-readable and nothing for others", v.Name, v.Projected.DefaultMode)
		}
	}
}

// checkProbes checks the three probes: liveness and startup on /healthz
// (the process alone), readiness on /readyz (NATS and routes), all on the
// metrics port.
func checkProbes(t *testing.T, c *corev1.Container) {
	t.Helper()
	for _, p := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{
		{"startup", c.StartupProbe, "/healthz"},
		{"liveness", c.LivenessProbe, "/healthz"},
		{"readiness", c.ReadinessProbe, "/readyz"},
	} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("%s probe: %+v, want an HTTP GET", p.name, p.probe)
			continue
		}
		if g := p.probe.HTTPGet; g.Path != p.path || g.Port.String() != "metrics" {
			t.Errorf("%s probe: GET %s on port %s, want %s on the port named metrics", p.name, g.Path, g.Port.String(), p.path)
		}
	}
}

// containerPort returns the number of the container's port called name.
func containerPort(t *testing.T, c *corev1.Container, name string) int32 {
	t.Helper()
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	t.Fatalf("container %s has no port named %s", c.Name, name)
	return 0
}

// checkServiceMonitor checks that a ServiceMonitor selects the metrics
// Service in the release's namespace, on its port, and labels the targets
// job="bridge", the job of the alert rules and the dashboard.
func checkServiceMonitor(t *testing.T, r rendered, sm *monitoringv1.ServiceMonitor) {
	t.Helper()
	var found *corev1.Service
	for _, svc := range all[corev1.Service](r) {
		if labels.SelectorFromSet(sm.Spec.Selector.MatchLabels).Matches(labels.Set(svc.Labels)) {
			found = svc
		}
	}
	if found == nil {
		t.Fatalf("ServiceMonitor %s selects no rendered Service (selector %v)", sm.Name, sm.Spec.Selector.MatchLabels)
	}
	if got := sm.Spec.NamespaceSelector.MatchNames; len(got) != 1 || got[0] != found.Namespace {
		t.Errorf("ServiceMonitor namespaces %v, want [%s]", got, found.Namespace)
	}
	if len(sm.Spec.Endpoints) != 1 {
		t.Fatalf("ServiceMonitor has %d endpoints, want 1", len(sm.Spec.Endpoints))
	}
	ep := sm.Spec.Endpoints[0]
	if ep.Port != found.Spec.Ports[0].Name || ep.Path != "/metrics" {
		t.Errorf("ServiceMonitor scrapes port %q path %q, want %q /metrics", ep.Port, ep.Path, found.Spec.Ports[0].Name)
	}
	checkJobRelabel(t, "ServiceMonitor", ep.RelabelConfigs)
	checkInstanceLabel(t, "ServiceMonitor", sm.Spec.PodTargetLabels)
}

func checkPodMonitor(t *testing.T, pod corev1.PodTemplateSpec, c *corev1.Container, pm *monitoringv1.PodMonitor) {
	t.Helper()
	if !labels.SelectorFromSet(pm.Spec.Selector.MatchLabels).Matches(labels.Set(pod.Labels)) {
		t.Errorf("PodMonitor selects %v, not the pods (%v)", pm.Spec.Selector.MatchLabels, pod.Labels)
	}
	if len(pm.Spec.PodMetricsEndpoints) != 1 {
		t.Fatalf("PodMonitor has %d endpoints, want 1", len(pm.Spec.PodMetricsEndpoints))
	}
	ep := pm.Spec.PodMetricsEndpoints[0]
	if ep.Port == nil {
		t.Fatal("PodMonitor endpoint has no port")
	}
	containerPort(t, c, *ep.Port)
	checkJobRelabel(t, "PodMonitor", ep.RelabelConfigs)
	checkInstanceLabel(t, "PodMonitor", pm.Spec.PodTargetLabels)
}

// checkInstanceLabel checks that the targets carry the release
// (app_kubernetes_io_instance), which the KEDA triggers of core routes
// select by default.
func checkInstanceLabel(t *testing.T, kind string, podTargetLabels []string) {
	t.Helper()
	for _, l := range podTargetLabels {
		if l == "app.kubernetes.io/instance" {
			return
		}
	}
	t.Errorf("%s: podTargetLabels %v, want app.kubernetes.io/instance", kind, podTargetLabels)
}

// checkJobRelabel checks that the first relabeling sets job to the job
// the alert rules select (see TestPrometheusRule).
func checkJobRelabel(t *testing.T, kind string, rc []monitoringv1.RelabelConfig) {
	t.Helper()
	if len(rc) == 0 || rc[0].TargetLabel != "job" || rc[0].Replacement == nil || *rc[0].Replacement != alertJob || len(rc[0].SourceLabels) != 0 {
		t.Errorf("%s: first relabeling %+v, want job set to %q", kind, rc, alertJob)
	}
}

// TestChecksumRollsPods checks that the pods' checksum annotation follows
// the configuration: the same values give the same checksum, a changed
// route another.
func TestChecksumRollsPods(t *testing.T) {
	checksum := func(values string) string {
		d := one[appsv1.Deployment](t, render(t, values))
		return d.Spec.Template.Annotations["checksum/config"]
	}
	base := valuesFile(t, "minimal.yaml")
	a, b := checksum(base), checksum(base)
	if a != b {
		t.Errorf("same values, checksums %s and %s", a, b)
	}
	changed := strings.Replace(base, "audit.orders.", "audit.v2.orders.", 1)
	if changed == base {
		t.Fatal("test values did not change")
	}
	if c := checksum(changed); c == a {
		t.Errorf("a changed route keeps the checksum %s: pods would not roll", c)
	}
	// A change outside the configuration (replicas) keeps it.
	if c := checksum(base + "replicaCount: 2\n"); c != a {
		t.Errorf("replicaCount changed the config checksum (%s to %s)", a, c)
	}
}

// TestGracePeriod checks that terminationGracePeriodSeconds exceeds
// shutdownTimeout by the chart's margin for durations in every unit Go
// accepts, against time.ParseDuration (via the loader in loader_test.go
// for the value sets; here the template's own arithmetic).
func TestGracePeriod(t *testing.T) {
	tests := []struct {
		timeout string
		want    int64 // seconds: ceil(timeout) + 15
	}{
		{"30s", 45},
		{"1m30s", 105},
		{"1.5h", 5415},
		{"500ms", 16},
		{"2m0.5s", 136},
		{"90000000000ns", 105},
		{"1h1m1s", 3676},
		{"2500us", 16},
	}
	for _, tt := range tests {
		t.Run(tt.timeout, func(t *testing.T) {
			r := render(t, valuesFile(t, "minimal.yaml")+"shutdownTimeout: "+strconv.Quote(tt.timeout)+"\n")
			d := one[appsv1.Deployment](t, r)
			got := d.Spec.Template.Spec.TerminationGracePeriodSeconds
			if got == nil || *got != tt.want {
				t.Errorf("terminationGracePeriodSeconds %v, want %d", got, tt.want)
			}
		})
	}
	t.Run("explicit", func(t *testing.T) {
		r := render(t, valuesFile(t, "minimal.yaml")+"terminationGracePeriodSeconds: 31\n")
		if got := one[appsv1.Deployment](t, r).Spec.Template.Spec.TerminationGracePeriodSeconds; got == nil || *got != 31 {
			t.Errorf("terminationGracePeriodSeconds %v, want 31", got)
		}
	})
}

// TestTopologySpread checks that a spread constraint without labelSelector
// gets the pods' selector labels, and one with it keeps its own.
func TestTopologySpread(t *testing.T) {
	r := render(t, valuesFile(t, "minimal.yaml")+`
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: DoNotSchedule
  - maxSkew: 2
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels: {tier: messaging}
`)
	d := one[appsv1.Deployment](t, r)
	tsc := d.Spec.Template.Spec.TopologySpreadConstraints
	if len(tsc) != 2 {
		t.Fatalf("%d constraints, want 2", len(tsc))
	}
	if got := tsc[0].LabelSelector; got == nil || !maps.Equal(got.MatchLabels, d.Spec.Selector.MatchLabels) {
		t.Errorf("first constraint selects %v, want the pods' selector %v", got, d.Spec.Selector.MatchLabels)
	}
	if got := tsc[1].LabelSelector; got == nil || got.MatchLabels["tier"] != "messaging" || len(got.MatchLabels) != 1 {
		t.Errorf("second constraint selects %v, want its own tier=messaging", got)
	}
}

// TestPodMonitor checks the PodMonitor toggle (exclusive with the
// ServiceMonitor, so not in everything.yaml) and that the metrics Service
// can then be left out.
func TestPodMonitor(t *testing.T) {
	r := render(t, valuesFile(t, "minimal.yaml")+`
metrics:
  service:
    enabled: false
  podMonitor:
    enabled: true
    labels: {release: kube-prometheus-stack}
`)
	checkInvariants(t, r)
	pm := one[monitoringv1.PodMonitor](t, r)
	if pm.Labels["release"] != "kube-prometheus-stack" {
		t.Errorf("PodMonitor labels %v, want release from values", pm.Labels)
	}
	none[corev1.Service](t, r)
	none[monitoringv1.ServiceMonitor](t, r)
}
