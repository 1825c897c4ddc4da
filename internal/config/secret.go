package config

import (
	"log/slog"
	"strings"
)

const redacted = "[redacted]"

// Secret is a string that must not be shown: it formats (%v, %s, %+v, %#v),
// logs and marshals as "[redacted]", or as "" when empty so that whether it
// is set stays visible. Use [Secret.Reveal] where the value is needed.
type Secret string

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

// String returns "[redacted]", or "" when s is empty.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString is String, so that %#v does not print the value either.
func (s Secret) GoString() string { return `"` + s.String() + `"` }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText implements encoding.TextMarshaler (used by encoding/json and
// slog's JSON handler), returning the redacted form.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// ServerList is the value of NATS_URL: server URLs separated by commas.
// URLs may carry credentials (nats://user:password@host, nats://token@host),
// so a ServerList formats, logs and marshals with them replaced by
// "[redacted]"; use [ServerList.Servers] or [ServerList.Reveal] to connect.
type ServerList string

// Servers returns the URLs, trimmed of blanks, credentials included.
func (l ServerList) Servers() []string {
	var urls []string
	for u := range strings.SplitSeq(string(l), ",") {
		if u = strings.TrimSpace(u); u != "" {
			urls = append(urls, u)
		}
	}
	return urls
}

// Reveal returns the list as set, credentials included.
func (l ServerList) Reveal() string { return string(l) }

// String returns the URLs, separated by commas, with credentials redacted.
func (l ServerList) String() string {
	servers := l.Servers()
	for i, u := range servers {
		servers[i] = redactURL(u)
	}
	return strings.Join(servers, ",")
}

// GoString is String, quoted, so that %#v does not print credentials.
func (l ServerList) GoString() string { return `"` + l.String() + `"` }

// LogValue implements slog.LogValuer.
func (l ServerList) LogValue() slog.Value { return slog.StringValue(l.String()) }

// MarshalText implements encoding.TextMarshaler, returning String.
func (l ServerList) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// redactURL replaces the user information of a server URL, which may hold a
// password or a token, by "[redacted]". It works on the string rather than
// with net/url, which would misplace the boundary when a password contains an
// unescaped '/' or '#' and so leave part of it visible.
func redactURL(raw string) string {
	scheme, rest, hasScheme := strings.Cut(raw, "://")
	if !hasScheme {
		rest = raw
	}
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return raw
	}
	if hasScheme {
		return scheme + "://" + redacted + rest[at:]
	}
	return redacted + rest[at:]
}
