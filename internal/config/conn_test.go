package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/natsbridge/bridge/internal/config"
)

// writeSecret writes content to a file of its own and returns its path.
func writeSecret(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadConns(t *testing.T) {
	tokenFile := writeSecret(t, "edge-token\r\n")
	cfg := mustLoad(t,
		"NATS_URL=nats://central:4222",
		"NATS_USER=bridge", "NATS_PASSWORD_FILE="+writeSecret(t, "central-pw\n"),
		"BRIDGE_CONN_0_NAME=edge",
		"BRIDGE_CONN_0_URL=nats://edge:4222",
		"BRIDGE_CONN_0_TOKEN_FILE="+tokenFile,
		"BRIDGE_CONN_1_NAME=spare_1",
		"BRIDGE_CONN_1_URL=nats://spare:4222",
		"BRIDGE_CONN_1_USER=u", "BRIDGE_CONN_1_PASSWORD=p",
		// Edge to central, on the same subject: no loop across systems.
		"BRIDGE_ROUTE_0_IN=orders.>", "BRIDGE_ROUTE_0_OUT=orders.>",
		"BRIDGE_ROUTE_0_IN_CONN=edge", "BRIDGE_ROUTE_0_OUT_CONN=default",
		"BRIDGE_ROUTE_0_REPLY_TIMEOUT=2s",
		// Within edge: OUT_CONN defaults to IN_CONN.
		"BRIDGE_ROUTE_1_IN=a", "BRIDGE_ROUTE_1_OUT=b", "BRIDGE_ROUTE_1_IN_CONN=edge",
		// Within default.
		"BRIDGE_ROUTE_2_IN=c", "BRIDGE_ROUTE_2_OUT=d",
	)
	if cfg.NATS.Password.Reveal() != "central-pw" {
		t.Errorf("NATS password from file = %q, want the file without its newline", cfg.NATS.Password.Reveal())
	}
	if len(cfg.Conns) != 2 {
		t.Fatalf("got %d connections, want 2", len(cfg.Conns))
	}
	edge := cfg.Conns[0]
	if edge.Index != 0 || edge.Name != "edge" || edge.URL.Reveal() != "nats://edge:4222" || edge.Token.Reveal() != "edge-token" || edge.TokenFile != tokenFile {
		t.Errorf("connection 0 = %+v (token %q)", edge, edge.Token.Reveal())
	}
	if c := cfg.Conns[1]; c.Name != "spare_1" || c.User != "u" || c.Password.Reveal() != "p" {
		t.Errorf("connection 1 = %+v", c)
	}

	for i, want := range [][2]string{{"edge", "default"}, {"edge", "edge"}, {"default", "default"}} {
		r := cfg.Routes[i]
		if r.InConn != want[0] || r.OutConn != want[1] {
			t.Errorf("route %d: IN_CONN %q, OUT_CONN %q, want %q", i, r.InConn, r.OutConn, want)
		}
	}
	if r := cfg.Routes[0]; r.SameConn() || r.ReplyTimeout != 2*time.Second || r.RouteConfig().Validate() != nil {
		t.Errorf("route 0 = %v, want a cross-connection route with a 2s reply timeout", r)
	}
	if r := cfg.Routes[2]; !r.SameConn() || r.ReplyTimeout != 10*time.Second {
		t.Errorf("route 2 = %v, want the default reply timeout", r)
	}

	if got := cfg.UsedConns(); !slices.Equal(got, []string{"default", "edge"}) {
		t.Errorf("UsedConns() = %q", got)
	}
	if got := cfg.UnusedConns(); !slices.Equal(got, []string{"spare_1"}) {
		t.Errorf("UnusedConns() = %q", got)
	}
	if s, ok := cfg.Conn("edge"); !ok || s.URL != edge.URL {
		t.Errorf("Conn(edge) = %v, %v", s, ok)
	}
	if s, ok := cfg.Conn(config.DefaultConn); !ok || s.URL != cfg.NATS.URL {
		t.Errorf("Conn(default) = %v, %v", s, ok)
	}
	if _, ok := cfg.Conn("nowhere"); ok {
		t.Error("Conn(nowhere) found a connection")
	}

	s := cfg.String()
	for _, secret := range []string{"central-pw", "edge-token", "=p "} {
		if strings.Contains(s, secret) {
			t.Errorf("String() shows %q: %s", secret, s)
		}
	}
	if !strings.Contains(s, "edge={url=nats://edge:4222 token=[redacted] token_file="+tokenFile+"}") ||
		!strings.Contains(s, "in_conn=edge out_conn=default reply_timeout=2s") {
		t.Errorf("String() = %s", s)
	}
}

func TestLoadConnsEmbedded(t *testing.T) {
	// The embedded server is "default"; another connection may still be
	// used, and one no route uses leaves the demo route alone.
	cfg := mustLoad(t, "BRIDGE_CONN_0_NAME=edge", "BRIDGE_CONN_0_URL=edge:4222")
	if !cfg.Demo || !slices.Equal(cfg.UsedConns(), []string{"default"}) || !slices.Equal(cfg.UnusedConns(), []string{"edge"}) {
		t.Errorf("Demo %v, used %q, unused %q", cfg.Demo, cfg.UsedConns(), cfg.UnusedConns())
	}
	cfg = mustLoad(t, "BRIDGE_CONN_0_NAME=edge", "BRIDGE_CONN_0_URL=edge:4222",
		"BRIDGE_ROUTE_0_IN=a", "BRIDGE_ROUTE_0_OUT=a", "BRIDGE_ROUTE_0_OUT_CONN=edge")
	if r := cfg.Routes[0]; r.InConn != "default" || r.OutConn != "edge" || !slices.Equal(cfg.UsedConns(), []string{"default", "edge"}) {
		t.Errorf("route %v, used %q", r, cfg.UsedConns())
	}
}

func TestLoadConnProblems(t *testing.T) {
	file := writeSecret(t, "x")
	remote := []string{"NATS_URL=nats://127.0.0.1:4222", "BRIDGE_ROUTE_0_IN=in.>", "BRIDGE_ROUTE_0_OUT=out.>"}
	edge := []string{"BRIDGE_CONN_0_NAME=edge", "BRIDGE_CONN_0_URL=nats://edge:4222"}
	with := func(more ...string) []string { return append(slices.Concat(remote, edge), more...) }

	tests := []struct {
		name    string
		environ []string
		want    map[string]string // as in TestLoadProblems
	}{
		{
			name:    "unknown IN_CONN",
			environ: with("BRIDGE_ROUTE_0_IN_CONN=egde"),
			want:    map[string]string{"BRIDGE_ROUTE_0_IN_CONN": `unknown connection "egde" (want 'default' or 'edge')`},
		},
		{
			name:    "unknown OUT_CONN without other connections",
			environ: append(slices.Clone(remote), "BRIDGE_ROUTE_0_OUT_CONN=edge"),
			want:    map[string]string{"BRIDGE_ROUTE_0_OUT_CONN": `unknown connection "edge" (want 'default', or the NAME of a BRIDGE_CONN_<k>)`},
		},
		{
			name:    "loop within one connection",
			environ: with("BRIDGE_ROUTE_1_IN=a.>", "BRIDGE_ROUTE_1_OUT=a.>", "BRIDGE_ROUTE_1_IN_CONN=edge", "BRIDGE_ROUTE_1_OUT_CONN=edge"),
			want:    map[string]string{"BRIDGE_ROUTE_1_OUT": "loop"},
		},
		{
			name:    "reply timeout",
			environ: with("BRIDGE_ROUTE_0_REPLY_TIMEOUT=0s", "BRIDGE_ROUTE_1_IN=a", "BRIDGE_ROUTE_1_OUT=b", "BRIDGE_ROUTE_1_REPLY_TIMEOUT=soon"),
			want: map[string]string{
				"BRIDGE_ROUTE_0_REPLY_TIMEOUT": "must be positive, got 0s",
				"BRIDGE_ROUTE_1_REPLY_TIMEOUT": `invalid duration "soon"`,
			},
		},
		{
			name:    "missing name and URL",
			environ: append(slices.Clone(remote), "BRIDGE_CONN_0_USER=u", "BRIDGE_CONN_0_PASSWORD=p"),
			want:    map[string]string{"BRIDGE_CONN_0_NAME": "required", "BRIDGE_CONN_0_URL": "required"},
		},
		{
			name: "bad names",
			environ: append(slices.Clone(remote),
				"BRIDGE_CONN_0_NAME=default", "BRIDGE_CONN_0_URL=a",
				"BRIDGE_CONN_1_NAME=no.dots", "BRIDGE_CONN_1_URL=b",
				"BRIDGE_CONN_2_NAME=x", "BRIDGE_CONN_2_URL=c",
				"BRIDGE_CONN_3_NAME=x", "BRIDGE_CONN_3_URL=d"),
			want: map[string]string{
				"BRIDGE_CONN_0_NAME": `"default" is the name of the NATS_* connection`,
				"BRIDGE_CONN_1_NAME": `invalid name "no.dots"`,
				"BRIDGE_CONN_3_NAME": `name "x" is already used by BRIDGE_CONN_2_NAME`,
			},
		},
		{
			name: "indexes",
			environ: with("BRIDGE_CONN_2_NAME=far", "BRIDGE_CONN_2_URL=far:4222",
				"BRIDGE_CONN_01_URL=x", "BRIDGE_CONN_0_IN=x", "BRIDGE_CONN_X=1",
				"BRIDGE_CONN_99999999999999999999_URL=x"),
			want: map[string]string{
				"BRIDGE_CONN_2_NAME":                   "connection index 2 is set but connection 1 is not",
				"BRIDGE_CONN_01_URL":                   "leading zero",
				"BRIDGE_CONN_0_IN":                     "unknown variable (connection variables end in CREDS, NAME,",
				"BRIDGE_CONN_X":                        "unknown variable",
				"BRIDGE_CONN_99999999999999999999_URL": "too large",
			},
		},
		{
			name: "the rules of NATS_*",
			environ: with("BRIDGE_CONN_0_USER=u", "BRIDGE_CONN_0_TOKEN=t", "BRIDGE_CONN_0_NKEY="+file, "BRIDGE_CONN_0_CREDS="+file,
				"BRIDGE_CONN_0_TLS_CERT="+file, "BRIDGE_CONN_0_TLS_CA="+filepath.Dir(file),
				"BRIDGE_CONN_1_NAME=other", "BRIDGE_CONN_1_URL=http://other"),
			want: map[string]string{
				"BRIDGE_CONN_0_USER":     "requires BRIDGE_CONN_0_PASSWORD or BRIDGE_CONN_0_PASSWORD_FILE",
				"BRIDGE_CONN_0_TOKEN":    "cannot be combined with BRIDGE_CONN_0_USER and BRIDGE_CONN_0_PASSWORD",
				"BRIDGE_CONN_0_NKEY":     "cannot be combined with BRIDGE_CONN_0_CREDS",
				"BRIDGE_CONN_0_TLS_CERT": "requires BRIDGE_CONN_0_TLS_KEY",
				"BRIDGE_CONN_0_TLS_CA":   "is a directory",
				"BRIDGE_CONN_1_URL":      `unsupported scheme "http"`,
			},
		},
		{
			name:    "ping settings",
			environ: append(slices.Clone(remote), "NATS_PING_INTERVAL=0s", "NATS_MAX_PINGS_OUT=0"),
			want: map[string]string{
				"NATS_PING_INTERVAL": "must be positive",
				"NATS_MAX_PINGS_OUT": "must be between 1 and 100, got 0",
			},
		},
		{
			name:    "file variables without NATS_URL",
			environ: []string{"NATS_PASSWORD_FILE=" + file, "NATS_TOKEN_FILE=" + file, "NATS_USER=u"},
			want: map[string]string{
				"NATS_PASSWORD_FILE": "only used with NATS_URL",
				"NATS_TOKEN_FILE":    "only used with NATS_URL",
				"NATS_USER":          "only used with NATS_URL",
			},
		},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			got := problems(t, test.environ...)
			for name, part := range test.want {
				if !slices.ContainsFunc(got[name], func(m string) bool { return strings.Contains(m, part) }) {
					t.Errorf("%s: problems %q, want one containing %q", name, got[name], part)
				}
			}
			for name, msgs := range got {
				if _, ok := test.want[name]; !ok {
					t.Errorf("unexpected problem %s: %q", name, msgs)
				}
			}
		})
	}
}

