// Package helm_test checks the Helm chart nats-bridge without a cluster:
// it renders the chart with Helm's own engine (helm.sh/helm/v3, the code
// behind helm template and helm install) for several value sets, decodes
// every object strictly into its Go type (k8s.io/api, prometheus-operator's
// monitoring/v1, KEDA's v1alpha1: an unknown field fails), passes the
// rendered container environment through the bridge's own configuration
// loader, runs helm lint, and checks the alert rules (with promtool) and
// the dashboard against the files of the compose stack.
package helm_test

import (
	"bytes"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	kedav1alpha1 "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/releaseutil"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// update rewrites the generated files (the chart's README table of values
// and its copies of the alert rules and dashboard) instead of comparing
// them: make helm-update.
var update = flag.Bool("update", false, "rewrite the chart's generated README section and file copies")

// Paths, relative to deploy/helm (the directory of these tests).
const (
	chartDir      = "nats-bridge"
	valuesDir     = "testdata/values"
	alertsSource  = "../prometheus/alerts.yml"
	alertsTest    = "../prometheus/alerts_test.yml"
	alertsCopy    = chartDir + "/files/alerts.yml"
	dashboardSrc  = "../grafana/dashboards/bridge.json"
	dashboardCopy = chartDir + "/files/dashboards/bridge.json"
)

// The release every render uses.
const (
	releaseName = "orders"
	namespace   = "messaging"
)

// loadChart loads the chart directory once, as helm install does.
var loadChart = sync.OnceValues(func() (*chart.Chart, error) {
	return loader.Load(chartDir)
})

// valuesFile reads a value set of testdata/values.
func valuesFile(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(valuesDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// renderErr renders the chart with the given values (YAML, as a user's -f
// file) the way helm install does: the values are coalesced with the
// chart's and validated against values.schema.json, then every template is
// executed. It returns the rendered files by template path.
func renderErr(valuesYAML string) (map[string]string, error) {
	c, err := loadChart()
	if err != nil {
		return nil, err
	}
	vals, err := chartutil.ReadValues([]byte(valuesYAML))
	if err != nil {
		return nil, fmt.Errorf("values: %w", err)
	}
	top, err := chartutil.ToRenderValues(c, vals, chartutil.ReleaseOptions{
		Name: releaseName, Namespace: namespace, Revision: 1, IsInstall: true,
	}, chartutil.DefaultCapabilities)
	if err != nil {
		return nil, err
	}
	return engine.Render(c, top)
}

// rendered is the output of one render.
type rendered struct {
	objects []object
	notes   string
}

// object is one rendered Kubernetes object, decoded.
type object struct {
	file string // the template it comes from
	kind string
	meta *metav1.ObjectMeta
	obj  any // pointer to the Go type of kind
}

// render renders valuesYAML and decodes every object strictly, failing the
// test on any error.
func render(t *testing.T, valuesYAML string) rendered {
	t.Helper()
	files, err := renderErr(valuesYAML)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	var r rendered
	for _, file := range slices.Sorted(maps.Keys(files)) {
		content := files[file]
		switch {
		case strings.HasSuffix(file, "NOTES.txt"):
			r.notes = content
			continue
		case strings.HasPrefix(filepath.Base(file), "_"):
			continue
		}
		manifests := releaseutil.SplitManifests(content)
		for _, key := range slices.Sorted(maps.Keys(manifests)) {
			doc := manifests[key]
			if strings.TrimSpace(doc) == "" {
				continue
			}
			r.objects = append(r.objects, decode(t, file, doc))
		}
	}
	return r
}

// decode decodes one manifest into the Go type of its kind, strictly:
// unknown and duplicate fields are errors.
func decode(t *testing.T, file, doc string) object {
	t.Helper()
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
		t.Fatalf("%s: %v\n%s", file, err, doc)
	}
	var (
		obj  any
		meta *metav1.ObjectMeta
	)
	switch gvk := tm.APIVersion + " " + tm.Kind; gvk {
	case "v1 ConfigMap":
		o := &corev1.ConfigMap{}
		obj, meta = o, &o.ObjectMeta
	case "v1 Service":
		o := &corev1.Service{}
		obj, meta = o, &o.ObjectMeta
	case "v1 ServiceAccount":
		o := &corev1.ServiceAccount{}
		obj, meta = o, &o.ObjectMeta
	case "apps/v1 Deployment":
		o := &appsv1.Deployment{}
		obj, meta = o, &o.ObjectMeta
	case "policy/v1 PodDisruptionBudget":
		o := &policyv1.PodDisruptionBudget{}
		obj, meta = o, &o.ObjectMeta
	case "autoscaling/v2 HorizontalPodAutoscaler":
		o := &autoscalingv2.HorizontalPodAutoscaler{}
		obj, meta = o, &o.ObjectMeta
	case "monitoring.coreos.com/v1 ServiceMonitor":
		o := &monitoringv1.ServiceMonitor{}
		obj, meta = o, &o.ObjectMeta
	case "monitoring.coreos.com/v1 PodMonitor":
		o := &monitoringv1.PodMonitor{}
		obj, meta = o, &o.ObjectMeta
	case "monitoring.coreos.com/v1 PrometheusRule":
		o := &monitoringv1.PrometheusRule{}
		obj, meta = o, &o.ObjectMeta
	case "keda.sh/v1alpha1 ScaledObject":
		o := &kedav1alpha1.ScaledObject{}
		obj, meta = o, &o.ObjectMeta
	default:
		t.Fatalf("%s: unexpected kind %q; add its Go type to decode", file, gvk)
	}
	if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
		t.Fatalf("%s: %s does not decode strictly: %v\n%s", file, tm.Kind, err, doc)
	}
	return object{file: file, kind: tm.Kind, meta: meta, obj: obj}
}

// all returns the objects of type T.
func all[T any](r rendered) []*T {
	var out []*T
	for _, o := range r.objects {
		if v, ok := o.obj.(*T); ok {
			out = append(out, v)
		}
	}
	return out
}

// one returns the only object of type T, failing the test unless there is
// exactly one.
func one[T any](t *testing.T, r rendered) *T {
	t.Helper()
	objs := all[T](r)
	if len(objs) != 1 {
		var zero T
		t.Fatalf("%d objects of type %T, want 1", len(objs), zero)
	}
	return objs[0]
}

// none fails the test if r holds an object of type T.
func none[T any](t *testing.T, r rendered) {
	t.Helper()
	if objs := all[T](r); len(objs) > 0 {
		var zero T
		t.Errorf("%d objects of type %T, want none", len(objs), zero)
	}
}

// configMap returns the rendered ConfigMap named name, or nil.
func configMap(r rendered, name string) *corev1.ConfigMap {
	for _, cm := range all[corev1.ConfigMap](r) {
		if cm.Name == name {
			return cm
		}
	}
	return nil
}

// bridgeContainer returns the container of the bridge in the Deployment.
func bridgeContainer(t *testing.T, d *appsv1.Deployment) *corev1.Container {
	t.Helper()
	for i, c := range d.Spec.Template.Spec.Containers {
		if c.Name == "bridge" {
			return &d.Spec.Template.Spec.Containers[i]
		}
	}
	t.Fatalf("Deployment %s has no container named bridge", d.Name)
	return nil
}

// readFile returns the content of a file, failing the test on error.
func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// sameBytes reports a difference between two files' contents by the first
// line that differs.
func sameBytes(a, b []byte) (bool, string) {
	if bytes.Equal(a, b) {
		return true, ""
	}
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return false, fmt.Sprintf("line %d: %q vs %q", i+1, la[i], lb[i])
		}
	}
	return false, fmt.Sprintf("%d lines vs %d", len(la), len(lb))
}
