package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// peer is a program of bench/peers: its binary, or why there is none.
type peer struct {
	bin string
	err error
}

// peerModules are the peers' directories, relative to the module root:
// each a Go module of its own, with the requirements its peer's release
// has, so that neither Bento's nor Watermill's dependencies are in the
// library's module graph, in `make test`, or in each other's build.
var peerModules = map[system]string{sysBento: "bench/peers/bento", sysWatermill: "bench/peers/watermill"}

// buildPeers builds the peers the selected scenarios run, each on its own:
// one that fails to build (offline, say) is reported and its runs are
// skipped, and the others run.
func buildPeers(ctx context.Context, root, dir string, selected []scenario, stderr io.Writer) map[system]peer {
	peers := map[system]peer{}
	for _, s := range selected {
		for _, c := range s.contenders {
			if _, done := peers[c.sys]; done || !c.sys.isPeer() {
				continue
			}
			mod := peerModules[c.sys]
			fmt.Fprintf(stderr, "bench: building %s (the first build of Bento takes a few minutes)\n", mod)
			start := time.Now()
			bin, err := buildModule(ctx, filepath.Join(root, mod), dir)
			if err != nil {
				fmt.Fprintf(stderr, "bench: %s unavailable: %v\n", mod, err)
				peers[c.sys] = peer{err: err}
				continue
			}
			fmt.Fprintf(stderr, "bench: built %s in %v\n", mod, time.Since(start).Round(time.Second))
			peers[c.sys] = peer{bin: bin}
		}
	}
	return peers
}

// buildModule builds the main package at the root of the module in
// modDir into dir, named after modDir, as subproc.Build builds the others
// (no cgo, -trimpath): `go build -C modDir -o dir/name .`.
func buildModule(ctx context.Context, modDir, dir string) (string, error) {
	bin := filepath.Join(dir, filepath.Base(modDir))
	cmd := exec.CommandContext(ctx, "go", "build", "-C", modDir, "-trimpath", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build -C %s: %w: %s", filepath.Base(modDir), err, lastLines(string(out), 6))
	}
	return bin, nil
}

// lastLines returns the last n lines of s, on one line: the end of a
// compiler's output says what went wrong.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = append([]string{lines[0], "…"}, lines[len(lines)-n+1:]...)
	}
	return strings.Join(lines, " ")
}
