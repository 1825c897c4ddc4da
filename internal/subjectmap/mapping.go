package subjectmap

import (
	"fmt"
	"strings"
)

// Mapping maps subjects matching an input pattern to an output subject.
// It is immutable and safe for concurrent use.
type Mapping struct {
	in, out string
	// space is out with every mapping token read as `*`.
	space string
	// literal is set when out contains no mapping token: Map then returns
	// out itself, without allocating.
	literal bool
	// mapsIn is unset only for a [NewSpace] output that does not map in.
	mapsIn    bool
	feedsBack bool
	// parts are out's tokens when it maps in and is not literal.
	parts []part
	// inToks are the tokens of in, whose last is `>` when out ends in `>`;
	// fixed is the size of out's literal tokens and separators.
	inToks []string
	fixed  int
}

// New returns the mapping from subjects matching in (a subject that may
// contain the wildcards `*` and `>`) to out.
//
// out is a literal subject (no wildcards), or a nats-server mapping
// destination whose functions refer to in's `*` wildcards by position,
// starting at 1, and which ends in `>` exactly when in does. A literal out is
// accepted for any in, including one ending in `>` (nats-server itself
// rejects that combination in its mapping configuration). The functions are
// nats-server's: `$n` and wildcard(n), partition(count, n…), split(n, delim),
// splitFromLeft(n, pos), splitFromRight(n, pos), sliceFromLeft(n, size),
// sliceFromRight(n, size), left(n, len), right(n, len) and random(count).
//
// New is stricter than nats-server where the server silently accepts what
// cannot be meant: a function must fill a whole token, wildcard positions
// and counts must be at least 1, every position must name a `*` of in (the
// server ignores partition's positions when in has none), and out's literal
// tokens must not contain whitespace.
//
// Errors match [ErrInvalidMapping].
func New(in, out string) (*Mapping, error) {
	return build(in, out, false)
}

// NewSpace is [New] for an output pattern that a program may choose
// subjects in (see [Mapping.Allows]): out may also be a subject pattern that
// does not map in, such as `routed.>` for the input `orders.in`, or `a.*`.
// [Mapping.MapsIn] then reports false, and [Mapping.Map] returns
// [ErrNoDefault]. Mapping functions in out must still be well formed.
func NewSpace(in, out string) (*Mapping, error) {
	return build(in, out, true)
}

func build(in, out string, space bool) (*Mapping, error) {
	if !ValidSubject(in) {
		return nil, fmt.Errorf("%w: input %q is not a valid subject", ErrInvalidMapping, in)
	}
	parts, err := parse(out)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidMapping, err)
	}
	m := &Mapping{in: in, out: out, space: spaceOf(parts)}
	// Only function tokens, read as `*` in space, may hold spaces. The
	// server's transform does not look, but a publish would fail.
	if strings.ContainsAny(m.space, whitespace) {
		return nil, fmt.Errorf("%w: %w", ErrInvalidMapping, strictf("output %q: a subject must not contain whitespace", out))
	}
	if !mapping(parts) {
		if ValidLiteral(out) {
			m.literal, m.mapsIn, m.feedsBack = true, true, Matches(out, in)
			return m, nil
		}
		if !space {
			return nil, fmt.Errorf("%w: output %q is not a valid subject without wildcards", ErrInvalidMapping, out)
		}
	}
	if !ValidSubject(m.space) {
		return nil, fmt.Errorf("%w: output %q is not a valid subject: tokens must be non-empty and `>` must be the last", ErrInvalidMapping, out)
	}
	if err := fit(in, parts); err != nil {
		if space {
			return m, nil // a pattern to choose subjects in, with no default
		}
		return nil, fmt.Errorf("%w: output %q is not a valid mapping of %q: %w", ErrInvalidMapping, out, in, err)
	}
	m.mapsIn, m.parts = true, parts
	m.inToks = strings.Split(in, ".")
	m.fixed = len(parts) - 1
	many := false
	for _, p := range parts {
		if p.kind == literalToken {
			m.fixed += len(p.tok)
		}
		many = many || p.many()
	}
	// A function that can produce several tokens may or may not land in
	// in; such a mapping is assumed not to loop.
	m.feedsBack = !many && Matches(m.space, in)
	return m, nil
}

// mapping reports whether parts have a mapping token.
func mapping(parts []part) bool {
	for _, p := range parts {
		if p.kind != literalToken {
			return true
		}
	}
	return false
}

// spaceOf joins parts with every function token read as `*`.
func spaceOf(parts []part) string {
	toks := make([]string, len(parts))
	for i, p := range parts {
		switch p.kind {
		case literalToken:
			toks[i] = p.tok
		case restToken:
			toks[i] = ">"
		default:
			toks[i] = "*"
		}
	}
	return strings.Join(toks, ".")
}

