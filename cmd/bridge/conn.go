package main

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/natsbridge/bridge/internal/config"
	"github.com/natsbridge/bridge/metrics"
)

// Reconnection pacing: a wait of reconnectWait plus up to reconnectJitter
// between two rounds over a connection's servers, so that the replicas of
// a bridge do not all come back at the same instant.
const (
	reconnectWait   = time.Second
	reconnectJitter = time.Second
)

// connect dials the connection named name, to url (its servers, or the
// embedded server's for "default" without NATS_URL), with the credentials
// configured for it. Every connection of the bridge is made here, so that
// all follow the same rules:
//
//   - It never gives up: not when the servers are unreachable at start,
//     not after any number of refused credentials (nats.go stops after the
//     same authorization error twice unless told otherwise), so that a
//     bridge whose secret is rotated on the server recovers by itself.
//   - A connection that goes silent is noticed within NATS_PING_INTERVAL
//     times NATS_MAX_PINGS_OUT + 1, and a write that stalls for
//     NATS_MAX_PINGS_OUT intervals counts as the same silence (nats.go
//     holds the connection's lock while it writes, so a stalled write
//     would also stall the pings, for a minute by default).
//   - Its events are logged under its name and recorded in m, which may be
//     nil; failed attempts are logged once per reason, then every 30 s.
func connect(cfg *config.Config, name, url string, logger *slog.Logger, m *metrics.Metrics) (*nats.Conn, error) {
	s, ok := cfg.Conn(name)
	if !ok {
		return nil, fmt.Errorf("connection %q is not configured", name)
	}
	ev := newConnEvents(name, connVars(cfg, name), s, cfg.NATS, logger, m.Conn(name))
	var conn atomic.Pointer[nats.Conn] // set once Connect returns
	pings := cfg.NATS.PingInterval
	opts := []nats.Option{
		nats.Name("nats-bridge"),
		nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(true),
		nats.IgnoreAuthErrorAbort(),
		nats.PingInterval(pings),
		nats.MaxPingsOutstanding(cfg.NATS.MaxPingsOut),
		nats.FlusherTimeout(pings * time.Duration(cfg.NATS.MaxPingsOut)),
		nats.ReconnectOnFlusherError(),
		// Called before each wait between rounds of attempts. A refused
		// handshake (credentials, TLS) reaches no other handler while the
		// first connection is still being made, nor a TLS failure later:
		// the client only keeps it as its last error.
		nats.CustomReconnectDelay(func(int) time.Duration {
			if nc := conn.Load(); nc != nil {
				if err := nc.LastError(); err != nil {
					ev.failed(err)
				}
			}
			return reconnectWait + rand.N(reconnectJitter)
		}),
		// The client calls these handlers one at a time, in the order of
		// the events, so bridge_nats_connected ends on the latest state.
		nats.ConnectHandler(ev.connected),
		nats.ReconnectHandler(ev.reconnected),
		nats.DisconnectErrHandler(ev.disconnected),
		nats.ReconnectErrHandler(func(_ *nats.Conn, err error) { ev.failed(err) }),
		nats.ClosedHandler(func(*nats.Conn) { ev.m.Disconnected() }),
		nats.ErrorHandler(func(nc *nats.Conn, sub *nats.Subscription, err error) {
			switch {
			case errors.Is(err, nats.ErrSlowConsumer):
				return // counted and logged per route
			case sub == nil && !nc.IsConnected():
				return // a refused reconnection: the reconnect delay logs it
			}
			subject := ""
			if sub != nil {
				subject = sub.Subject
			}
			ev.logger.Warn("NATS error", "err", ev.redact(err), "subject", subject)
		}),
	}
	if s.User != "" {
		opts = append(opts, nats.UserInfo(s.User, s.Password.Reveal()))
	}
	if s.Token != "" {
		opts = append(opts, nats.Token(s.Token.Reveal()))
	}
	if s.Creds != "" {
		opts = append(opts, nats.UserCredentials(s.Creds))
	}
	if s.NKey != "" {
		o, err := nats.NkeyOptionFromSeed(s.NKey)
		if err != nil {
			return nil, fmt.Errorf("connection %q: %s: %w", name, ev.vars+"NKEY", ev.redact(err))
		}
		opts = append(opts, o)
	}
	if s.TLSCA != "" {
		opts = append(opts, nats.RootCAs(s.TLSCA))
	}
	if s.TLSCert != "" {
		opts = append(opts, nats.ClientCert(s.TLSCert, s.TLSKey))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		// Errors from nats.Connect can include the URL; print the
		// redacted list instead.
		return nil, fmt.Errorf("connect to NATS %s (connection %q): %w", s.URL, name, ev.redact(err))
	}
	conn.Store(nc)
	return nc, nil
}

// connVars returns the prefix of the variables of a connection: NATS_ or
// BRIDGE_CONN_<k>_.
func connVars(cfg *config.Config, name string) string {
	for _, c := range cfg.Conns {
		if c.Name == name {
			return fmt.Sprintf("BRIDGE_CONN_%d_", c.Index)
		}
	}
	return "NATS_"
}

// secrets returns what must never be shown of a connection's settings:
// its password and token, and the user information of its URLs.
func secrets(s config.ConnSettings) []string {
	var out []string
	for _, v := range []string{s.Password.Reveal(), s.Token.Reveal()} {
		if v != "" {
			out = append(out, v)
		}
	}
	for _, u := range s.URL.Servers() {
		_, rest, ok := strings.Cut(u, "://")
		if !ok {
			rest = u
		}
		if at := strings.LastIndexByte(rest, '@'); at > 0 {
			out = append(out, rest[:at])
		}
	}
	return out
}

// redact replaces every one of secrets in err's message by "[redacted]".
func redact(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, s := range secrets {
		msg = strings.ReplaceAll(msg, s, "[redacted]")
	}
	if msg == err.Error() {
		return err
	}
	return errors.New(msg)
}
