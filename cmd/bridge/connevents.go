package main

import (
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/natsbridge/bridge/internal/config"
	"github.com/natsbridge/bridge/metrics"
)

// repeatEvery is how often a connection that keeps failing for the same
// reason says so again.
const repeatEvery = 30 * time.Second

// maxReasons bounds the reasons remembered between two connections (a
// cluster whose servers fail in different ways).
const maxReasons = 16

// connEvents logs the events of one connection, under its name, and
// records them in its metrics. Its methods are the connection's handlers;
// failed is also called from the reconnect delay, so it locks.
type connEvents struct {
	logger  *slog.Logger
	m       *metrics.Conn
	secrets []string
	vars    string // prefix of the connection's variables, for hints
	creds   string // the variables of its credentials, for hints
	pings   string // "2 pings 10s apart", for the stale-connection hint
	now     func() time.Time

	mu        sync.Mutex
	downSince time.Time // zero while connected
	reasons   map[string]*reason
	failures  int // failed attempts since the last connection
}

// reason is one way the connection failed since it last connected.
type reason struct {
	logged     time.Time
	suppressed int
}

func newConnEvents(name, vars string, s config.ConnSettings, n config.NATSConfig, logger *slog.Logger, m *metrics.Conn) *connEvents {
	creds := "none is configured"
	switch {
	case s.User != "":
		creds = vars + "USER and " + vars + "PASSWORD"
	case s.Token != "":
		creds = vars + "TOKEN"
	case s.Creds != "":
		creds = vars + "CREDS"
	case s.NKey != "":
		creds = vars + "NKEY"
	}
	return &connEvents{
		logger:    logger.With("connection", name),
		m:         m,
		secrets:   secrets(s),
		vars:      vars,
		creds:     creds,
		pings:     fmt.Sprintf("%d %s %s apart", n.MaxPingsOut, plural(n.MaxPingsOut, "ping"), n.PingInterval),
		now:       time.Now,
		downSince: time.Now(),
		reasons:   map[string]*reason{},
	}
}

func (e *connEvents) redact(err error) error { return redact(err, e.secrets) }

// connected is the handler of the first connection.
func (e *connEvents) connected(nc *nats.Conn) {
	e.m.Connected()
	attrs := []any{"server", nc.ConnectedUrlRedacted()}
	e.logger.Info("connected to NATS", append(attrs, e.up(false)...)...)
}

func (e *connEvents) reconnected(nc *nats.Conn) {
	e.m.Reconnected()
	attrs := []any{"server", nc.ConnectedUrlRedacted(), "reconnects", nc.Reconnects}
	e.logger.Info("reconnected to NATS", append(attrs, e.up(true)...)...)
}

// up resets the failure state and returns what the connection went
// through, for the log: how long it was down (since the start, for a first
// connection that took attempts) and how many attempts failed.
func (e *connEvents) up(reconnect bool) []any {
	e.mu.Lock()
	defer e.mu.Unlock()
	var attrs []any
	if (reconnect || e.failures > 0) && !e.downSince.IsZero() {
		attrs = append(attrs, "down_for", e.now().Sub(e.downSince).Round(time.Millisecond))
	}
	if e.failures > 0 {
		attrs = append(attrs, "failed_attempts", e.failures)
	}
	e.downSince, e.failures = time.Time{}, 0
	clear(e.reasons)
	return attrs
}

func (e *connEvents) disconnected(_ *nats.Conn, err error) {
	e.m.Disconnected()
	e.mu.Lock()
	if e.downSince.IsZero() {
		e.downSince = e.now()
	}
	e.mu.Unlock()
	if err == nil {
		return // our own Close
	}
	attrs := []any{"err", e.redact(err)}
	if errors.Is(err, nats.ErrStaleConnection) {
		attrs = append(attrs, "reason", "the server did not answer "+e.pings+" (NATS_PING_INTERVAL, NATS_MAX_PINGS_OUT)")
	}
	e.logger.Warn("disconnected from NATS", attrs...)
}

// numbersRE matches what differs between two failures for the same
// reason: addresses and ports ("write tcp 127.0.0.1:58522->…").
var numbersRE = regexp.MustCompile(`[0-9]+`)

// failed logs a failed attempt to connect: the first time for each reason,
// then at most every repeatEvery with the number of repeats in between.
func (e *connEvents) failed(err error) {
	err = e.redact(err)
	msg := err.Error()
	key := numbersRE.ReplaceAllString(strings.ToLower(msg), "0")
	e.mu.Lock()
	e.failures++
	now := e.now()
	r, seen := e.reasons[key]
	if !seen {
		if len(e.reasons) >= maxReasons {
			clear(e.reasons)
		}
		r = &reason{}
		e.reasons[key] = r
	}
	if seen && now.Sub(r.logged) < repeatEvery {
		r.suppressed++
		e.mu.Unlock()
		return
	}
	repeated := r.suppressed
	r.logged, r.suppressed = now, 0
	attrs := []any{"err", msg, "failed_attempts", e.failures}
	if !e.downSince.IsZero() {
		attrs = append(attrs, "down_for", now.Sub(e.downSince).Round(time.Millisecond))
	}
	e.mu.Unlock()

	if hint := e.hint(err); hint != "" {
		attrs = append(attrs, "reason", hint)
	}
	if !seen {
		e.logger.Warn("cannot connect to NATS; retrying", attrs...)
		return
	}
	attrs = append(attrs, "repeated", repeated)
	e.logger.Warn("still cannot connect to NATS; retrying", attrs...)
}

// hint says in the terms of the configuration what an error means, when
// it is one a setting can cause.
func (e *connEvents) hint(err error) string {
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	msg := strings.ToLower(err.Error())
	switch {
	case errors.Is(err, nats.ErrAuthorization), strings.Contains(msg, "authorization violation"):
		return "the server refused the credentials (" + e.creds + ")"
	case errors.Is(err, nats.ErrAuthExpired), errors.Is(err, nats.ErrAuthRevoked), errors.Is(err, nats.ErrAccountAuthExpired):
		return "the server no longer accepts the credentials (" + e.creds + ")"
	case errors.As(err, &unknownCA), strings.Contains(msg, "certificate signed by unknown authority"):
		return "the server's certificate is not signed by a CA of " + e.vars + "TLS_CA"
	case errors.As(err, &hostname), strings.Contains(msg, "certificate is valid for"):
		return "the server's certificate is not valid for the host in the URL"
	case strings.Contains(msg, "certificate required"), strings.Contains(msg, "bad certificate"), strings.Contains(msg, "unknown certificate authority"):
		return "the server refused the client certificate (" + e.vars + "TLS_CERT and " + e.vars + "TLS_KEY)"
	case strings.Contains(msg, "closed by remote after tls handshake"):
		// TLS 1.3: the server checks the client's certificate after the
		// client has finished its handshake, and can only hang up.
		return "the server hung up after the TLS handshake: it may refuse the client certificate (" + e.vars + "TLS_CERT and " + e.vars + "TLS_KEY)"
	case errors.Is(err, nats.ErrSecureConnRequired):
		return "the server requires TLS (a tls:// URL, or " + e.vars + "TLS_CA)"
	}
	return ""
}

// connReady returns nil if every connection in names is connected, or an
// error naming the first one that is not and its state.
func connReady(names []string, byName map[string]*nats.Conn) error {
	for _, name := range names {
		if nc := byName[name]; !nc.IsConnected() {
			return fmt.Errorf("not ready: connection %q is %v", name, nc.Status())
		}
	}
	return nil
}
