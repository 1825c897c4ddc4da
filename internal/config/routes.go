package config

import (
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/caarlos0/env/v11"

	"github.com/natsbridge/bridge/bridge"
	"github.com/natsbridge/bridge/jq"
)

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
	l.checkRoutes(cfg.Routes)
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

// route parses route n and applies the rules that are about the
// environment: which variables apply to which kind of route, and the
// defaults that are not the library's. It uses env with the route's own
// prefix, which names the variables as env's slice support would
// (BRIDGE_ROUTE_<n>_IN) while keeping each route's errors apart. The rules
// of a route itself are bridge.RouteConfig's, applied by checkRoutes.
func (l *loader) route(n int) Route {
	prefix := routePrefix + strconv.Itoa(n) + "_"
	name := func(suffix string) string { return prefix + suffix }
	r := Route{Index: n}
	opts := env.Options{Environment: l.vars, Prefix: prefix}
	if err := env.ParseWithOptions(&r, opts); err != nil {
		l.envErrors(err, prefix, index().routeByField)
	}
	if r.Name == "" {
		r.Name = "route" + strconv.Itoa(n)
	}
	// In the environment a setting is explicit: 0 is no way to ask for
	// the default.
	ok := func(suffix string) bool { return !l.failed[name(suffix)] }
	if ok("BUFFER") && r.Buffer < 1 {
		l.addf(name("BUFFER"), "must be between 1 and %d, got %d", bridge.MaxBufferSize, r.Buffer)
	}
	if ok("WORKERS") && r.Workers < 1 {
		l.addf(name("WORKERS"), "must be between 1 and %d, got %d", bridge.MaxWorkers, r.Workers)
	}
	if r.JQ == "" && r.Emit == jq.EmitMessage {
		l.addf(name("EMIT"), "message is the mode of a jq program's outputs: set %s", name("JQ"))
	}
	if r.JQ != "" {
		// Lent outputs: a route copies only what it keeps (see
		// bridge.RouteConfig.LentOutputs).
		p, err := jq.Compile(r.JQ, jq.WithEmit(r.Emit), jq.WithLentOutputs())
		if err != nil {
			msg := strings.TrimPrefix(err.Error(), jq.ErrCompile.Error()+": ")
			l.add(name("JQ"), &wrapped{"invalid jq program: " + msg, err})
		}
		r.Program = p
	}
	if !r.JetStream() {
		for _, suffix := range []string{"DURABLE", "MAX_DELIVER", "ACK_WAIT", "DEDUP"} {
			if l.set(name(suffix)) {
				l.addf(name(suffix), "only used by JetStream routes (set %s)", name("STREAM"))
			}
		}
		switch r.Queue {
		case "none":
			r.Queue = ""
		case "":
			r.Queue = "bridge." + r.Name
		}
		return r
	}
	// JetStream route: replicas share the durable consumer, not a queue group.
	if l.set(name("QUEUE")) {
		l.addf(name("QUEUE"), "only used by core NATS routes; replicas of a JetStream route share %s", name("DURABLE"))
	}
	r.Queue = ""
	r.Durable = r.RouteConfig().WithDefaults().Durable
	if ok("MAX_DELIVER") && r.MaxDeliver < 1 {
		l.addf(name("MAX_DELIVER"), "must be at least 1, got %d", r.MaxDeliver)
	}
	if ok("ACK_WAIT") && r.AckWait <= 0 {
		l.addf(name("ACK_WAIT"), "must be positive, got %s", r.AckWait)
	}
	return r
}

// fieldSuffix maps a bridge.RouteConfig field to the suffix of its
// variable.
var fieldSuffix = map[string]string{
	"Name": "NAME", "In": "IN", "Out": "OUT", "Queue": "QUEUE", "DLQ": "DLQ", "Process": "JQ",
	"BufferSize": "BUFFER", "Overflow": "OVERFLOW", "Workers": "WORKERS", "Timeout": "TIMEOUT",
	"Stream": "STREAM", "Durable": "DURABLE", "MaxDeliver": "MAX_DELIVER", "AckWait": "ACK_WAIT",
	"OrderBy": "ORDER_BY", "ChooseSubject": "EMIT",
	"InConn": "IN_CONN", "OutConn": "OUT_CONN", "ReplyTimeout": "REPLY_TIMEOUT",
}

// checkRoutes applies the rules of bridge.RouteConfig to every route and
// between them, and reports each problem under its variable. A variable
// that could not be parsed is reported once, for that.
func (l *loader) checkRoutes(routes []Route) {
	rcs := make([]bridge.RouteConfig, len(routes))
	for i, r := range routes {
		rcs[i] = r.RouteConfig()
	}
	var errs []error
	if err := bridge.CheckRoutes(rcs); err != nil {
		errs = unjoin(err)
	}
	for _, err := range errs {
		fe, ok := errors.AsType[*bridge.FieldError](err)
		if !ok {
			l.internalf(err)
			continue
		}
		suffix, ok := fieldSuffix[fe.Field]
		if !ok {
			suffix = "IN"
		}
		n := routes[fe.Index].Index
		v := routeVar(n, suffix)
		if l.failed[v] || l.failed[routeVar(n, "NAME")] && (suffix == "QUEUE" || suffix == "DURABLE") && !l.set(v) {
			// Reported already: as a value that does not parse, or as
			// the name that the default was made of.
			continue
		}
		msg := strings.NewReplacer(
			"matches In ", "matches "+routeVar(n, "IN")+" ",
			"than AckWait ", "than "+routeVar(n, "ACK_WAIT")+" ",
			"subjectmap: ", "",
		).Replace(fe.Err.Error())
		l.add(v, &wrapped{msg, fe.Err})
	}
}

// unjoin returns the errors err joins, or err alone.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// RouteConfig returns the route as the bridge runs it, with its jq program
// as the processing stage.
func (r Route) RouteConfig() bridge.RouteConfig {
	rc := bridge.RouteConfig{
		Name:         r.Name,
		In:           r.In,
		Out:          r.Out,
		Queue:        r.Queue,
		DLQ:          r.DLQ,
		BufferSize:   r.Buffer,
		Overflow:     r.Overflow,
		Workers:      r.Workers,
		Timeout:      r.Timeout,
		Stream:       r.Stream,
		Durable:      r.Durable,
		MaxDeliver:   r.MaxDeliver,
		AckWait:      r.AckWait,
		NoMsgID:      r.JetStream() && !r.Dedup,
		OrderBy:      r.OrderBy,
		InConn:       r.InConn,
		OutConn:      r.OutConn,
		ReplyTimeout: r.ReplyTimeout,
	}
	if r.Program != nil {
		rc.Process = r.Program.Process
		rc.LentOutputs = r.Program.LendsOutputs()
		rc.ChooseSubject = r.Program.Emit() == jq.EmitMessage
	}
	return rc
}
