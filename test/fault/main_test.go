package fault_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"
)

// bridgeBin is the bridge binary built by TestMain.
var bridgeBin string

// TestMain builds ./cmd/bridge once (or takes the binary FAULT_BRIDGE
// names), so that every test can run, kill and restart it as a separate
// process, and checks for leaked goroutines.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "fault-bridge-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "fault:", err)
		os.Exit(1)
	}
	bridgeBin = filepath.Join(dir, "bridge")
	if prebuilt := os.Getenv("FAULT_BRIDGE"); prebuilt != "" {
		// A binary built elsewhere, from another branch say.
		bridgeBin = prebuilt
	} else {
		// In the root module, whose go.sum covers the binary's
		// dependencies; this module's covers only what its tests import.
		build := exec.Command("go", "build", "-o", bridgeBin, "./cmd/bridge")
		build.Dir = filepath.Join("..", "..")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "fault: building the bridge (these tests need go on PATH):", err)
			_ = os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	// toxiproxy's toxics log through zerolog's global logger.
	zerolog.SetGlobalLevel(zerolog.Disabled)
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
		// toxiproxy (v2.12.0) leaves a link's first stage blocked for good
		// on a send when the link's writer gave up (its peer had closed)
		// while data was still coming in; and the reader feeding it.
		goleak.IgnoreTopFunction("github.com/Shopify/toxiproxy/v2/toxics.(*NoopToxic).Pipe"),
		goleak.IgnoreAnyFunction("github.com/Shopify/toxiproxy/v2.(*ToxicLink).read"),
	)
}
