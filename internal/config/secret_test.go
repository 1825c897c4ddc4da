package config_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/natsbridge/bridge/internal/config"
)

const (
	password  = "pw-hunter2"
	token     = "tok-s3cr3t"
	urlSecret = "url-p4ss"
	urlToken  = "url-t0ken"
)

var secrets = []string{password, token, urlSecret, urlToken}

func assertNoSecret(t *testing.T, what, s string) {
	t.Helper()
	for _, secret := range secrets {
		if strings.Contains(s, secret) {
			t.Errorf("%s shows secret %q: %s", what, secret, s)
		}
	}
}

func TestSecretsAreRedacted(t *testing.T) {
	cfg := mustLoad(t,
		"NATS_URL=nats://admin:"+urlSecret+"@a:4222,tls://"+urlToken+"@b:4222,c:4222",
		"NATS_USER=admin", "NATS_PASSWORD="+password,
		"BRIDGE_ROUTE_0_IN=a", "BRIDGE_ROUTE_0_OUT=b",
	)
	if cfg.NATS.Password.Reveal() != password {
		t.Fatalf("Reveal() = %q, want the password", cfg.NATS.Password.Reveal())
	}
	if got, want := cfg.NATS.URL.String(), "nats://[redacted]@a:4222,tls://[redacted]@b:4222,c:4222"; got != want {
		t.Errorf("URL.String() = %q, want %q", got, want)
	}
	withToken := *cfg
	withToken.NATS.Token = token

	var text, jsonLog bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("config", "config", &withToken, "nats", withToken.NATS, "value", withToken)
	slog.New(slog.NewJSONHandler(&jsonLog, nil)).Info("config", "config", &withToken, "nats", withToken.NATS, "value", withToken)
	marshalled, err := json.Marshal(withToken)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"String":                withToken.String(),
		"NATS String":           withToken.NATS.String(),
		"%v of *Config":         fmt.Sprintf("%v", &withToken),
		"%+v of Config":         fmt.Sprintf("%+v", withToken),
		"%#v of Config":         fmt.Sprintf("%#v", withToken),
		"%s and %v of password": fmt.Sprintf("%s %v", withToken.NATS.Password, withToken.NATS.Password),
		"%q of password":        fmt.Sprintf("%q", withToken.NATS.Password),
		"text handler":          text.String(),
		"JSON handler":          jsonLog.String(),
		"encoding/json":         string(marshalled),
		"LogValue (resolved)":   withToken.LogValue().String(),
	}
	for what, out := range outputs {
		assertNoSecret(t, what, out)
		if !strings.Contains(out, "[redacted]") {
			t.Errorf("%s does not show [redacted]: %s", what, out)
		}
	}
	if s := config.Secret("").String(); s != "" {
		t.Errorf("empty Secret formats as %q, want empty", s)
	}
}

func TestProblemsNeverShowSecrets(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
	}{
		{name: "password without user", environ: []string{"NATS_URL=nats://a", "NATS_PASSWORD=" + password, "NATS_TOKEN=" + token}},
		{name: "secrets without NATS_URL", environ: []string{"NATS_USER=u", "NATS_PASSWORD=" + password, "NATS_TOKEN=" + token}},
		{name: "token and user", environ: []string{"NATS_URL=nats://a", "NATS_USER=u", "NATS_PASSWORD=" + password, "NATS_TOKEN=" + token}},
		{name: "bad scheme", environ: []string{"NATS_URL=http://u:" + urlSecret + "@a:1"}},
		{name: "unparsable URL", environ: []string{"NATS_URL=nats://u:" + urlSecret + "/x@a:port"}},
		{name: "unparsable URL without scheme", environ: []string{"NATS_URL=" + urlToken + "@a:b:c"}},
		{name: "no host", environ: []string{"NATS_URL=nats://" + urlToken + "@:4222"}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			_, err := config.Load(test.environ)
			if err == nil {
				t.Fatal("Load succeeded, want problems")
			}
			assertNoSecret(t, "error", err.Error())
		})
	}
}
