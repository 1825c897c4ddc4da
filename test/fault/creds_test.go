package fault_test

import (
	"crypto/rand"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/natsbridge/bridge/internal/natstest"
)

// credKind is one way for the bridge to authenticate, with a server
// configuration that accepts its credential and one that refuses it (a
// secret rotated on one side only, a revoked user, a certificate from
// another CA).
type credKind struct {
	name string
	tls  bool              // the bridge's URL is tls://
	env  map[string]string // the bridge's credential variables
	// secrets must not appear in the bridge's log.
	secrets []string
	// hint is what the log must say when the credential is refused.
	hint string
	// server returns the options of a server that accepts the bridge's
	// credential, or refuses it, and those of a test client it accepts.
	server func(accept bool) (*server.Options, []nats.Option)
}

// TestCredentials runs the bridge with each kind of credential against a
// server configured for it, through a proxy that counts connections: the
// right credential relays messages; when the server stops accepting it,
// and when the bridge starts with one the server refuses, the bridge is
// not ready, logs why once per reason (then every 30 s) without the
// secret, keeps trying (more than the two attempts after which nats.go
// gives up by default), and becomes ready by itself once the server
// accepts the credential again.
func TestCredentials(t *testing.T) {
	for _, kind := range credKinds(t) {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			testCredential(t, kind)
		})
	}
}

func testCredential(t *testing.T, kind credKind) {
	accept, client := kind.server(true)
	refuse, _ := kind.server(false)
	s := natstest.Start(t, accept)
	port := s.Opts.Port
	restart := func(opts *server.Options) {
		s.Shutdown()
		s.WaitForShutdown()
		opts.Port = port
		s = natstest.Start(t, opts)
	}
	proxy := natstest.NewProxy(t, "127.0.0.1:"+strconv.Itoa(port))
	url := proxy.URL()
	if kind.tls {
		url = "tls://" + proxy.Addr()
	}
	env := map[string]string{
		"NATS_URL":                url,
		"BRIDGE_METRICS_ADDR":     "127.0.0.1:0",
		"BRIDGE_LOG_LEVEL":        "debug",
		"BRIDGE_SHUTDOWN_TIMEOUT": "10s",
		"BRIDGE_ROUTE_0_NAME":     "cred",
		"BRIDGE_ROUTE_0_IN":       "cred.in",
		"BRIDGE_ROUTE_0_OUT":      "cred.out",
	}
	maps.Copy(env, kind.env)

	// The right credential.
	p := startBridge(t, kind.name, env)
	p.waitReady(t, 30*time.Second)
	relay(t, s, client, "accepted")

	// The server stops accepting it, then accepts it again.
	restart(refuse)
	expectRefused(t, p, proxy, kind)
	restart(accept)
	p.waitReady(t, 30*time.Second)
	relay(t, s, client, "accepted-again")
	p.stop(t, 20*time.Second)

	// A bridge that starts with a credential the server refuses.
	restart(refuse)
	p2 := startBridge(t, kind.name+"-refused", env)
	expectRefused(t, p2, proxy, kind)
	restart(accept)
	p2.waitReady(t, 30*time.Second)
	relay(t, s, client, "accepted-late")
	p2.stop(t, 20*time.Second)

	for _, proc := range []*bridgeProc{p, p2} {
		for _, secret := range kind.secrets {
			if strings.Contains(proc.log.String(), secret) {
				t.Errorf("bridge %s logs a secret", proc.name)
			}
		}
	}
}

var failedLineRE = regexp.MustCompile(`msg="(?:still )?cannot connect to NATS; retrying" connection=default err=("(?:[^"\\]|\\.)*"|\S+)`)

