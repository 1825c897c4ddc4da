package subjectmap_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestStandardLibraryOnly keeps the NATS server out of the graph of every
// program that embeds the bridge: outside its tests, subjectmap imports
// only the standard library.
func TestStandardLibraryOnly(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	const self = "github.com/natsbridge/bridge/internal/subjectmap"
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", self).CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if p != self {
			t.Errorf("subjectmap depends on %s", p)
		}
	}
}
