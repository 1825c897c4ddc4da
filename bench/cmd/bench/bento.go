package main

import (
	"encoding/json"
	"fmt"
	"strings"
)

// bentoConfig returns the Bento configuration of a run of contender c: the
// nats input and output on the run's subjects, c's processor, Prometheus
// metrics served on httpAddr (as the bridge runs with its metrics on), and
// Bento's defaults for everything else (pipeline threads: one per CPU).
func bentoConfig(url, httpAddr string, n names, c contender) []byte {
	var b strings.Builder
	// YAML is a superset of JSON: quoted strings are JSON strings.
	q := func(s string) string {
		out, _ := json.Marshal(s)
		return string(out)
	}
	fmt.Fprintf(&b, "http:\n  address: %s\n", q(httpAddr))
	fmt.Fprintf(&b, "input:\n  nats:\n    urls: [%s]\n    subject: %s\n", q(url), q(n.in))
	fmt.Fprintf(&b, "pipeline:\n  processors:\n")
	switch c.bentoProc {
	case "jq":
		fmt.Fprintf(&b, "    - jq:\n        query: %s\n", q(c.bentoCode))
	case "mapping":
		fmt.Fprintf(&b, "    - mapping: %s\n", q(c.bentoCode))
	default:
		b.WriteString("    []\n")
	}
	fmt.Fprintf(&b, "output:\n  nats:\n    urls: [%s]\n    subject: %s\n", q(url), q(n.fixed))
	b.WriteString("metrics:\n  prometheus: {}\nlogger:\n  level: WARN\nshutdown_timeout: 10s\n")
	return []byte(b.String())
}