// expectRefused waits until the bridge, refused, has logged why and tried
// three more times, never answering /readyz with 200 meanwhile, and checks
// that it logged each reason once (or once more per 30 s).
func expectRefused(t *testing.T, p *bridgeProc, proxy *natstest.Proxy, kind credKind) {
	t.Helper()
	from, start, attempts := len(p.log.String()), time.Now(), proxy.Accepted()
	natstest.WaitFor(t, time.Minute, func() error {
		code, body, err := p.get("/readyz")
		if err != nil {
			return err
		}
		if code == http.StatusOK {
			t.Fatalf("bridge %s is ready with a credential the server refuses", p.name)
		}
		if log := p.log.String()[from:]; !strings.Contains(log, kind.hint) {
			return fmt.Errorf("%w: no %q in the log yet (/readyz %d %s)", natstest.ErrTest, kind.hint, code, strings.TrimSpace(body))
		}
		if n := proxy.Accepted() - attempts; n < 3 {
			return fmt.Errorf("%w: %d attempts since the server refuses", natstest.ErrTest, n)
		}
		return nil
	})
	lines := failedLineRE.FindAllStringSubmatch(p.log.String()[from:], -1)
	reasons := map[string]bool{}
	for _, l := range lines {
		reasons[l[1]] = true
	}
	if allowed := len(reasons) * (1 + int(time.Since(start)/(30*time.Second))); len(lines) > allowed {
		t.Errorf("bridge %s logged %d failed attempts for %d reasons in %v, want at most %d:\n%s",
			p.name, len(lines), len(reasons), time.Since(start).Round(time.Second), allowed, tail(p.log, 20))
	}
}

// relay connects to s as the test client and waits until a message
// published on cred.in comes out of the bridge on cred.out.
func relay(t *testing.T, s *natstest.Server, opts []nats.Option, tag string) {
	t.Helper()
	nc, err := nats.Connect(s.ClientURL(), opts...)
	if err != nil {
		t.Fatalf("test client: %v", err)
	}
	defer nc.Close()
	waitCoreFlow(t, nc, collectCore(t, nc, "cred.out"), "cred.in", tag)
}