// TestSecretFiles reads NATS_PASSWORD and NATS_TOKEN, and a connection's,
// from files the way Docker and Kubernetes mount them.
func TestSecretFiles(t *testing.T) {
	remote := []string{"NATS_URL=nats://127.0.0.1:4222", "BRIDGE_ROUTE_0_IN=in", "BRIDGE_ROUTE_0_OUT=out"}
	for _, test := range []struct {
		name, content, want string
	}{
		{"newline", "s3cret\n", "s3cret"},
		{"CRLF", "s3cret\r\n", "s3cret"},
		{"no newline", "s3cret", "s3cret"},
		{"only one newline", "s3cret\n\n", "s3cret\n"},
		{"blanks kept", " s3 cret \n", " s3 cret "},
	} {
		t.Run(test.name, func(t *testing.T) {
			path := writeSecret(t, test.content)
			cfg := mustLoad(t, append(slices.Clone(remote), "NATS_TOKEN_FILE="+path,
				"BRIDGE_CONN_0_NAME=edge", "BRIDGE_CONN_0_URL=edge", "BRIDGE_CONN_0_USER=u", "BRIDGE_CONN_0_PASSWORD_FILE="+path)...)
			if got := cfg.NATS.Token.Reveal(); got != test.want {
				t.Errorf("NATS token = %q, want %q", got, test.want)
			}
			if got := cfg.Conns[0].Password.Reveal(); got != test.want {
				t.Errorf("connection password = %q, want %q", got, test.want)
			}
		})
	}
	// A link to a file, as Kubernetes mounts a secret (..data/<key>).
	t.Run("symlink", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "real"), []byte("linked\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(dir, "real"), filepath.Join(dir, "password")); err != nil {
			t.Fatal(err)
		}
		cfg := mustLoad(t, append(slices.Clone(remote), "NATS_USER=u", "NATS_PASSWORD_FILE="+filepath.Join(dir, "password"))...)
		if cfg.NATS.Password.Reveal() != "linked" {
			t.Errorf("password = %q", cfg.NATS.Password.Reveal())
		}
	})
}

