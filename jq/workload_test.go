package jq_test

import (
	"fmt"
	"testing"

	"github.com/natsbridge/bridge/artifact"
)

// workload returns n payloads of issue 12's benchmark: JSON objects of
// about 128 bytes, {"seq":…,"t":…,"id":"a-…","v":3.5,"tags":["x","y"],"pad":"…"},
// with a "kind" among four so that message-mode programs can route by it.
func workload(n int) [][]byte {
	kinds := []string{"eu", "us", "apac", "latam"}
	out := make([][]byte, n)
	for i := range out {
		p := fmt.Appendf(nil, `{"seq":%d,"t":%d,"id":"a-%d","kind":"%s","v":3.5,"tags":["x","y"],"pad":"`,
			i, 1700000000000000000+int64(i)*1000, i, kinds[i%len(kinds)])
		for len(p) < 126 {
			p = append(p, 'x')
		}
		out[i] = append(p, `"}`...)
	}
	return out
}

// workloadArtifacts wraps the workload in artifacts with the one header a
// bridge input usually has.
func workloadArtifacts(tb testing.TB, n int) []*artifact.Artifact {
	tb.Helper()
	as := make([]*artifact.Artifact, n)
	for i, p := range workload(n) {
		as[i] = artifact.New("orders.in", p)
		as[i].SetMeta("Trace-Id", "abc")
	}
	return as
}
