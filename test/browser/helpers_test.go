package browser_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/natsbridge/bridge/internal/natstest"
)

// bridgeProc is a running bridge binary.
type bridgeProc struct {
	cmd    *exec.Cmd
	log    *natstest.Output
	exited chan struct{}
	err    error // what Wait returned; set before exited is closed
	base   string
}

var addrRE = regexp.MustCompile(`msg="serving /metrics, /healthz and /readyz" addr=(\S+)`)

// httpClient keeps no idle connections, so no goroutine outlives a test.
var httpClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}

// startBridge runs the bridge with env plus a metrics server on a free
// port, and waits until it is ready. It is killed when the test ends.
func startBridge(t *testing.T, env ...string) *bridgeProc {
	t.Helper()
	cmd := exec.Command(bridgeBin)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "BRIDGE_METRICS_ADDR=127.0.0.1:0"}, env...)
	p := &bridgeProc{cmd: cmd, log: &natstest.Output{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("bridge log:\n%s", p.log.String())
		}
	})
	natstest.WaitFor(t, 20*time.Second, func() error {
		select {
		case <-p.exited:
			t.Fatalf("bridge exited: %v\n%s", p.err, p.log.String())
		default:
		}
		m := addrRE.FindStringSubmatch(p.log.String())
		if m == nil {
			return fmt.Errorf("%w: no HTTP address logged yet", natstest.ErrTest)
		}
		p.base = "http://" + m[1]
		resp, err := httpClient.Get(p.base + "/readyz")
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%w: /readyz %d", natstest.ErrTest, resp.StatusCode)
		}
		return nil
	})
	return p
}

// chromium returns the path of the browser. Without one the test skips,
// or fails under CI=true, where .ci/run installs it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium on PATH (.ci/run installs Debian's chromium package)")
	}
	t.Skip("no chromium on PATH: apt-get install --no-install-recommends chromium")
	return ""
}

// newBrowser starts headless Chromium with a fresh profile and returns the
// context of its first tab. The browser is closed when the test ends.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 720),
		chromedp.DisableGPU,
		// Root in a container has no user namespace for the sandbox.
		chromedp.NoSandbox,
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc() // waits for the browser to exit
	})
	return ctx
}

// eval evaluates expr in the tab and decodes its result into T.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}
