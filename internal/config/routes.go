package config

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/caarlos0/env/v11"
	"github.com/itchyny/gojq"
	"github.com/nats-io/nats-server/v2/server"

	"github.com/natsbridge/bridge/internal/subjectmap"
)

// Limits of route settings.
const (
	maxNameLen  = 64 // a route name is a metric label value
	maxBuffer   = 1 << 24
	maxWorkers  = 1024
	maxJSName   = 255 // JetStream's limit on stream and consumer names
	nameChars   = "letters, digits, '_', '.' or '-'"
	jsNameRules = "no spaces, '.', '*', '>', '/' or '\\'"
)

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// demoRoute is the route used when none is configured in embedded mode.
var demoRoute = map[string]string{"NAME": "demo", "IN": "demo.in.>", "OUT": "demo.out.>"}

// loadRoutes finds the route indexes in the environment, reports unknown
// BRIDGE_ variables and gaps, and loads and validates every route present,
// even after a gap, so that all problems are reported at once.
func (l *loader) loadRoutes(cfg *Config) {
	present := map[int][]string{} // index -> its variables, sorted
	for _, name := range slices.Sorted(maps.Keys(l.vars)) {
		if !strings.HasPrefix(name, "BRIDGE_") {
			continue
		}
		if _, ok := index().top[name]; ok || strings.HasPrefix(name, connPrefix) {
			continue // loadConns reports unknown BRIDGE_CONN_ variables
		}
		m := routeKeyRE.FindStringSubmatch(name)
		switch {
		case m == nil:
			l.addf(name, "unknown variable")
			continue
		case index().route[m[2]].name == "":
			l.addf(name, "unknown variable (route variables end in %s)", strings.Join(routeSuffixes(), ", "))
			continue
		case len(m[1]) > 1 && m[1][0] == '0':
			l.addf(name, "route index %s has a leading zero", m[1])
			continue
		}
		n, err := strconv.Atoi(m[1])
		if err != nil {
			l.addf(name, "route index %s is too large", m[1])
			continue
		}
		present[n] = append(present[n], name)
	}

	if len(present) == 0 {
		if !cfg.UseEmbedded() {
			l.addf(routePrefix+"0_IN", "required: NATS_URL is set, so at least one route must be configured")
			return
		}
		vars := map[string]string{}
		for suffix, v := range demoRoute {
			vars[routePrefix+"0_"+suffix] = v
		}
		demo := &loader{vars: vars, failed: map[string]bool{}}
		cfg.Routes = []Route{demo.route(0)}
		cfg.Demo = true
		l.problems = append(l.problems, demo.problems...)
		if l.internal == nil {
			l.internal = demo.internal
		}
		return
	}

	indexes := slices.Sorted(maps.Keys(present))
	for _, n := range indexes {
		if n > 0 && present[n-1] == nil {
			name := present[n][0]
			if in := routeVar(n, "IN"); slices.Contains(present[n], in) {
				name = in
			}
			l.addf(name, "route index %d is set but route %d is not (routes are numbered from 0 without gaps)", n, n-1)
		}
	}
	for _, n := range indexes {
		cfg.Routes = append(cfg.Routes, l.route(n))
	}
	l.checkUnique(cfg.Routes)
}

func routeVar(n int, suffix string) string {
	return routePrefix + strconv.Itoa(n) + "_" + suffix
}

func routeSuffixes() []string {
	var suffixes []string
	for _, s := range catalogue() {
		if s.route {
			for _, v := range s.vars {
				suffixes = append(suffixes, v.suffix)
			}
		}
	}
	return suffixes
}