// credKinds makes the credentials, keys and certificates of every kind.
func credKinds(t *testing.T) []credKind {
	dir := t.TempDir()
	file := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	// opts are the options of a server of this test: core NATS only (the
	// route is a core route, and operator mode would want JetStream
	// limits in the account).
	opts := func() *server.Options {
		o := natstest.Options(t)
		o.JetStream = false
		return o
	}

	password := "pw-" + rand.Text()
	token := "tok-" + rand.Text()

	bridgeKey, testKey := newNKey(t, nkeys.CreateUser), newNKey(t, nkeys.CreateUser)

	operator, account := newNKey(t, nkeys.CreateOperator), newNKey(t, nkeys.CreateAccount)
	bridgeUser, testUser := newNKey(t, nkeys.CreateUser), newNKey(t, nkeys.CreateUser)
	bridgeJWT, testJWT := userJWT(t, bridgeUser, account), userJWT(t, testUser, account)
	accountJWT := func(revokeBridge bool) string {
		c := jwt.NewAccountClaims(account.pub)
		if revokeBridge {
			c.Revoke(bridgeUser.pub)
		}
		s, err := c.Encode(operator.kp)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	creds, err := jwt.FormatUserConfig(bridgeJWT, []byte(bridgeUser.seed))
	if err != nil {
		t.Fatal(err)
	}

	ca, otherCA := newCA(t, "bridge-test"), newCA(t, "other")
	serverCert, serverKey := ca.issue(t, "server", false)
	otherCert, otherKey := otherCA.issue(t, "other-server", false)
	bridgeCert, bridgeKeyFile := ca.issue(t, "bridge-client", true)
	testCert, testKeyFile := ca.issue(t, "test-client", true)
	tlsServer := func(o *server.Options, cert, key, clientCA string) *server.Options {
		cfg, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: cert, KeyFile: key, CaFile: clientCA, Verify: clientCA != "", Timeout: 2})
		if err != nil {
			t.Fatal(err)
		}
		o.TLS, o.TLSConfig, o.TLSVerify, o.TLSTimeout = true, cfg, clientCA != "", 2
		return o
	}

	return []credKind{
		{
			name:    "user-password",
			env:     map[string]string{"NATS_USER": "bridge", "NATS_PASSWORD_FILE": file("password", password+"\n")},
			secrets: []string{password},
			hint:    "the server refused the credentials",
			server: func(accept bool) (*server.Options, []nats.Option) {
				o := opts()
				pw := password
				if !accept {
					pw = "rotated-" + password[3:]
				}
				o.Users = []*server.User{{Username: "bridge", Password: pw}, {Username: "test", Password: "test-pw"}}
				return o, []nats.Option{nats.UserInfo("test", "test-pw")}
			},
		},
		{
			name:    "token",
			env:     map[string]string{"NATS_TOKEN": token},
			secrets: []string{token},
			hint:    "the server refused the credentials",
			server: func(accept bool) (*server.Options, []nats.Option) {
				o := opts()
				o.Authorization = token
				if !accept {
					o.Authorization = "rotated-" + token[4:]
				}
				return o, []nats.Option{nats.Token(o.Authorization)}
			},
		},
		{
			name:    "nkey",
			env:     map[string]string{"NATS_NKEY": file("bridge.nk", bridgeKey.seed+"\n")},
			secrets: []string{bridgeKey.seed},
			hint:    "the server refused the credentials",
			server: func(accept bool) (*server.Options, []nats.Option) {
				o := opts()
				o.Nkeys = []*server.NkeyUser{{Nkey: testKey.pub}}
				if accept {
					o.Nkeys = append(o.Nkeys, &server.NkeyUser{Nkey: bridgeKey.pub})
				}
				return o, []nats.Option{nats.Nkey(testKey.pub, func(nonce []byte) ([]byte, error) { return testKey.kp.Sign(nonce) })}
			},
		},
		{
			// A user JWT under an operator, from the server's in-memory
			// resolver; refused while the account revokes the user.
			name:    "creds",
			env:     map[string]string{"NATS_CREDS": file("bridge.creds", string(creds))},
			secrets: []string{bridgeUser.seed},
			hint:    "the server refused the credentials",
			server: func(accept bool) (*server.Options, []nats.Option) {
				o := opts()
				o.TrustedKeys = []string{operator.pub}
				resolver := &server.MemAccResolver{}
				if err := resolver.Store(account.pub, accountJWT(!accept)); err != nil {
					t.Fatal(err)
				}
				o.AccountResolver = resolver
				return o, []nats.Option{nats.UserJWTAndSeed(testJWT, testUser.seed)}
			},
		},
		{
			// Server verification against a private CA; refused while the
			// server presents a certificate of another CA.
			name: "tls",
			tls:  true,
			env:  map[string]string{"NATS_TLS_CA": ca.File},
			hint: "the server's certificate is not signed by a CA of NATS_TLS_CA",
			server: func(accept bool) (*server.Options, []nats.Option) {
				if !accept {
					return tlsServer(opts(), otherCert, otherKey, ""), nil
				}
				return tlsServer(opts(), serverCert, serverKey, ""), []nats.Option{nats.RootCAs(ca.File)}
			},
		},
		{
			// Mutual TLS (verify: true); refused while the server trusts
			// only another CA's clients.
			name: "mutual-tls",
			tls:  true,
			env:  map[string]string{"NATS_TLS_CA": ca.File, "NATS_TLS_CERT": bridgeCert, "NATS_TLS_KEY": bridgeKeyFile},
			hint: "the server refused the client certificate",
			server: func(accept bool) (*server.Options, []nats.Option) {
				clientCA := ca.File
				if !accept {
					clientCA = otherCA.File
				}
				return tlsServer(opts(), serverCert, serverKey, clientCA),
					[]nats.Option{nats.RootCAs(ca.File), nats.ClientCert(testCert, testKeyFile)}
			},
		},
	}
}

// nkey is a key pair with its public key and seed.
type nkey struct {
	kp   nkeys.KeyPair
	pub  string
	seed string
}

func newNKey(t *testing.T, create func() (nkeys.KeyPair, error)) nkey {
	t.Helper()
	kp, err := create()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	seed, err := kp.Seed()
	if err != nil {
		t.Fatal(err)
	}
	return nkey{kp: kp, pub: pub, seed: string(seed)}
}

// userJWT issues a JWT for user, signed by account.
func userJWT(t *testing.T, user, account nkey) string {
	t.Helper()
	c := jwt.NewUserClaims(user.pub)
	s, err := c.Encode(account.kp)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
