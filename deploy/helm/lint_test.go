package helm_test

import (
	"testing"

	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/lint"
)

// TestLint runs helm lint's rules (the code of helm lint) on the chart with
// its defaults and with every value set: no message of any severity.
func TestLint(t *testing.T) {
	sets := append([]string{""}, valueSets...)
	for _, name := range sets {
		t.Run(cmpOr(name, "chart defaults"), func(t *testing.T) {
			vals := map[string]any{}
			if name != "" {
				v, err := chartutil.ReadValues([]byte(valuesFile(t, name)))
				if err != nil {
					t.Fatal(err)
				}
				vals = v
			}
			linter := lint.All(chartDir, vals, namespace, false)
			for _, m := range linter.Messages {
				t.Errorf("helm lint: %s", m)
			}
		})
	}
}
