package config

import (
	"github.com/natsbridge/bridge/bridge"

	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/caarlos0/env/v11"
)

// Limits of connection settings.
const (
	maxSecretFile = 64 << 10 // a password or token, not a blob
	maxPingsOut   = 100
	connNameChars = "letters, digits, '_' or '-'"
)

var connNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// connSuffixes are the suffixes of the variables of [ConnSettings] (URL,
// USER, …), in declaration order.
var connSuffixes = sync.OnceValue(func() []string {
	var suffixes []string
	for _, v := range collect(nil, reflect.TypeFor[ConnSettings](), "") {
		suffixes = append(suffixes, v.suffix)
	}
	return suffixes
})

// checkNATS checks the default connection and the client settings.
func (l *loader) checkNATS(c *NATSConfig) {
	const prefix = "NATS_"
	if !l.failed["NATS_PING_INTERVAL"] && c.PingInterval <= 0 {
		l.addf("NATS_PING_INTERVAL", "must be positive, got %s", c.PingInterval)
	}
	if !l.failed["NATS_MAX_PINGS_OUT"] && (c.MaxPingsOut < 1 || c.MaxPingsOut > maxPingsOut) {
		l.addf("NATS_MAX_PINGS_OUT", "must be between 1 and %d, got %d", maxPingsOut, c.MaxPingsOut)
	}
	if c.URL != "" {
		l.checkConn(prefix, &c.ConnSettings)
		return
	}
	// Setting credentials and forgetting NATS_URL would otherwise start an
	// embedded server silently, and the bridge would bridge nothing.
	for _, suffix := range connSuffixes() {
		if name := prefix + suffix; suffix != "URL" && l.set(name) {
			l.addf(name, "only used with NATS_URL, which is unset (the bridge would run an embedded server)")
		}
	}
}

// checkConn validates the settings of one connection whose variables start
// with prefix (NATS_ or BRIDGE_CONN_<k>_), and replaces Password and Token
// by the contents of their _FILE variables. The default connection and
// every BRIDGE_CONN_<k> go through it, so that they follow the same rules.
func (l *loader) checkConn(prefix string, c *ConnSettings) {
	v := func(suffix string) string { return prefix + suffix }
	has := func(suffixes ...string) bool {
		return slices.ContainsFunc(suffixes, func(s string) bool { return l.set(v(s)) })
	}

	if c.URL == "" {
		if !l.failed[v("URL")] {
			l.addf(v("URL"), "required")
		}
	} else {
		for i, raw := range strings.Split(c.URL.Reveal(), ",") {
			if err := checkServerURL(strings.TrimSpace(raw)); err != nil {
				l.addf(v("URL"), "server %d: %w", i+1, err)
			}
		}
	}

	c.Password = l.secret(v("PASSWORD"), c.Password, c.PasswordFile)
	c.Token = l.secret(v("TOKEN"), c.Token, c.TokenFile)

	if has("USER") && !has("PASSWORD", "PASSWORD_FILE") {
		l.addf(v("USER"), "requires %s or %s", v("PASSWORD"), v("PASSWORD_FILE"))
	}
	for _, s := range []string{"PASSWORD", "PASSWORD_FILE"} {
		if has(s) && !has("USER") {
			l.addf(v(s), "requires %s", v("USER"))
		}
	}
	for _, s := range []string{"TOKEN", "TOKEN_FILE"} {
		if has(s) && has("USER", "PASSWORD", "PASSWORD_FILE") {
			l.addf(v(s), "cannot be combined with %s and %s", v("USER"), v("PASSWORD"))
		}
	}
	if has("NKEY") && has("CREDS") {
		l.addf(v("NKEY"), "cannot be combined with %s", v("CREDS"))
	}
	l.pair(v("TLS_CERT"), v("TLS_KEY"))
	for _, s := range []string{"CREDS", "NKEY", "TLS_CA", "TLS_CERT", "TLS_KEY"} {
		if path := l.vars[v(s)]; path != "" {
			if err := checkFile(path); err != nil {
				l.add(v(s), err)
			}
		}
	}
}

// secret returns the value of a secret variable, or the contents of the
// file its _FILE variable names, without one trailing newline (files are
// written by editors and `echo`). Problems name the variables and the path,
// never what the file holds.
func (l *loader) secret(name string, value Secret, path string) Secret {
	fileVar := name + "_FILE"
	if path == "" {
		return value
	}
	if value != "" {
		l.addf(fileVar, "cannot be combined with %s: set one of them", name)
		return value
	}
	b, err := readSecretFile(path)
	if err != nil {
		l.add(fileVar, err)
		return ""
	}
	return Secret(b)
}

