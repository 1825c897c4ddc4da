package status_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"

	"github.com/natsbridge/bridge/internal/status"
)

// TestFailuresBounded: each route keeps its last few failures, newest
// first, and the snapshot merges them by time.
func TestFailuresBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, _, s := newStatus(t, status.WithFailures(3))
		for i := range 10 {
			s.Failed("totals", fmt.Sprintf("invoices.%d", i), "decode", fmt.Errorf("failure %d", i))
			time.Sleep(time.Second)
		}
		s.Failed("orders", "orders.eu", "publish", nil)
		s.Failed("unknown", "x", "decode", errors.New("not configured")) // ignored

		snap := s.Snapshot()
		got := route(t, snap, "totals").Failures
		if len(got) != 3 {
			t.Fatalf("%d failures kept, want 3: %+v", len(got), got)
		}
		for i, f := range got {
			n := 9 - i
			if f.Subject != fmt.Sprintf("invoices.%d", n) || f.Error != fmt.Sprintf("failure %d", n) || f.Reason != "decode" {
				t.Errorf("failure %d: %+v, want failure %d", i, f, n)
			}
		}
		if !got[0].Time.After(got[1].Time) {
			t.Errorf("failures not newest first: %v then %v", got[0].Time, got[1].Time)
		}
		if o := route(t, snap, "orders").Failures; len(o) != 1 || o[0].Error != "" || o[0].Reason != "publish" {
			t.Errorf("orders failures %+v, want one publish failure without error text", o)
		}
		all := snap.RecentFailures()
		if len(all) != 4 || all[0].Route != "orders" || all[1].Route != "totals" || all[1].Subject != "invoices.9" {
			t.Errorf("merged failures %+v, want orders first, then totals from the newest", all)
		}
	})
}

// TestFailureTruncated: a huge subject or error text is cut on a rune
// boundary.
func TestFailureTruncated(t *testing.T) {
	_, _, s := newStatus(t)
	subject := strings.Repeat("s", 5000)
	msg := strings.Repeat("é", 5000) // two bytes each
	s.Failed("totals", subject, "generator", errors.New(msg))
	f := route(t, s.Snapshot(), "totals").Failures[0]
	if len(f.Subject) > 256 || !strings.HasSuffix(f.Subject, "…") {
		t.Errorf("subject kept %d bytes, want at most 256 ending in …", len(f.Subject))
	}
	if len(f.Error) > 512 || !utf8.ValidString(f.Error) || !strings.HasSuffix(f.Error, "…") {
		t.Errorf("error kept %d bytes (valid UTF-8: %v), want at most 512 ending in …", len(f.Error), utf8.ValidString(f.Error))
	}
}

// TestFailedConcurrently runs Failed from many goroutines against
// snapshots, for the race detector.
func TestFailedConcurrently(t *testing.T) {
	_, _, s := newStatus(t, status.WithFailures(5))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				s.Failed(routes[g%2].Name, "subj", "timeout", fmt.Errorf("g%d i%d", g, i))
			}
		})
	}
	wg.Go(func() {
		for range 50 {
			_ = s.Snapshot()
		}
	})
	wg.Wait()
	for _, r := range s.Snapshot().Routes {
		if len(r.Failures) != 5 {
			t.Errorf("route %s kept %d failures, want 5", r.Name, len(r.Failures))
		}
	}
}

func TestNilStatusFailed(t *testing.T) {
	var s *status.Status
	s.Failed("totals", "invoices", "decode", errors.New("ignored")) // must not panic
}
