package config

import (
	"cmp"
	"encoding"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/natsbridge/bridge/stream"
)

// Load parses environ, a list of "KEY=value" strings like os.Environ, into a
// Config, applies defaults and validates it. Only environ is read, never the
// process environment.
//
// When the configuration has problems, Load returns a *[Error] listing all
// of them, each naming its variable; it matches [ErrInvalid]. Any other
// error is an internal failure.
//
// Defaults that are not fixed: a route's NAME is route<n>, its QUEUE is
// bridge.<name>, and the DURABLE of a JetStream route is bridge-<name> with
// '.' replaced by '_'. BRIDGE_EMBEDDED_STORE is nats-bridge under
// os.TempDir(). Without NATS_URL and without any route variable, Routes holds
// the demo route (demo: demo.in.> to demo.out.>) and Demo is set; with
// NATS_URL, at least one route is required.
func Load(environ []string) (*Config, error) {
	l := &loader{vars: toMap(environ), failed: map[string]bool{}}
	cfg := &Config{}
	if err := env.ParseWithOptions(cfg, env.Options{Environment: l.vars}); err != nil {
		l.envErrors(err, "", index().topByField)
	}
	l.checkNATS(&cfg.NATS)
	l.loadConns(cfg)
	l.checkEmbedded(cfg)
	l.checkService(&cfg.Service)
	l.checkTracing(&cfg.Tracing)
	l.loadRoutes(cfg)
	l.checkRouteConns(cfg)
	if l.internal != nil {
		return nil, l.internal
	}
	if len(l.problems) > 0 {
		// Found check by check; listed in the order of the documentation,
		// route by route, so that a long list reads like the configuration.
		slices.SortStableFunc(l.problems, func(a, b *Problem) int {
			return cmp.Compare(varOrder(a.Var), varOrder(b.Var))
		})
		return nil, &Error{Problems: l.problems}
	}
	return cfg, nil
}

// varOrder orders variables as the documentation does: top-level variables,
// then connection variables by index, then route variables by index, and
// unknown variables last.
func varOrder(name string) int {
	const (
		perIndex = 100     // more than the variables of a route or a connection
		band     = 1 << 40 // more than perIndex times any index below
	)
	if v, ok := index().top[name]; ok {
		return v.pos
	}
	for i, list := range []struct {
		re   *regexp.Regexp
		vars map[string]variable
	}{{connKeyRE, index().conn}, {routeKeyRE, index().route}} {
		if m := list.re.FindStringSubmatch(name); m != nil {
			if v, ok := list.vars[m[2]]; ok {
				if n, err := strconv.Atoi(m[1]); err == nil && n < math.MaxInt32 {
					return band*(i+1) + perIndex*n + v.pos
				}
			}
		}
	}
	return math.MaxInt
}

// toMap turns an environ list into the map env reads. The map is never nil:
// given a nil Environment, env would read the process environment instead.
// As with exec.Cmd, a later duplicate wins.
func toMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			m[k] = v
		}
	}
	return m
}

// loader collects the problems found while loading.
type loader struct {
	vars     map[string]string
	problems []*Problem
	// failed holds the variables already reported, so that checks of their
	// (zero) value do not report them twice.
	failed   map[string]bool
	internal error
}

func (l *loader) add(name string, err error) {
	l.problems = append(l.problems, &Problem{Var: name, Err: err})
	l.failed[name] = true
}

func (l *loader) addf(name, format string, args ...any) {
	l.add(name, fmt.Errorf(format, args...))
}

// set reports whether the variable is set to a non-empty value. env treats
// an empty value as unset too (it then applies the default).
func (l *loader) set(name string) bool { return l.vars[name] != "" }

