package bridge

import "testing"

// TestInflightList pushes and removes deliveries in every order and checks
// the list: receipt order, and nothing left behind.
func TestInflightList(t *testing.T) {
	list := func(j *inflight) []*delivery {
		var out []*delivery
		for tr := j.ring.next; tr != nil && tr != &j.ring; tr = tr.next {
			out = append(out, tr)
		}
		if j.len() != len(out) {
			t.Fatalf("len %d, list has %d", j.len(), len(out))
		}
		return out
	}
	for _, order := range [][]int{{0, 1, 2}, {2, 1, 0}, {1, 0, 2}, {1, 2, 0}} {
		var j inflight
		ts := []*delivery{{}, {}, {}}
		for _, tr := range ts {
			j.push(tr)
		}
		if got := list(&j); len(got) != 3 || got[0] != ts[0] || got[1] != ts[1] || got[2] != ts[2] {
			t.Fatalf("after 3 pushes: %p, want %p", got, ts)
		}
		left := append([]*delivery(nil), ts...)
		for _, i := range order {
			j.remove(ts[i])
			j.remove(ts[i]) // twice is harmless
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

// TestRecycleIDHeader recycles pooled ID headers that hooks left alone,
// changed, emptied or replaced, without panicking, and always lets go.
func TestRecycleIDHeader(t *testing.T) {
	for name, change := range map[string]func(h map[string][]string){
		"untouched": func(map[string][]string) {},
		"deleted":   func(h map[string][]string) { delete(h, "Nats-Msg-Id") },
		"replaced":  func(h map[string][]string) { delete(h, "Nats-Msg-Id"); h["Other"] = []string{"x"} },
		"emptied":   func(h map[string][]string) { h["Nats-Msg-Id"] = nil },
		"added":     func(h map[string][]string) { h["Other"] = []string{"x"} },
	} {
		tr := new(delivery)
		tr.idHeader = idHeaders.Get().(*idHeader)
		tr.idHeader.id[0] = "S:1:0"
		tr.in.a.Meta = map[string][]string(tr.idHeader.h)
		change(tr.idHeader.h)
		recycleIDHeader(tr)
		if tr.idHeader != nil || tr.in.a.Meta != nil {
			t.Errorf("%s: tracker still holds the header", name)
		}
	}
}
