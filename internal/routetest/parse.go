package routetest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/natsbridge/bridge/bridge"
	"github.com/natsbridge/bridge/internal/subjectmap"
)

// maxNodes bounds the nodes a file may expand to through its aliases, so
// that a few lines of nested aliases cannot make the parser walk billions.
const maxNodes = 1 << 20

// Parse reads a test file; file names it in the problems reported. It
// returns the tests in the order written, or every problem found, each a
// *[Problem] matching [ErrInvalid], joined with errors.Join.
//
// Parse checks what the file alone decides: keys, kinds of values, that
// every test has a name (unique in the file), a route, an input and either
// output or fails, that subjects and headers are valid, and that fails is
// one of [bridge.FailureReasons]. Whether the route exists and the input
// subject suits it is for [Bind].
func Parse(file string, data []byte) ([]Case, error) {
	p := &parser{file: file}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.addf(0, "empty file: want a mapping with the key tests")
		} else {
			p.yamlError(err)
		}
		return nil, p.err()
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		p.addf(next.Line, "a second YAML document: a test file is one document")
	case !errors.Is(err, io.EOF):
		p.yamlError(err)
	}
	cases := p.tests(&doc)
	if len(p.problems) > 0 {
		return nil, p.err()
	}
	return cases, nil
}

type parser struct {
	file     string
	test     string // name of the test being read
	nodes    int    // nodes visited, aliases expanded
	problems []*Problem
}

// err returns the problems, in the order of their lines, joined.
func (p *parser) err() error {
	slices.SortStableFunc(p.problems, func(a, b *Problem) int { return a.Line - b.Line })
	errs := make([]error, len(p.problems))
	for i, pr := range p.problems {
		errs[i] = pr
	}
	return errors.Join(errs...)
}

func (p *parser) addf(line int, format string, args ...any) {
	if p.nodes > maxNodes {
		return // the walk stopped: what it finds now is no news
	}
	p.problems = append(p.problems, &Problem{File: p.file, Line: line, Test: p.test, Msg: fmt.Sprintf(format, args...)})
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// yamlError reports a syntax error of the YAML parser under its line.
func (p *parser) yamlError(err error) {
	msg := err.Error()
	line := 0
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	}
	p.addf(line, "%s", strings.TrimPrefix(msg, "yaml: "))
}

// deref returns the node an alias stands for, or n; nil once the file has
// expanded to too many nodes.
func (p *parser) deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if p.nodes++; p.nodes > maxNodes {
		if p.nodes == maxNodes+1 {
			p.problems = append(p.problems, &Problem{File: p.file,
				Msg: fmt.Sprintf("the file expands to more than %d nodes through its aliases", maxNodes)})
		}
		return nil
	}
	return n
}

func (p *parser) tests(doc *yaml.Node) []Case {
	root := doc
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		root = doc.Content[0]
	}
	f, _ := p.fields(root, "the file", "tests")
	if f == nil {
		return nil
	}
	tn := f["tests"]
	if tn == nil || p.isNull(tn) {
		p.addf(root.Line, "no tests: want the key tests, a list of tests")
		return nil
	}
	items, ok := p.list(tn, "tests")
	if !ok {
		return nil
	}
	if len(items) == 0 {
		p.addf(tn.Line, "tests is empty")
	}
	var cases []Case
	first := map[string]int{} // name -> line
	for _, item := range items {
		c, ok := p.testCase(item)
		p.test = ""
		if !ok {
			continue
		}
		if line, dup := first[c.Name]; dup {
			p.addf(c.Line, "a second test named %q (the first is at line %d)", c.Name, line)
			continue
		}
		first[c.Name] = c.Line
		cases = append(cases, c)
	}
	return cases
}

