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
// # Documentation
//
// Every variable is declared once, by the env, envDefault and help tags of
// the structs in this package. [Usage], [Markdown], [Variables] and [Known]
// are generated from those tags by reflection, and docs/configuration.md is
// generated from [Markdown] (go generate ./internal/config, or make docs).
//
// # Secrets
//
// NATS_PASSWORD and NATS_TOKEN are held as [Secret] values, which format and
// log as "[redacted]"; credentials embedded in NATS_URL are redacted too.
// No error returned by [Load] contains a secret.
package config
