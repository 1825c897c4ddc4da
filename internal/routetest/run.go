package routetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/bridge"
	"github.com/natsbridge/bridge/internal/subjectmap"
)

// Test is a [Case] bound to the route it runs on.
type Test struct {
	Case
	// File is the file the test comes from, as given to [Bind].
	File string
	// Route is the route the test runs on.
	Route bridge.RouteConfig
}

// Bind binds the cases of a file to the routes they name. It returns every
// problem, each a *[Problem] matching [ErrInvalid], joined: a route that
// is not among routes, an input without a subject on a route whose IN is
// not a literal subject, an input subject that IN does not match. Bound,
// an input without a subject has the route's IN.
func Bind(file string, cases []Case, routes []bridge.RouteConfig) ([]Test, error) {
	byName := make(map[string]bridge.RouteConfig, len(routes))
	var names []string
	for _, rc := range routes {
		byName[rc.Name] = rc
		names = append(names, rc.Name)
	}
	var problems []error
	problem := func(c *Case, format string, args ...any) {
		problems = append(problems, &Problem{File: file, Line: c.Line, Test: c.Name, Msg: fmt.Sprintf(format, args...)})
	}
	tests := make([]Test, 0, len(cases))
	for _, c := range cases {
		rc, ok := byName[c.Route]
		switch {
		case !ok:
			problem(&c, "no route is named %q (the routes of the environment: %s)", c.Route, strings.Join(names, ", "))
			continue
		case c.Input.Subject == "" && !subjectmap.ValidLiteral(rc.In):
			problem(&c, "input.subject is required: the IN of route %q, %q, is not a literal subject", rc.Name, rc.In)
			continue
		case c.Input.Subject == "":
			c.Input.Subject = rc.In
		case !subjectmap.Matches(c.Input.Subject, rc.In):
			problem(&c, "route %q does not receive input.subject %q: its IN is %q", rc.Name, c.Input.Subject, rc.In)
			continue
		}
		tests = append(tests, Test{Case: c, File: file, Route: rc})
	}
	return tests, errors.Join(problems...)
}

// Run sends the test's input through its route with [bridge.Simulate]: the
// route's stage within its timeout, and its subject rules. It returns what
// differs from what the test expects, one line for each difference, which
// lines indented by two spaces detail: none when the test passes.
func (t *Test) Run(ctx context.Context) []string {
	in := artifact.New(t.Input.Subject, slices.Clone(t.Input.Payload))
	in.Meta = t.Input.Headers.Clone()
	outs, err := bridge.Simulate(ctx, t.Route, in)
	return compare(&t.Case, outs, err)
}
