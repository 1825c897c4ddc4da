package routetest

import (
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/natsbridge/bridge/artifact"
)

// headers reads a mapping of header names to a string or a list of
// strings. In an output, a name with [] stands for an absent header.
func (p *parser) headers(n *yaml.Node, what string, output bool) artifact.Metadata {
	if p.isNull(n) {
		return nil
	}
	line := n.Line
	if n = p.deref(n); n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.addf(line, "%s must be a mapping of header names to a string or a list of strings, got %s", what, kind(n))
		return nil
	}
	h := artifact.Metadata{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		name, ok := p.key(n.Content[i], what)
		if !ok {
			continue
		}
		if _, dup := h[name]; dup {
			p.addf(n.Content[i].Line, "%s: header %q is given twice", what, name)
			continue
		}
		if err := checkHeaderName(name); err != nil {
			p.addf(n.Content[i].Line, "%s: %v", what, err)
			continue
		}
		vs, ok := p.headerValues(n.Content[i+1], fmt.Sprintf("%s: header %q", what, name))
		if !ok {
			continue
		}
		if len(vs) == 0 && !output {
			p.addf(n.Content[i+1].Line, "%s: header %q has no values (leave it out)", what, name)
			continue
		}
		h[name] = vs
	}
	return h
}

func (p *parser) headerValues(n *yaml.Node, what string) ([]string, bool) {
	line := n.Line
	d := p.deref(n)
	if d == nil {
		return nil, false
	}
	var items []*yaml.Node
	switch d.Kind {
	case yaml.ScalarNode:
		items = []*yaml.Node{n}
	case yaml.SequenceNode:
		items = d.Content
	default:
		p.addf(line, "%s must be a string or a list of strings, got %s", what, kind(d))
		return nil, false
	}
	vs := make([]string, 0, len(items))
	for _, item := range items {
		if p.isNull(item) {
			p.addf(item.Line, "%s must be a string or a list of strings, got null", what)
			return nil, false
		}
		v, ok := p.text(item, what)
		if !ok {
			return nil, false
		}
		if strings.ContainsAny(v, "\r\n") {
			p.addf(item.Line, "%s: a value cannot hold a line break", what)
			return nil, false
		}
		vs = append(vs, v)
	}
	return vs, true
}

// checkHeaderName rejects the names nats.go refuses to publish: empty, or
// not printable ASCII but for "(),/:;<=>?@[\]{}.
func checkHeaderName(name string) error {
	if name == "" {
		return errors.New("a header name is empty")
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return fmt.Errorf("%q is not a valid NATS header name", name)
		}
	}
	return nil
}
