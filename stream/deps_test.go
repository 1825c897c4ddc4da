package stream_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestCoreDependencies keeps the core free of transports and exporters:
// stream and artifact may import only the standard library and each other.
func TestCoreDependencies(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}",
		"github.com/natsbridge/bridge/stream", "github.com/natsbridge/bridge/artifact").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		switch p {
		case "github.com/natsbridge/bridge/stream", "github.com/natsbridge/bridge/artifact":
		default:
			t.Errorf("core package depends on %s", p)
		}
	}
}