func TestSecretFileProblems(t *testing.T) {
	const secret = "do-not-print-me"
	remote := []string{"NATS_URL=nats://127.0.0.1:4222", "BRIDGE_ROUTE_0_IN=in", "BRIDGE_ROUTE_0_OUT=out"}
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := writeSecret(t, secret+strings.Repeat("x", 64<<10))
	missing := filepath.Join(dir, "missing")

	tests := []struct {
		name    string
		environ []string
		want    map[string]string
	}{
		{
			name:    "value and file",
			environ: []string{"NATS_USER=u", "NATS_PASSWORD=" + secret, "NATS_PASSWORD_FILE=" + writeSecret(t, secret)},
			want:    map[string]string{"NATS_PASSWORD_FILE": "cannot be combined with NATS_PASSWORD"},
		},
		{
			name:    "missing file",
			environ: []string{"NATS_TOKEN_FILE=" + missing},
			want:    map[string]string{"NATS_TOKEN_FILE": `cannot read "` + missing + `": no such file or directory`},
		},
		{
			name:    "directory",
			environ: []string{"NATS_TOKEN_FILE=" + dir},
			want:    map[string]string{"NATS_TOKEN_FILE": `"` + dir + `" is not a regular file`},
		},
		{
			// A FIFO would block the loader forever if it were read.
			name:    "fifo",
			environ: []string{"NATS_TOKEN_FILE=" + fifo},
			want:    map[string]string{"NATS_TOKEN_FILE": "is not a regular file"},
		},
		{
			name:    "empty",
			environ: []string{"NATS_TOKEN_FILE=" + writeSecret(t, "\n")},
			want:    map[string]string{"NATS_TOKEN_FILE": "is empty"},
		},
		{
			name:    "too large",
			environ: []string{"NATS_TOKEN_FILE=" + big},
			want:    map[string]string{"NATS_TOKEN_FILE": "is larger than 64 KiB"},
		},
		{
			name: "per connection, and the pairing rules see the file",
			environ: []string{"BRIDGE_CONN_0_NAME=edge", "BRIDGE_CONN_0_URL=edge",
				"BRIDGE_CONN_0_PASSWORD_FILE=" + missing, "BRIDGE_CONN_0_TOKEN=" + secret, "BRIDGE_CONN_0_TOKEN_FILE=" + writeSecret(t, secret)},
			want: map[string]string{
				"BRIDGE_CONN_0_PASSWORD_FILE": "cannot read",
				"BRIDGE_CONN_0_TOKEN_FILE":    "cannot be combined with BRIDGE_CONN_0_TOKEN",
				"BRIDGE_CONN_0_TOKEN":         "cannot be combined with BRIDGE_CONN_0_USER and BRIDGE_CONN_0_PASSWORD",
			},
		},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			environ := append(slices.Clone(remote), test.environ...)
			_, err := config.Load(environ)
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("the error shows the secret: %v", err)
			}
			got := problems(t, environ...)
			for name, part := range test.want {
				if !slices.ContainsFunc(got[name], func(m string) bool { return strings.Contains(m, part) }) {
					t.Errorf("%s: problems %q, want one containing %q", name, got[name], part)
				}
			}
			for name, msgs := range got {
				if _, ok := test.want[name]; !ok {
					t.Errorf("unexpected problem %s: %q", name, msgs)
				}
			}
		})
	}
	// The cause stays matchable.
	_, err := config.Load(append(slices.Clone(remote), "NATS_TOKEN_FILE="+missing))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error %v does not match os.ErrNotExist", err)
	}
}
