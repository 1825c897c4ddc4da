package config_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/natsbridge/bridge/internal/config"
)

// indexedRE matches the variables of one route or connection, and captures
// the prefix they share (BRIDGE_ROUTE_3_).
var indexedRE = regexp.MustCompile(`^(BRIDGE_(?:ROUTE|CONN)_[0-9]+_)`)

// FuzzLoad loads arbitrary environments, one KEY=value per line: Load never
// panics, never fails internally, and every problem it reports can be
// traced to what was set: its variable was set, or belongs to a route or
// connection of which a variable was set (BRIDGE_ROUTE_0_OUT: required,
// when only BRIDGE_ROUTE_0_IN was), or its message names a variable that
// was set (BRIDGE_ROUTE_0_IN: required: NATS_URL is set, …).
func FuzzLoad(f *testing.F) {
	for _, seed := range []string{
		"",
		"NATS_URL=nats://a:4222\nBRIDGE_ROUTE_0_IN=a.*\nBRIDGE_ROUTE_0_OUT=b.{{wildcard(1)}}",
		"NATS_URL=nats://u:p@a:4222,tls://b\nNATS_USER=u\nNATS_TOKEN=t\nBRIDGE_ROUTE_0_IN=a",
		"NATS_URL=a\nNATS_PASSWORD_FILE=/nonexistent\nNATS_TOKEN_FILE=/dev/null\nNATS_PING_INTERVAL=0\nNATS_MAX_PINGS_OUT=x",
		"BRIDGE_CONN_0_NAME=edge\nBRIDGE_CONN_0_URL=edge\nBRIDGE_CONN_2_NAME=edge\nBRIDGE_ROUTE_0_IN=a\nBRIDGE_ROUTE_0_OUT=a\nBRIDGE_ROUTE_0_OUT_CONN=edge",
		"BRIDGE_CONN_0_URL=x\nBRIDGE_CONN_01_NAME=y\nBRIDGE_CONN_0_FOO=1\nBRIDGE_CONN_X=1\nBRIDGE_ROUTE_0_IN_CONN=nowhere",
		"BRIDGE_ROUTE_0_NAME=route1\nBRIDGE_ROUTE_0_IN=a\nBRIDGE_ROUTE_0_OUT=b\nBRIDGE_ROUTE_1_IN=c\nBRIDGE_ROUTE_1_OUT=d",
		"BRIDGE_ROUTE_0_IN=in.>\nBRIDGE_ROUTE_0_OUT=out.>\nBRIDGE_ROUTE_0_STREAM=S\nBRIDGE_ROUTE_0_TIMEOUT=1m\nBRIDGE_ROUTE_0_QUEUE=q\nBRIDGE_ROUTE_0_OVERFLOW=drop_oldest",
		"BRIDGE_ROUTE_3_BUFFER=99999999999999999999\nBRIDGE_ROUTE_0_JQ=.[\nBRIDGE_ROUTE_0_DLQ=in.x\nBRIDGE_ROUTE_0_IN=in.*",
		"BRIDGE_EMBEDDED_LISTEN=:x\nBRIDGE_METRICS_ADDR=\nBRIDGE_LOG_LEVEL=loud\nBRIDGE_SHUTDOWN_TIMEOUT=-1s\nBRIDGE_X=1",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, input string) {
		environ := strings.Split(input, "\n")
		set := map[string]bool{}
		for _, kv := range environ {
			if k, _, ok := strings.Cut(kv, "="); ok && k != "" {
				set[k] = true
			}
		}
		cfg, err := config.Load(environ)
		if err == nil {
			if cfg == nil {
				t.Fatal("Load returned neither a configuration nor an error")
			}
			return
		}
		var cerr *config.Error
		if !errors.As(err, &cerr) {
			t.Fatalf("internal error: %v", err)
		}
		if len(cerr.Problems) == 0 {
			t.Fatal("an invalid configuration with no problem")
		}
		for _, p := range cerr.Problems {
			if !traceable(p, set) {
				t.Errorf("problem %q names no variable that was set (set: %v)", p, set)
			}
		}
	})
}

// traceable reports whether p can be traced to a variable that was set.
func traceable(p *config.Problem, set map[string]bool) bool {
	if set[p.Var] {
		return true
	}
	if m := indexedRE.FindStringSubmatch(p.Var); m != nil {
		for k := range set {
			if strings.HasPrefix(k, m[1]) {
				return true
			}
		}
	}
	msg := p.Err.Error()
	for k := range set {
		if strings.Contains(msg, k) {
			return true
		}
	}
	return false
}
