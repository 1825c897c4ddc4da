package streamtest

import (
	"testing/synctest"
	"time"

	"github.com/natsbridge/bridge/artifact"
)

// drain receives from out and errs until both are closed, failing the test
// if that takes longer than timeout.
func (h *harness) drain(out <-chan *artifact.Artifact, errs <-chan error) ([]*artifact.Artifact, []error) {
	h.t.Helper()
	var (
		outs    []*artifact.Artifact
		errList []error
	)
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for out != nil || errs != nil {
		select {
		case a, ok := <-out:
			if !ok {
				out = nil
				continue
			}
			outs = append(outs, a)
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			errList = append(errList, err)
		case <-timer.C:
			h.t.Fatalf("out closed: %t, errs closed: %t after %v; want both closed", out == nil, errs == nil, timeout)
		}
	}
	return outs, errList
}

// closeUnread checks that Close returns while nobody receives from out or
// errs, and that both are closed after it.
func (h *harness) closeUnread(out <-chan *artifact.Artifact, errs <-chan error) {
	h.t.Helper()
	closed := make(chan error, 1)
	go func() { closed <- h.g.Close() }()
	synctest.Wait()
	select {
	case err := <-closed:
		if err != nil {
			h.t.Errorf("Close: %v", err)
		}
	default:
		h.t.Error("Close blocked while nobody received from out and errs")
		// Receiving may release it; drain then reports whether the
		// channels close at all.
		defer func() {
			if !wait(closed) {
				h.t.Errorf("Close did not return within %v", timeout)
			}
		}()
	}
	h.drain(out, errs)
	h.closeOnce()
}

// closeOnce calls Close, failing the test if it errs or does not return
// within timeout.
func (h *harness) closeOnce() {
	h.t.Helper()
	closed := make(chan error, 1)
	go func() { closed <- h.g.Close() }()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case err := <-closed:
		if err != nil {
			h.t.Errorf("Close: %v", err)
		}
	case <-timer.C:
		h.t.Fatalf("Close did not return within %v", timeout)
	}
}

// closeTwice checks that Close works and is idempotent.
func (h *harness) closeTwice() {
	h.t.Helper()
	h.closeOnce()
	h.closeOnce()
}

// wait reports whether c yields (a value or its closing) within timeout.
func wait[T any](c <-chan T) bool {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-c:
		return true
	case <-timer.C:
		return false
	}
}
