package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPeerUnavailable builds a peer module that does not compile: the
// peer is reported unavailable with the compiler's reason, its runs are
// skipped, and the other contenders are not.
func TestPeerUnavailable(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	root := t.TempDir()
	mod := filepath.Join(root, peerModules[sysWatermill])
	if err := os.MkdirAll(mod, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"go.mod":  "module example.com/broken\n\ngo 1.26.0\n",
		"main.go": "package main\n\nfunc main() { undefinedFunction() }\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(mod, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pt := scenarioByName(t, "passthrough-128B")
	peers := buildPeers(t.Context(), root, t.TempDir(), []scenario{pt}, io.Discard)
	p, ok := peers[sysWatermill]
	if !ok || p.err == nil || !strings.Contains(p.err.Error(), "undefined: undefinedFunction") {
		t.Fatalf("watermill: %+v", p)
	}
	if _, built := peers[sysBento]; built {
		t.Error("Bento built for a scenario that does not run it")
	}
	d := &driver{peers: peers, rejected: map[string]string{}}
	w, _ := pt.contender("watermill")
	if reason := d.skipReason(pt, w); !strings.HasPrefix(reason, "peer unavailable: ") {
		t.Errorf("watermill's runs: skip reason %q", reason)
	}
	if r := d.measure(t.Context(), 0, pt, w); r.Skipped == "" || r.Error != "" {
		t.Errorf("watermill's run: %+v", r)
	}
	b, _ := pt.contender("bridge")
	if reason := d.skipReason(pt, b); reason != "" {
		t.Errorf("the bridge skipped: %q", reason)
	}
}

// TestSkipRejected: once every bridge of a scenario was rejected, its other
// contenders are skipped; while one bridge remains, nothing else is.
func TestSkipRejected(t *testing.T) {
	jq := scenarioByName(t, "jq-record")
	d := &driver{peers: map[system]peer{}, rejected: map[string]string{}}
	gojq, _ := jq.contender("relay-gojq")
	d.rejected[jq.name+"/bridge-w2"] = "rejected: WORKERS"
	if r := d.skipReason(jq, gojq); r != "" {
		t.Errorf("one bridge left, the floor skipped: %q", r)
	}
	w2, _ := jq.contender("bridge-w2")
	if r := d.skipReason(jq, w2); r != "rejected: WORKERS" {
		t.Errorf("rejected bridge: %q", r)
	}
	d.rejected[jq.name+"/bridge"] = "rejected: JQ"
	if r := d.skipReason(jq, gojq); !strings.HasPrefix(r, "scenario skipped: ") {
		t.Errorf("every bridge rejected, the floor: %q", r)
	}
}

// TestSelectScenarios: -contenders keeps each scenario's reference, and
// -peers=false leaves the peers out.
func TestSelectScenarios(t *testing.T) {
	c, err := parseFlags([]string{"-run", "^(passthrough-128B|jq-record)$", "-contenders", "^bridge$|bento-jq", "-peers=false"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range selectScenarios(c) {
		var names []string
		for _, ct := range s.contenders {
			names = append(names, ct.name)
		}
		got[s.name] = strings.Join(names, " ")
	}
	want := map[string]string{"passthrough-128B": "relay bridge", "jq-record": "relay-gojq bridge"}
	if len(got) != len(want) || got["passthrough-128B"] != want["passthrough-128B"] || got["jq-record"] != want["jq-record"] {
		t.Errorf("selected %v, want %v", got, want)
	}
	c.peers = true
	for _, s := range selectScenarios(c) {
		if s.name == "jq-record" && len(s.contenders) != 3 {
			t.Errorf("with peers: %+v", s.contenders)
		}
	}
}