// envErrors turns the errors of env.ParseWithOptions into problems that
// name the variable. env reports a bad value with the Go field name only, so
// byField maps field names to variable names (prefix + byField[field]).
// Errors that are not about a value (such as an unsupported tag) are bugs of
// this package and are kept as internal.
func (l *loader) envErrors(err error, prefix string, byField map[string]string) {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		l.internalf(err)
		return
	}
	for _, e := range agg.Errors {
		var (
			parseErr env.ParseError
			notSet   env.VarIsNotSetError
			empty    env.EmptyVarError
		)
		switch {
		case errors.As(e, &parseErr):
			key, ok := byField[parseErr.Name]
			if !ok {
				l.internalf(e)
				continue
			}
			name := prefix + key
			l.add(name, describeParseError(parseErr, l.vars[name]))
		case errors.As(e, &notSet):
			l.addf(notSet.Key, "required")
		case errors.As(e, &empty):
			l.addf(empty.Key, "required")
		default:
			l.internalf(e)
		}
	}
}

func (l *loader) internalf(err error) {
	if l.internal == nil {
		l.internal = fmt.Errorf("config: internal error: %w", err)
	}
}

// describeParseError rewrites env's message ("parse error on field "Buffer"
// of type "int": strconv.ParseInt: …") in the terms of a variable's value.
func describeParseError(e env.ParseError, raw string) error {
	if e.Type == reflect.TypeFor[stream.Overflow]() {
		// fail parses, and the route's rules reject it.
		return &wrapped{fmt.Sprintf("unknown policy %q (want block, drop_newest, drop_oldest)", raw), e.Err}
	}
	if reflect.PointerTo(e.Type).Implements(reflect.TypeFor[encoding.TextUnmarshaler]()) {
		// Worded by the type's package, for its own values.
		msg := e.Err.Error()
		for _, prefix := range []string{"stream: invalid option: ", "jq: invalid option: "} {
			msg = strings.TrimPrefix(msg, prefix)
		}
		return &wrapped{msg, e.Err}
	}
	if e.Type == reflect.TypeFor[time.Duration]() {
		return &wrapped{fmt.Sprintf("invalid duration %q (want a number with a unit, e.g. 500ms, 30s, 2m)", raw), e.Err}
	}
	switch e.Type.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if errors.Is(e.Err, strconv.ErrRange) {
			return &wrapped{fmt.Sprintf("number %q is out of range", raw), e.Err}
		}
		return &wrapped{fmt.Sprintf("invalid number %q", raw), e.Err}
	}
	// The UnmarshalText methods of this package word their own errors.
	return e.Err
}

// wrapped is an error with its own message that still unwraps to its cause.
type wrapped struct {
	msg string
	err error
}

func (w *wrapped) Error() string { return w.msg }
func (w *wrapped) Unwrap() error { return w.err }

func (l *loader) checkEmbedded(cfg *Config) {
	e := &cfg.Embedded
	if !cfg.UseEmbedded() {
		for _, name := range []string{"BRIDGE_EMBEDDED_LISTEN", "BRIDGE_EMBEDDED_STORE"} {
			if l.set(name) {
				l.addf(name, "only used when NATS_URL is unset")
			}
		}
		return
	}
	l.checkAddr("BRIDGE_EMBEDDED_LISTEN", e.Listen)
	if e.Store == "" {
		e.Store = filepath.Join(os.TempDir(), "nats-bridge")
	}
	if fi, err := os.Stat(e.Store); err == nil && !fi.IsDir() {
		l.addf("BRIDGE_EMBEDDED_STORE", "%q is a file, want a directory", e.Store)
	}
}

func (l *loader) checkService(s *ServiceConfig) {
	// env applies the default to an empty value; here empty means disabled.
	if v, ok := l.vars["BRIDGE_METRICS_ADDR"]; ok && v == "" {
		s.MetricsAddr = ""
	} else {
		l.checkAddr("BRIDGE_METRICS_ADDR", s.MetricsAddr)
	}
	if !l.failed["BRIDGE_SHUTDOWN_TIMEOUT"] && s.ShutdownTimeout <= 0 {
		l.addf("BRIDGE_SHUTDOWN_TIMEOUT", "must be positive, got %s", s.ShutdownTimeout)
	}
}

// checkAddr checks a listen address: host:port with an empty or any host
// and a numeric port.
func (l *loader) checkAddr(name, addr string) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		l.addf(name, "invalid address %q (want host:port, e.g. 127.0.0.1:4222 or :9090)", addr)
		return
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		l.addf(name, "invalid port %q in %q (want 0 to 65535)", port, addr)
	}
}
