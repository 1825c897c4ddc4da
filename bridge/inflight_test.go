package bridge

import "testing"

// TestInflightList pushes and removes trackers in every order and checks
// the list: receipt order, and nothing left behind.
func TestInflightList(t *testing.T) {
	list := func(j *jsRoute) []*tracker {
		var out []*tracker
		for t := j.inflight.next; t != nil && t != &j.inflight; t = t.next {
			out = append(out, t)
		}
		return out
	}
	for _, order := range [][]int{{0, 1, 2}, {2, 1, 0}, {1, 0, 2}, {1, 2, 0}} {
		var j jsRoute
		ts := []*tracker{{}, {}, {}}
		for _, tr := range ts {
			j.pushInflight(tr)
		}
		if got := list(&j); len(got) != 3 || got[0] != ts[0] || got[1] != ts[1] || got[2] != ts[2] {
			t.Fatalf("after 3 pushes: %p, want %p", got, ts)
		}
		left := append([]*tracker(nil), ts...)
		for _, i := range order {
			j.removeInflight(ts[i])
			j.removeInflight(ts[i]) // twice is harmless
			for k, tr := range left {
				if tr == ts[i] {
					left = append(left[:k], left[k+1:]...)
					break
				}
			}
			got := list(&j)
			if len(got) != len(left) {
				t.Fatalf("order %v: after removing %d: %d left, want %d", order, i, len(got), len(left))
			}
			for k := range got {
				if got[k] != left[k] {
					t.Fatalf("order %v: after removing %d: list out of order", order, i)
				}
			}
		}
	}
}
