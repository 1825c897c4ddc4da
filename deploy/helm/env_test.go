package helm_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// The environment of the bridge container as the kubelet builds it, from
// the rendered objects and, for what lives outside the chart (existing
// Secrets, ConfigMaps of values envFrom, the downward API), from fakes.

// externalConfigMaps stand in for ConfigMaps that values refer to.
var externalConfigMaps = map[string]map[string]string{
	"bridge-extra": {"OTEL_SERVICE_NAME": "orders-bridge"},
}

// fakeSecret is the content the tests give key of an existing Secret.
func fakeSecret(secret, key string) string { return "s3cret-" + secret + "-" + key }

// pathVarRE matches the variables whose value is the path of a file the
// bridge reads: credential files, and the *_FILE variants of secrets.
var pathVarRE = regexp.MustCompile(`^(NATS_|BRIDGE_CONN_[0-9]+_)(CREDS|NKEY|TLS_CA|TLS_CERT|TLS_KEY|PASSWORD_FILE|TOKEN_FILE)$`)

// containerEnv is the environment of the bridge container, by name.
type containerEnv map[string]string

// environ returns env as KEY=value strings, sorted, for config.Load.
func (env containerEnv) environ() []string {
	var out []string
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

// resolveEnv builds the container's environment: envFrom sources in order
// (a later one wins), then env entries (which win over envFrom). It fails
// the test on a reference it cannot resolve.
//
// The kubelet expands $(VAR) in env values but not in envFrom: route
// settings (jq programs, subject mappings) are in the chart's ConfigMap,
// read by envFrom, so they reach the bridge unchanged.
func resolveEnv(t *testing.T, r rendered) containerEnv {
	t.Helper()
	d := one[appsv1.Deployment](t, r)
	c := bridgeContainer(t, d)
	env := containerEnv{}
	for _, from := range c.EnvFrom {
		switch {
		case from.ConfigMapRef != nil:
			var data map[string]string
			if cm := configMap(r, from.ConfigMapRef.Name); cm != nil {
				data = cm.Data
			} else if ext, ok := externalConfigMaps[from.ConfigMapRef.Name]; ok {
				data = ext
			} else {
				t.Fatalf("envFrom: ConfigMap %s is neither rendered nor a known external one", from.ConfigMapRef.Name)
			}
			for k, v := range data {
				env[from.Prefix+k] = v
			}
		default:
			t.Fatalf("envFrom %+v: the tests resolve only ConfigMaps", from)
		}
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			env[e.Name] = fakeSecret(ref.Name, ref.Key)
		case e.ValueFrom.ResourceFieldRef != nil:
			env[e.Name] = "536870912"
		case e.ValueFrom.FieldRef != nil:
			env[e.Name] = "field-" + e.ValueFrom.FieldRef.FieldPath
		default:
			t.Fatalf("env %s: unsupported source %+v", e.Name, e.ValueFrom)
		}
	}
	return env
}

// materialize gives every path variable of env a real file: it finds the
// volume mount that covers the path, the projected Secret item at that
// place in the volume, and writes the item's fake content under a temporary
// root, pointing the variable there. A path that no mounted Secret key
// provides fails the test: the bridge would not find its file.
func materialize(t *testing.T, r rendered, env containerEnv) containerEnv {
	t.Helper()
	d := one[appsv1.Deployment](t, r)
	c := bridgeContainer(t, d)
	root := t.TempDir()
	out := containerEnv{}
	for k, v := range env {
		out[k] = v
		if !pathVarRE.MatchString(k) {
			continue
		}
		content, ok := mountedSecret(&d.Spec.Template.Spec, c, v)
		if !ok {
			t.Errorf("%s=%s: no mounted Secret key provides this file", k, v)
			continue
		}
		file := filepath.Join(root, filepath.FromSlash(v))
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(content+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		out[k] = file
	}
	return out
}

// mountedSecret returns the fake content of the Secret key the container
// sees at path, if a read-only mount of a projected volume provides one.
func mountedSecret(pod *corev1.PodSpec, c *corev1.Container, path string) (string, bool) {
	for _, m := range c.VolumeMounts {
		rel, ok := strings.CutPrefix(path, strings.TrimSuffix(m.MountPath, "/")+"/")
		if !ok || !m.ReadOnly {
			continue
		}
		for _, v := range pod.Volumes {
			if v.Name != m.Name || v.Projected == nil {
				continue
			}
			for _, src := range v.Projected.Sources {
				if src.Secret == nil {
					continue
				}
				for _, item := range src.Secret.Items {
					if item.Path == rel {
						return fakeSecret(src.Secret.Name, item.Key), true
					}
				}
			}
		}
	}
	return "", false
}