// testCase reads one test; ok is false when it has problems.
func (p *parser) testCase(n *yaml.Node) (Case, bool) {
	before := len(p.problems)
	c := Case{Line: n.Line}
	p.test = p.peekName(n) // so that the problems of its keys name the test
	f, _ := p.fields(n, "a test", "name", "route", "input", "output", "fails")
	if f == nil {
		return c, false
	}
	c.Name = p.required(f, "name", n.Line)
	c.Route = p.required(f, "route", n.Line)
	if in := f["input"]; in != nil && !p.isNull(in) {
		c.Input = p.input(in)
	} else {
		p.addf(n.Line, "input is required")
	}
	out, fails := f["output"], f["fails"]
	hasOut, hasFails := out != nil && !p.isNull(out), fails != nil && !p.isNull(fails)
	switch {
	case hasOut && hasFails:
		p.addf(fails.Line, "output and fails exclude each other: a test expects outputs or a failure")
	case hasOut:
		c.Output = p.outputs(out)
	case hasFails:
		c.Fails = p.reason(fails)
	default:
		p.addf(n.Line, "want output (the outputs expected, [] when the route filters the input) or fails (the failure reason expected)")
	}
	return c, len(p.problems) == before
}

// peekName returns the name of test n if it has one, without reporting
// anything.
func (p *parser) peekName(n *yaml.Node) string {
	if n = p.deref(n); n == nil || n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := p.deref(n.Content[i]), p.deref(n.Content[i+1])
		if k != nil && v != nil && k.Kind == yaml.ScalarNode && k.Value == "name" && v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str" {
			return v.Value
		}
	}
	return ""
}

// required returns the non-empty text of f[key].
func (p *parser) required(f map[string]*yaml.Node, key string, line int) string {
	n := f[key]
	if n == nil || p.isNull(n) {
		p.addf(line, "%s is required", key)
		return ""
	}
	s, ok := p.text(n, key)
	if ok && s == "" {
		p.addf(n.Line, "%s is empty", key)
	}
	return s
}

func (p *parser) input(n *yaml.Node) Input {
	var in Input
	f, _ := p.fields(n, "input", "subject", "headers", "payload")
	in.Subject = p.subject(f["subject"], "input.subject")
	if h := f["headers"]; h != nil {
		in.Headers = p.headers(h, "input.headers", false)
	}
	if v := f["payload"]; v != nil && !p.isNull(v) {
		in.Payload = p.payload(v, "input.payload")
	}
	return in
}

func (p *parser) outputs(n *yaml.Node) []Output {
	items, ok := p.list(n, "output")
	if !ok {
		return nil
	}
	outs := make([]Output, 0, len(items)) // not nil: [] means filtered
	for i, item := range items {
		what := fmt.Sprintf("output %d", i+1)
		f, _ := p.fields(item, what, "subject", "headers", "payload")
		var o Output
		o.Subject = p.subject(f["subject"], what+" subject")
		if h := f["headers"]; h != nil {
			o.Headers = p.headers(h, what+" headers", true)
		}
		if v := f["payload"]; v != nil && !p.isNull(v) {
			o.Payload, o.HasPayload = p.payload(v, what+" payload"), true
		}
		outs = append(outs, o)
	}
	return outs
}

// subject returns the literal subject n holds, "" when absent.
func (p *parser) subject(n *yaml.Node, what string) string {
	if n == nil || p.isNull(n) {
		return ""
	}
	s, ok := p.text(n, what)
	if ok && !subjectmap.ValidLiteral(s) {
		p.addf(n.Line, "%s %q is not a subject a message can have (no wildcards, whitespace or empty tokens)", what, s)
	}
	return s
}

func (p *parser) reason(n *yaml.Node) bridge.Reason {
	s, ok := p.text(n, "fails")
	if !ok {
		return ""
	}
	if !slices.Contains(bridge.FailureReasons(), bridge.Reason(s)) {
		p.addf(n.Line, "fails: unknown reason %q (want one of %s)", s, reasons())
	}
	return bridge.Reason(s)
}

func reasons() string {
	var s []string
	for _, r := range bridge.FailureReasons() {
		s = append(s, string(r))
	}
	return strings.Join(s, ", ")
}

// payload returns the bytes n holds: its text, or the bytes of a !!binary
// scalar.
func (p *parser) payload(n *yaml.Node, what string) []byte {
	if d := p.deref(n); d != nil && d.Kind == yaml.MappingNode {
		p.addf(n.Line, "%s must be a string, got a mapping: quote JSON payloads (payload: '{\"a\":1}'), unquoted {…} is YAML", what)
		return nil
	}
	s, _ := p.text(n, what)
	return []byte(s)
}
