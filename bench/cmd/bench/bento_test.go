package main

import (
	"strings"
	"testing"
)

func TestBentoConfig(t *testing.T) {
	n := names{in: "bench.in", fixed: "bench.out"}
	for _, c := range []contender{
		bento("bento-jq", "", "jq", recordProgram),
		bento("bento-mapping", "", "mapping", recordMapping),
		bento("bento", "", "", ""),
	} {
		conf := string(bentoConfig("nats://127.0.0.1:4222", "127.0.0.1:9999", n, c))
		for _, want := range []string{
			"address: \"127.0.0.1:9999\"",
			"urls: [\"nats://127.0.0.1:4222\"]\n    subject: \"bench.in\"",
			"subject: \"bench.out\"",
			"prometheus: {}",
		} {
			if !strings.Contains(conf, want) {
				t.Errorf("%s: config lacks %q:\n%s", c.name, want, conf)
			}
		}
		switch c.bentoProc {
		case "jq":
			if !strings.Contains(conf, `query: "{seq: .seq, t: .t, id: .id, v: (.v * 2)}"`) {
				t.Errorf("jq config:\n%s", conf)
			}
		case "mapping":
			if !strings.Contains(conf, `mapping: "root = {\"seq\": this.seq`) {
				t.Errorf("mapping config:\n%s", conf)
			}
		}
	}
}
