package main_test

import (
	"bytes"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/natsbridge/bridge/internal/routetest"
)

// TestExampleRouteTests runs the example of the README, the route tests of
// examples/routes_test.yaml on the routes of examples/routes.env, as a
// user's CI would: the env file sourced by sh, then the built binary.
func TestExampleRouteTests(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), sh, "-c",
		`set -a; . examples/routes.env; set +a; exec "$0" test examples/routes_test.yaml`, bridgeBin)
	cmd.Dir = "../.."
	cmd.Env = []string{} // the env file's variables only
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, &stdout, &stderr)
	}
	if want := "PASS: 8 tests (1 file)\n"; stdout.String() != want || stderr.Len() > 0 {
		t.Fatalf("stdout %q, want %q; stderr:\n%s", &stdout, want, &stderr)
	}
}

// TestREADMERouteTests checks that the tests the README shows are those of
// examples/routes_test.yaml, which TestExampleRouteTests runs.
func TestREADMERouteTests(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(readme), "\n## Testing route programs\n")
	_, block, _ := strings.Cut(section, "```yaml\n")
	block, _, _ = strings.Cut(block, "```\n")
	shown, err := routetest.Parse("README.md", []byte(block))
	if err != nil || len(shown) == 0 {
		t.Fatalf("the README's example: %v", err)
	}
	file, err := os.ReadFile("../../examples/routes_test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	run, err := routetest.Parse("routes_test.yaml", file)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]routetest.Case{}
	for _, c := range run {
		c.Line = 0
		byName[c.Name] = c
	}
	for _, c := range shown {
		c.Line = 0
		if want, ok := byName[c.Name]; !ok || !reflect.DeepEqual(c, want) {
			t.Errorf("the README's test %q is not the one of examples/routes_test.yaml:\n%+v\n%+v", c.Name, c, want)
		}
	}
}
