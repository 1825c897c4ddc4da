package fault_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
)

// bridgeBin is the bridge binary built by TestMain.
var bridgeBin string

// TestMain builds ./cmd/bridge once, so that every test can run, kill and
// restart it as a separate process, and checks for leaked goroutines.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "fault-bridge-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "fault:", err)
		os.Exit(1)
	}
	bridgeBin = filepath.Join(dir, "bridge")
	// In the root module, whose go.sum covers the binary's dependencies;
	// this module's covers only what its tests import.
	build := exec.Command("go", "build", "-o", bridgeBin, "./cmd/bridge")
	build.Dir = filepath.Join("..", "..")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "fault: building the bridge (these tests need go on PATH):", err)
		_ = os.RemoveAll(dir)
		os.Exit(1)
	}
	goleak.VerifyTestMain(m,
		// The cleanup takes the place of goleak's os.Exit: it must exit
		// with the code, or a leak would not fail the run.
		goleak.Cleanup(func(code int) {
			_ = os.RemoveAll(dir)
			os.Exit(code)
		}),
		// nats-server keeps a few process-wide goroutines once started.
		goleak.IgnoreTopFunction("github.com/nats-io/nats-server/v2/server.(*Server).startGoroutine.func1"),
		goleak.IgnoreAnyFunction("github.com/nats-io/nats-server/v2/server.(*stree).startFlushLoop"),
	)
}
