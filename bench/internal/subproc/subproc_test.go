package subproc_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/natsbridge/bridge/bench/internal/subproc"
)

func TestTail(t *testing.T) {
	tail := subproc.NewTail(10)
	for i := range 5 {
		fmt.Fprintf(tail, "line%d\n", i)
	}
	if got := tail.String(); got != "ne3\nline4" {
		t.Errorf("tail = %q, want the last 10 bytes trimmed", got)
	}
}

// TestServer builds and runs natsserver: slow-ish (a go build), so skipped
// with -short.
func TestServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds natsserver")
	}
	root, err := subproc.ModuleRoot(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	bins, err := subproc.Build(t.Context(), root, t.TempDir(), "./bench/natsserver")
	if err != nil {
		t.Fatal(err)
	}
	s, err := subproc.StartServer(t.Context(), bins[0], "-js", "-store", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.URL, "nats://127.0.0.1:") {
		t.Errorf("URL = %q", s.URL)
	}
	if _, err := s.Varz(t.Context()); err != nil {
		t.Errorf("Varz: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Error(err)
	}
}
