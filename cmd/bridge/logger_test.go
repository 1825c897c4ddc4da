package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/natsbridge/bridge/internal/config"
)

// TestNewLogger is a unit test, unlike the others, which run the binary:
// through the binary it would depend on what run does.
func TestNewLogger(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		check   func(t *testing.T, out string)
	}{
		{
			name: "defaults: text at info",
			check: func(t *testing.T, out string) {
				if strings.Contains(out, "level=DEBUG") || !strings.Contains(out, `level=INFO msg=info`) {
					t.Errorf("got %q", out)
				}
			},
		},
		{
			name:    "json at warn",
			environ: []string{"BRIDGE_LOG_FORMAT=json", "BRIDGE_LOG_LEVEL=warn"},
			check: func(t *testing.T, out string) {
				lines := strings.Split(strings.TrimSpace(out), "\n")
				if len(lines) != 1 {
					t.Fatalf("got %d records, want only the warning: %q", len(lines), out)
				}
				var record map[string]any
				if err := json.Unmarshal([]byte(lines[0]), &record); err != nil || record["msg"] != "warn" {
					t.Errorf("record %q: %v", lines[0], err)
				}
			},
		},
		{
			name:    "debug",
			environ: []string{"BRIDGE_LOG_LEVEL=debug"},
			check: func(t *testing.T, out string) {
				if !strings.Contains(out, "level=DEBUG msg=debug") {
					t.Errorf("got %q", out)
				}
			},
		},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			cfg, err := config.Load(test.environ)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			logger := newLogger(cfg, &b)
			logger.Debug("debug")
			logger.Info("info")
			logger.Warn("warn")
			test.check(t, b.String())
		})
	}
}