// route parses and validates route n. It uses env with the route's own
// prefix, which names the variables as env's slice support would
// (BRIDGE_ROUTE_<n>_IN) while keeping each route's errors apart.
func (l *loader) route(n int) Route {
	prefix := routePrefix + strconv.Itoa(n) + "_"
	name := func(suffix string) string { return prefix + suffix }
	r := Route{Index: n}
	if err := env.ParseWithOptions(&r, env.Options{Environment: l.vars, Prefix: prefix}); err != nil {
		l.envErrors(err, prefix, index().routeByField)
	}
	ok := func(suffix string) bool { return !l.failed[name(suffix)] }

	if r.Name == "" {
		r.Name = "route" + strconv.Itoa(n)
	} else if !nameRE.MatchString(r.Name) || len(r.Name) > maxNameLen {
		l.addf(name("NAME"), "invalid name %q (want at most %d %s)", r.Name, maxNameLen, nameChars)
	}

	inValid := false
	if ok("IN") {
		if inValid = server.IsValidSubject(r.In); !inValid {
			l.addf(name("IN"), "invalid subject %q", r.In)
		}
	}
	if inValid && ok("OUT") {
		m, err := subjectmap.New(r.In, r.Out)
		switch {
		case err != nil:
			l.add(name("OUT"), &wrapped{strings.TrimPrefix(err.Error(), "subjectmap: "), err})
		case r.SameConn() && feedsBack(r.Out, r.In):
			l.addf(name("OUT"), "every subject it maps to matches %s %q: messages would loop", name("IN"), r.In)
		default:
			r.Mapping = m
		}
	}

	if r.JQ != "" {
		code, err := compileJQ(r.JQ)
		if err != nil {
			l.addf(name("JQ"), "invalid jq program: %w", err)
		}
		r.Code = code
	}

	if r.DLQ != "" {
		switch {
		case !server.IsValidPublishSubject(r.DLQ):
			l.addf(name("DLQ"), "invalid subject %q (want a subject without wildcards)", r.DLQ)
		case inValid && server.SubjectMatchesFilter(r.DLQ, r.In):
			l.addf(name("DLQ"), "%q matches %s %q: dead letters would be processed again", r.DLQ, name("IN"), r.In)
		}
	}

	if ok("BUFFER") && (r.Buffer < 1 || r.Buffer > maxBuffer) {
		l.addf(name("BUFFER"), "must be between 1 and %d, got %d", maxBuffer, r.Buffer)
	}
	if ok("WORKERS") && (r.Workers < 1 || r.Workers > maxWorkers) {
		l.addf(name("WORKERS"), "must be between 1 and %d, got %d", maxWorkers, r.Workers)
	}
	if ok("TIMEOUT") && r.Timeout < 0 {
		l.addf(name("TIMEOUT"), "must not be negative, got %s", r.Timeout)
	}

	if !r.JetStream() {
		for _, suffix := range []string{"DURABLE", "MAX_DELIVER", "ACK_WAIT", "DEDUP"} {
			if l.set(name(suffix)) {
				l.addf(name(suffix), "only used by JetStream routes (set %s)", name("STREAM"))
			}
		}
		switch {
		case r.Queue == "none":
			r.Queue = ""
		case r.Queue == "":
			r.Queue = "bridge." + r.Name
		case strings.ContainsAny(r.Queue, " \t\r\n"):
			l.addf(name("QUEUE"), "invalid queue group %q (no whitespace allowed)", r.Queue)
		}
		return r
	}

	// JetStream route: replicas share the durable consumer, not a queue group.
	if l.set(name("QUEUE")) {
		l.addf(name("QUEUE"), "only used by core NATS routes; replicas of a JetStream route share %s", name("DURABLE"))
	}
	r.Queue = ""
	if !validJSName(r.Stream) {
		l.addf(name("STREAM"), "invalid stream name %q (%s)", r.Stream, jsNameRules)
	}
	if r.Durable == "" {
		r.Durable = "bridge-" + strings.ReplaceAll(r.Name, ".", "_")
	} else if !validJSName(r.Durable) {
		l.addf(name("DURABLE"), "invalid durable name %q (%s)", r.Durable, jsNameRules)
	}
	if ok("MAX_DELIVER") && r.MaxDeliver < 1 {
		l.addf(name("MAX_DELIVER"), "must be at least 1, got %d", r.MaxDeliver)
	}
	if l.set(name("OVERFLOW")) && r.Overflow != OverflowBlock {
		l.addf(name("OVERFLOW"), "a JetStream route never drops: it fetches only what its buffer has room for, so only %q applies", OverflowBlock)
	}
	if ok("ACK_WAIT") && r.AckWait <= 0 {
		l.addf(name("ACK_WAIT"), "must be positive, got %s", r.AckWait)
	}
	if ok("TIMEOUT") && ok("ACK_WAIT") && r.Timeout > 0 && r.AckWait > 0 && r.Timeout >= r.AckWait {
		l.addf(name("TIMEOUT"), "%s must be shorter than %s (%s), or a message could be redelivered while still in progress",
			r.Timeout, name("ACK_WAIT"), r.AckWait)
	}
	return r
}

// checkUnique reports route names, and durable consumers of one stream,
// used by more than one route. The later route is the one reported.
func (l *loader) checkUnique(routes []Route) {
	names := map[string]int{}
	durables := map[[2]string]int{}
	for _, r := range routes {
		if first, dup := names[r.Name]; dup {
			l.addf(routeVar(r.Index, "NAME"), "name %q is already used by route %d", r.Name, first)
		} else {
			names[r.Name] = r.Index
		}
		if !r.JetStream() {
			continue
		}
		key := [2]string{r.Stream, r.Durable}
		if first, dup := durables[key]; dup {
			l.addf(routeVar(r.Index, "DURABLE"), "durable %q of stream %q is already used by route %d", r.Durable, r.Stream, first)
		} else {
			durables[key] = r.Index
		}
	}
}

// validJSName applies nats-server's rules for stream and consumer names,
// which become file names in its store.
func validJSName(s string) bool {
	return s != "" && len(s) <= maxJSName && !strings.ContainsAny(s, " \t\r\n\f.*>/\\")
}

// feedsBack reports whether every subject out can map to is matched by in,
// so that a route would consume its own output forever. Mapping functions
// that may produce several tokens (split, slice…) make it unknowable; they
// are assumed not to loop.
func feedsBack(out, in string) bool {
	tokens := strings.Split(out, ".")
	for i, tok := range tokens {
		switch {
		case tok == ">":
		case strings.HasPrefix(tok, "{{"):
			f := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(tok, "{{")))
			if strings.HasPrefix(f, "split") || strings.HasPrefix(f, "slice") {
				return false
			}
			tokens[i] = "*"
		case len(tok) > 1 && tok[0] == '$':
			if _, err := strconv.Atoi(tok[1:]); err == nil {
				tokens[i] = "*"
			}
		}
	}
	// SubjectMatchesFilter accepts wildcards in its first argument too, and
	// is then true when all subjects it matches are matched by in.
	return server.SubjectMatchesFilter(strings.Join(tokens, "."), in)
}

// compileJQ compiles a jq program. The program declares no variables, and
// gojq gives it an empty $ENV (it never reads the process environment
// unless asked), so a program cannot read the credentials of the bridge.
func compileJQ(program string) (*gojq.Code, error) {
	q, err := gojq.Parse(program)
	if err != nil {
		var pe *gojq.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%w at offset %d", err, pe.Offset)
		}
		return nil, err
	}
	return gojq.Compile(q)
}
