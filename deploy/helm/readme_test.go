package helm_test

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/natsbridge/bridge/deploy/helm/chartdoc"
	"github.com/natsbridge/bridge/internal/config"
)

const (
	chartReadme     = chartDir + "/README.md"
	chartValuesFile = chartDir + "/values.yaml"
	chartSchema     = chartDir + "/values.schema.json"
	routeKeys       = chartDir + "/templates/_env.tpl"
)

// TestChartReadme checks that the README's table of values is the one
// generated from the comments of values.yaml (every value has one), and
// rewrites it with -update.
func TestChartReadme(t *testing.T) {
	values, err := chartdoc.Parse(readFile(t, chartValuesFile))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(readFile(t, chartReadme))
	want, err := chartdoc.Splice(readme, chartdoc.Table(values))
	if err != nil {
		t.Fatal(err)
	}
	if *update && want != readme {
		if err := os.WriteFile(chartReadme, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		readme = want
	}
	if readme != want {
		t.Errorf("the table of values in %s is stale: run make helm-update", chartReadme)
	}
}

// schema is the part of a JSON schema the tests walk.
type schema struct {
	Ref        string             `json:"$ref"`
	Type       any                `json:"type"`
	Properties map[string]*schema `json:"properties"`
	Items      *schema            `json:"items"`
	Defs       map[string]*schema `json:"definitions"`
}

func loadSchema(t *testing.T) *schema {
	t.Helper()
	var s schema
	if err := json.Unmarshal(readFile(t, chartSchema), &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

// resolve follows a local $ref.
func (s *schema) resolve(root *schema) *schema {
	for s != nil && s.Ref != "" {
		s = root.Defs[strings.TrimPrefix(s.Ref, "#/definitions/")]
	}
	return s
}

// TestSchemaMatchesValues checks that values.yaml and values.schema.json
// name the same keys: every key of values.yaml is in the schema (so the
// chart's own defaults validate key by key, not only as a whole), and every
// property of the schema's objects that values.yaml describes is in
// values.yaml (so nothing is accepted that is not documented). The items of
// routes and connections are documented in README.md (TestRouteKeys).
func TestSchemaMatchesValues(t *testing.T) {
	root := loadSchema(t)
	var doc yaml.Node
	if err := yaml.Unmarshal(readFile(t, chartValuesFile), &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(path string, n *yaml.Node, s *schema)
	walk = func(path string, n *yaml.Node, s *schema) {
		s = s.resolve(root)
		if n.Kind != yaml.MappingNode || s == nil || s.Properties == nil {
			return
		}
		inValues := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			inValues[key] = true
			sub, ok := s.Properties[key]
			if !ok {
				t.Errorf("%s%s is in values.yaml but not in the schema", path, key)
				continue
			}
			walk(path+key+".", n.Content[i+1], sub)
		}
		for key := range s.Properties {
			if !inValues[key] && path+key != "global" {
				t.Errorf("the schema has %s%s, values.yaml does not", path, key)
			}
		}
	}
	walk("", doc.Content[0], root)
}

// TestRouteKeys checks that the keys of a routes entry are the same in the
// schema, in the template that renders them (routeKeys of _env.tpl), and in
// the README's table, and that the template maps each to the variable the
// README names.
func TestRouteKeys(t *testing.T) {
	root := loadSchema(t)
	route := root.Properties["routes"].Items.resolve(root)
	var inSchema []string
	for k := range route.Properties {
		inSchema = append(inSchema, k)
	}
	slices.Sort(inSchema)

	tpl := string(readFile(t, routeKeys))
	_, def, ok := strings.Cut(tpl, `{{- define "nats-bridge.routeKeys" -}}`)
	if !ok {
		t.Fatalf("%s has no routeKeys", routeKeys)
	}
	def, _, _ = strings.Cut(def, "{{- end }}")
	inTemplate := map[string]string{}
	if err := yaml.Unmarshal([]byte(def), &inTemplate); err != nil {
		t.Fatal(err)
	}
	_, order, _ := strings.Cut(tpl, `{{- define "nats-bridge.routeKeyOrder" -}}`)
	order, _, _ = strings.Cut(order, "{{- end }}")
	if got, want := sortedWords(order), sortedKeys(inTemplate); !slices.Equal(got, want) {
		t.Errorf("routeKeyOrder %v, routeKeys %v", got, want)
	}

	row := regexp.MustCompile("(?m)^\\| `([A-Za-z]+)` \\| *(?:`([A-Z_]+)`)? *\\|")
	inReadme := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(string(readFile(t, chartReadme)), -1) {
		inReadme[m[1]] = m[2]
	}
	delete(inReadme, "Key")

	withKEDA := append(sortedKeys(inTemplate), "keda")
	slices.Sort(withKEDA)
	if !slices.Equal(inSchema, withKEDA) {
		t.Errorf("route keys: schema %v, template %v (+ keda)", inSchema, withKEDA)
	}
	if got := sortedKeys(inReadme); !slices.Equal(got, inSchema) {
		t.Errorf("route keys: README %v, schema %v", got, inSchema)
	}
	for k, suffix := range inTemplate {
		if inReadme[k] != suffix {
			t.Errorf("route key %s: README says %q, the template renders %q", k, inReadme[k], suffix)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func sortedWords(s string) []string {
	w := strings.Fields(s)
	slices.Sort(w)
	return w
}

// TestReadmeExample renders the values example of the repository's README
// ("Run on Kubernetes") and passes its environment through the loader, so
// that the example a user copies installs.
func TestReadmeExample(t *testing.T) {
	readme := string(readFile(t, "../../README.md"))
	_, rest, ok := strings.Cut(readme, "```yaml\n# orders.yaml\n")
	if !ok {
		t.Fatal("README.md has no ```yaml block starting with # orders.yaml")
	}
	example, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatal("the example of README.md does not end")
	}
	r := render(t, example)
	checkInvariants(t, r)
	cfg, err := config.Load(materialize(t, r, resolveEnv(t, r)).environ())
	if err != nil {
		t.Fatalf("config.Load rejects the README's example: %v", err)
	}
	checkLoaded(t, r, example, cfg)
	if cfg.NATS.Creds == "" {
		t.Error("the example's creds do not reach NATS_CREDS")
	}
}
