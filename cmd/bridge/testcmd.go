package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/natsbridge/bridge/internal/config"
	"github.com/natsbridge/bridge/internal/routetest"
)

// testMain is `bridge test FILE...`: it runs the tests of the files on the
// routes of environ, without NATS, and returns the exit status.
func testMain(args, environ []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bridge test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // -h is handled below, on stdout
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, testUsage)
			return exitOK
		}
		fmt.Fprintln(stderr, "Run 'bridge test -h' for usage.") // flag printed the error
		return exitUsage
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "bridge test: no test file given\nRun 'bridge test -h' for usage.")
		return exitUsage
	}
	cfg, err := config.Load(environ)
	if err != nil {
		return reportConfigError(stderr, err)
	}

	// Every file is read and checked before any test runs, so that bad
	// input is reported whole and never as half a run.
	routes := routeConfigs(cfg)
	var tests []routetest.Test
	bad := false
	for _, file := range fs.Args() {
		data, err := os.ReadFile(file)
		if err != nil {
			fmt.Fprintln(stderr, "bridge test:", err)
			bad = true
			continue
		}
		cases, err := routetest.Parse(file, data)
		if err == nil {
			var bound []routetest.Test
			bound, err = routetest.Bind(file, cases, routes)
			tests = append(tests, bound...)
		}
		if err != nil {
			fmt.Fprintln(stderr, err)
			bad = true
		}
	}
	if bad {
		fmt.Fprintln(stderr, "Run 'bridge test -h' for the format of test files.")
		return exitUsage
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	failed := 0
	for i := range tests {
		t := &tests[i]
		diffs := t.Run(ctx)
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "bridge test: interrupted")
			return exitFailure
		}
		if len(diffs) == 0 {
			continue
		}
		failed++
		fmt.Fprintf(stdout, "--- FAIL: %s (%s:%d, route %s)\n", t.Name, t.File, t.Line, t.Route.Name)
		for _, d := range diffs {
			fmt.Fprintln(stdout, "    "+d)
		}
	}
	files := fmt.Sprintf("%d %s", fs.NArg(), plural(fs.NArg(), "file"))
	if failed > 0 {
		fmt.Fprintf(stdout, "FAIL: %d of %d %s failed (%s)\n", failed, len(tests), plural(len(tests), "test"), files)
		return exitFailure
	}
	fmt.Fprintf(stdout, "PASS: %d %s (%s)\n", len(tests), plural(len(tests), "test"), files)
	return exitOK
}

const testUsage = `Usage:
  bridge test FILE...

bridge test runs the route programs of the environment against the test
cases of the YAML files, without NATS, as the bridge would run them: the
same variables configure the routes (see bridge -h), so the program tested
is the one deployed. Each input goes through its route's jq program within
the route's TIMEOUT, and each output gets the subject the route would
publish it to; nothing is published.

A test file:

  tests:
    - name: adds a total            # required, unique in the file
      route: totals                 # the NAME of a route in the environment
      input:
        subject: invoices           # default: the route's IN when it is a literal subject
        headers: {X-Tenant: acme}   # name -> string or list of strings
        payload: '{"price":2,"qty":3}'   # the bytes, as a string
      output:                       # expected outputs in order; [] means filtered
        - subject: invoices.totals  # optional
          headers: {X-Tenant: acme} # optional; only the headers named are compared
          payload: '{"id":null,"total":6}'  # compared as JSON when both sides parse as JSON, else as bytes
    - name: rejects non-JSON
      route: totals
      input: {payload: 'nope'}
      fails: decode                 # instead of output: the failure reason expected

Rules:
  - Keys other than these are errors, as are duplicate keys. Anchors and
    aliases (&a, *a) work; merge keys (<<) do not.
  - input is required; its subject must be one the route's IN matches, and
    its payload defaults to empty.
  - Quote payloads: unquoted, {"price":2} is a YAML mapping, not a string.
    A !!binary payload (base64) holds bytes a YAML string cannot.
  - Header names are case-sensitive, as in NATS. In an output, a header
    given as [] must be absent.
  - An output without payload does not compare it. Compared as JSON, key
    order does not matter and numbers compare by value (1 = 1.0).
  - fails is one of decode, generator, timeout, subject, publish,
    max_deliver; without NATS only the first four can happen.

Exit status: 0 when every test passes; 1 when any fails, each failure
printed with its name and what differs; 2 for bad input: an unreadable
file, an invalid file or test, a route the environment does not have, or
an invalid configuration.
`
