package routetest

import (
	"encoding/base64"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The parser walks yaml.Node trees itself instead of decoding into
// structs: yaml's strict mode (KnownFields) does not reach into custom
// unmarshalers, and the problems it reports name Go types, not keys.

// fields returns the value of each key of mapping n, which must be among
// known and appear once; what names the mapping in problems. ok is false
// when it reported a problem; the map is nil only when n is no mapping.
func (p *parser) fields(n *yaml.Node, what string, known ...string) (f map[string]*yaml.Node, ok bool) {
	line := n.Line
	if n = p.deref(n); n == nil {
		return nil, false
	}
	if n.Kind != yaml.MappingNode {
		p.addf(line, "%s must be a mapping, got %s", what, kind(n))
		return nil, false
	}
	f = make(map[string]*yaml.Node, len(known))
	ok = true
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, kok := p.key(n.Content[i], what)
		switch {
		case !kok:
			ok = false
		case !slices.Contains(known, k):
			p.addf(n.Content[i].Line, "unknown key %q in %s (known: %s)", k, what, strings.Join(known, ", "))
			ok = false
		case f[k] != nil:
			p.addf(n.Content[i].Line, "key %q appears twice in %s", k, what)
			ok = false
		default:
			f[k] = n.Content[i+1]
		}
	}
	return f, ok
}

// key returns the text of a mapping key.
func (p *parser) key(n *yaml.Node, what string) (string, bool) {
	line := n.Line
	if n = p.deref(n); n == nil {
		return "", false
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!merge" {
		p.addf(line, "%s: merge keys (<<) are not supported; an alias (*name) can stand for a whole value", what)
		return "", false
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		p.addf(line, "%s: a key must be a string, got %s", what, kind(n))
		return "", false
	}
	return p.text(n, what)
}

// list returns the items of sequence n.
func (p *parser) list(n *yaml.Node, what string) ([]*yaml.Node, bool) {
	line := n.Line
	if n = p.deref(n); n == nil {
		return nil, false
	}
	if n.Kind != yaml.SequenceNode {
		p.addf(line, "%s must be a list, got %s", what, kind(n))
		return nil, false
	}
	return n.Content, true
}

// text returns the text of scalar n: the bytes of a !!binary scalar (base64
// in the file), else the scalar as written, so that payload: 0x1F is the
// four bytes 0x1F.
func (p *parser) text(n *yaml.Node, what string) (string, bool) {
	line := n.Line
	if n = p.deref(n); n == nil {
		return "", false
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		p.addf(line, "%s must be a string, got %s", what, kind(n))
		return "", false
	}
	switch tag := n.ShortTag(); {
	case tag == "!!binary":
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(n.Value), ""))
		if err != nil {
			p.addf(line, "%s: !!binary value is not base64: %v", what, err)
			return "", false
		}
		return string(b), true
	case !strings.HasPrefix(tag, "!!"):
		p.addf(line, "%s: unsupported tag %s", what, tag)
		return "", false
	}
	return n.Value, true
}

// isNull reports whether n is null: ~, null, or nothing after the colon.
func (p *parser) isNull(n *yaml.Node) bool {
	d := p.deref(n)
	return d == nil || d.Kind == yaml.ScalarNode && d.ShortTag() == "!!null"
}

// kind describes n's kind for a problem.
func kind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "null"
		}
		return "a string"
	case yaml.DocumentNode:
		return "a document"
	}
	return "an alias"
}