// fit checks that parts map in, as nats-server's NewSubjectTransform does,
// and resolves each wildcard position to the index of its `*` in in.
func fit(in string, parts []part) error {
	var stars []int // token indexes of in's `*`
	i := 0
	for tok := range strings.SplitSeq(in, ".") {
		if tok == "*" {
			stars = append(stars, i)
		}
		i++
	}
	for _, p := range parts {
		if p.kind == literalToken && p.tok == "*" {
			return fmt.Errorf("it must be a subject without `*` (copy a token of the input with $n or {{wildcard(n)}})")
		}
	}
	if fullWildcard(in) != (parts[len(parts)-1].kind == restToken) {
		return fmt.Errorf("it must end in `>` exactly when the input does")
	}
	for i := range parts {
		p := &parts[i]
		if p.kind == partitionFn && len(p.pos) > 0 && len(stars) == 0 {
			return strictf("%s names a wildcard position, but the input has no `*`", p.tok)
		}
		p.src = make([]int, len(p.pos))
		for j, n := range p.pos {
			if n > len(stars) {
				return fmt.Errorf("wildcard index out of range in %s: the input has %d `*` wildcards", p.tok, len(stars))
			}
			p.src[j] = stars[n-1]
		}
	}
	return nil
}

// fullWildcard reports whether the subject ends in a `>` token.
func fullWildcard(s string) bool {
	return s == ">" || strings.HasSuffix(s, ".>")
}

// In returns the input pattern.
func (m *Mapping) In() string { return m.in }

// Out returns the output pattern.
func (m *Mapping) Out() string { return m.out }

// Literal reports whether the output pattern has no mapping token, so that
// every subject maps to [Mapping.Out].
func (m *Mapping) Literal() bool { return m.literal }

// String returns "in -> out".
func (m *Mapping) String() string { return m.in + " -> " + m.out }

// MapsIn reports whether the output pattern maps the input pattern, so that
// [Mapping.Map] gives every matching subject an output subject. It is false
// only for a mapping made by [NewSpace].
func (m *Mapping) MapsIn() bool { return m.mapsIn }

// Space returns the output pattern read as a subject pattern in which every
// mapping token (`{{…}}` or `$n`) is `*`: `audit.{{wildcard(1)}}` gives
// `audit.*`, `events.>` and a literal pattern give themselves.
func (m *Mapping) Space() string { return m.space }

// Allows reports whether subject may be chosen as an output subject: a
// [ValidLiteral] subject inside [Mapping.Space]. It does not check the input
// pattern; a route also refuses a subject that [Matches] [Mapping.In].
func (m *Mapping) Allows(subject string) bool {
	return ValidLiteral(subject) && Matches(subject, m.space)
}

// FeedsBack reports whether every subject [Mapping.Map] can return is
// matched by the input pattern, so that a route would consume its own
// output forever. Functions that can produce several tokens (split,
// splitFromLeft, splitFromRight, sliceFromLeft, sliceFromRight) make that
// unknowable; such a mapping is assumed not to loop. A mapping that does not
// map its input ([Mapping.MapsIn] false) returns nothing, so it does not
// loop either.
func (m *Mapping) FeedsBack() bool { return m.feedsBack }

// Map returns the output subject for subject, a literal subject that the
// input pattern matches. Otherwise it returns an error matching [ErrNoMatch],
// or [ErrNoDefault] when the output pattern does not map the input pattern.
// For a literal output pattern Map does not allocate; otherwise it allocates
// the result (and split, the pieces of its token).
func (m *Mapping) Map(subject string) (string, error) {
	if !m.mapsIn {
		return "", fmt.Errorf("%w: %q has no output subject: %q does not map %q", ErrNoDefault, subject, m.out, m.in)
	}
	if m.literal {
		// The test of nats-server's transform, which does not look for
		// whitespace: a subject received from the wire has none.
		if !literalTokens(subject) || !Matches(subject, m.in) {
			return "", fmt.Errorf("%w: %q", ErrNoMatch, subject)
		}
		return m.out, nil
	}
	var buf [32]string
	toks := tokens(buf[:0], subject)
	if !m.match(toks) {
		return "", fmt.Errorf("%w: %q", ErrNoMatch, subject)
	}
	return m.transform(toks), nil
}

// match is [Matches] for the tokens of a literal subject, which it checks
// like literalTokens.
func (m *Mapping) match(toks []string) bool {
	if len(toks) < len(m.inToks) || len(toks) > len(m.inToks) && m.inToks[len(m.inToks)-1] != ">" {
		return false
	}
	for i, tok := range toks {
		if tok == "" || tok == "*" || tok == ">" {
			return false
		}
		if i < len(m.inToks) {
			if f := m.inToks[i]; f != "*" && f != ">" && f != tok {
				return false
			}
		}
	}
	return true
}

// tokens appends the tokens of subject to dst.
func tokens(dst []string, subject string) []string {
	for {
		tok, rest, more := strings.Cut(subject, ".")
		dst = append(dst, tok)
		if !more {
			return dst
		}
		subject = rest
	}
}
