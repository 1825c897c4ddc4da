// Package config reads the bridge's configuration from environment variables
// and validates it.
//
// [Load] parses an environment (as returned by os.Environ) into a [Config]
// with github.com/caarlos0/env, applies defaults, and validates everything at
// once: the returned error lists every problem, each naming the offending
// variable, and matches [ErrInvalid].
//
// # Routes
//
// Routes are numbered from 0 without gaps: BRIDGE_ROUTE_0_IN,
// BRIDGE_ROUTE_1_IN, … Each index is parsed with its own prefix
// (BRIDGE_ROUTE_<n>_), because env's native slice-of-struct support silently
// stops at the first gap, stops at the first route with a bad value, and
// reports bad values by Go field name only. [Load] scans the environment for
// the indexes itself and reports gaps and unknown variables.
//
// # Connections
//
// The connection configured by NATS_* is named "default"; BRIDGE_CONN_<k>_*
// configure more, numbered like routes. Both are a [ConnSettings], checked
// by one function, so that BRIDGE_CONN_0_USER follows the rules of
// NATS_USER. Routes name theirs in IN_CONN and OUT_CONN;
// [Config.UsedConns] lists the connections to open.
//
// # Documentation
//
// Every variable is declared once, by the env, envDefault and help tags of
// the structs in this package. [Usage], [Markdown], [Variables] and [Known]
// are generated from those tags by reflection, and docs/configuration.md is
// generated from [Markdown] (go generate ./internal/config, or make docs).
//
// # Secrets
//
// Passwords and tokens are held as [Secret] values, which format and log as
// "[redacted]"; credentials embedded in URLs are redacted too. Each can be
// read from a file instead (NATS_PASSWORD_FILE, …), as Docker and
// Kubernetes mount secrets. No error returned by [Load] contains a secret,
// nor the contents of a file.
package config