// readSecretFile reads a small regular file. A FIFO or a device could
// block or never end, so only regular files (or links to one, as
// Kubernetes mounts secrets) are read.
func readSecretFile(path string) ([]byte, error) {
	// Stat before opening: opening a FIFO blocks until it has a writer.
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %q: %w", path, unwrapPath(err))
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%q is not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %q: %w", path, unwrapPath(err))
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("cannot read %q: %w", path, unwrapPath(err))
	case len(b) > maxSecretFile:
		return nil, fmt.Errorf("%q is larger than %d KiB", path, maxSecretFile>>10)
	}
	b, ok := bytes.CutSuffix(b, []byte("\n"))
	if ok {
		b, _ = bytes.CutSuffix(b, []byte("\r"))
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("%q is empty", path)
	}
	return b, nil
}

// unwrapPath drops the operation and path of a *fs.PathError, which the
// messages above give themselves.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// loadConns finds the connection indexes in the environment, reports
// unknown BRIDGE_CONN_ variables and gaps, and loads and validates every
// connection present, like loadRoutes does for routes.
func (l *loader) loadConns(cfg *Config) {
	present := map[int][]string{} // index -> its variables, sorted
	for _, name := range slices.Sorted(maps.Keys(l.vars)) {
		if !strings.HasPrefix(name, connPrefix) {
			continue
		}
		m := connKeyRE.FindStringSubmatch(name)
		switch {
		case m == nil:
			l.addf(name, "unknown variable (connection variables are %s<k>_NAME, %s<k>_URL, …)", connPrefix, connPrefix)
			continue
		case index().conn[m[2]].name == "":
			l.addf(name, "unknown variable (connection variables end in %s)", strings.Join(slices.Sorted(maps.Keys(index().conn)), ", "))
			continue
		case len(m[1]) > 1 && m[1][0] == '0':
			l.addf(name, "connection index %s has a leading zero", m[1])
			continue
		}
		k, err := strconv.Atoi(m[1])
		if err != nil {
			l.addf(name, "connection index %s is too large", m[1])
			continue
		}
		present[k] = append(present[k], name)
	}

	indexes := slices.Sorted(maps.Keys(present))
	for _, k := range indexes {
		if k > 0 && present[k-1] == nil {
			l.addf(present[k][0], "connection index %d is set but connection %d is not (connections are numbered from 0 without gaps)", k, k-1)
		}
	}
	names := map[string]int{}
	for _, k := range indexes {
		c := l.conn(k)
		if first, dup := names[c.Name]; dup && c.Name != "" {
			l.addf(connVar(k, "NAME"), "name %q is already used by %s", c.Name, connVar(first, "NAME"))
		} else {
			names[c.Name] = k
		}
		cfg.Conns = append(cfg.Conns, c)
	}
}

func connVar(k int, suffix string) string {
	return connPrefix + strconv.Itoa(k) + "_" + suffix
}

// conn parses and validates connection k.
func (l *loader) conn(k int) Conn {
	prefix := connPrefix + strconv.Itoa(k) + "_"
	c := Conn{Index: k}
	if err := env.ParseWithOptions(&c, env.Options{Environment: l.vars, Prefix: prefix}); err != nil {
		l.envErrors(err, prefix, index().connByField)
	}
	switch {
	case l.failed[prefix+"NAME"]:
	case c.Name == DefaultConn:
		l.addf(prefix+"NAME", "%q is the name of the NATS_* connection; choose another", DefaultConn)
	case !connNameRE.MatchString(c.Name) || len(c.Name) > bridge.MaxNameLen:
		l.addf(prefix+"NAME", "invalid name %q (want at most %d %s)", c.Name, bridge.MaxNameLen, connNameChars)
	}
	l.checkConn(prefix, &c.ConnSettings)
	return c
}

// pair reports each of a and b that is set without the other.
func (l *loader) pair(a, b string) {
	if l.set(a) && !l.set(b) {
		l.addf(a, "requires %s", b)
	}
	if l.set(b) && !l.set(a) {
		l.addf(b, "requires %s", a)
	}
}

// checkServerURL checks one entry of a URL list the way nats.go will read
// it. Its messages show the URL redacted, since it may hold credentials.
func checkServerURL(raw string) error {
	if raw == "" {
		return errors.New("empty URL")
	}
	withScheme := raw
	if !strings.Contains(raw, "://") {
		withScheme = "nats://" + raw // as nats.go does
	}
	u, err := url.Parse(withScheme)
	if err != nil {
		// err holds the URL unredacted.
		return fmt.Errorf("%s is not a valid URL", redactURL(raw))
	}
	switch strings.ToLower(u.Scheme) {
	case "nats", "tls", "ws", "wss":
	default:
		return fmt.Errorf("%s has unsupported scheme %q (want nats, tls, ws, wss)", redactURL(raw), u.Scheme)
	}
	if u.Hostname() == "" {
		return fmt.Errorf("%s has no host", redactURL(raw))
	}
	return nil
}

func checkFile(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("cannot use file: %w", err)
	}
	if fi.IsDir() {
		return fmt.Errorf("%q is a directory, want a file", path)
	}
	return nil
}
