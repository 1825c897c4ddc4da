package subjectmap

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
)

var (
	// ErrInvalidMapping is returned by [New] when the input pattern or the
	// output pattern is not valid, or when they do not fit together.
	ErrInvalidMapping = errors.New("subjectmap: invalid mapping")

	// ErrNoMatch is returned by [Mapping.Map] for a subject that is not a
	// literal subject matched by the input pattern.
	ErrNoMatch = errors.New("subjectmap: subject does not match the input pattern")
)

// Mapping maps subjects matching an input pattern to an output subject.
// It is immutable and safe for concurrent use.
type Mapping struct {
	in, out string
	// literal is set when out contains no mapping token: Map then returns out
	// itself, without allocating.
	literal bool
	// tr is nats-server's transform, used when out is not literal. Its
	// concrete type is unexported; nats-server documents the interface as
	// outside its SemVer guarantees, so only Match is used.
	tr server.SubjectTransformer
}

// New returns the mapping from subjects matching in (a subject that may
// contain the wildcards `*` and `>`) to out.
//
// out is a literal subject (no wildcards), or a nats-server mapping
// destination whose functions refer to in's `*` wildcards by position,
// starting at 1, and which ends in `>` exactly when in does. A literal out is
// accepted for any in, including one ending in `>` (nats-server itself
// rejects that combination in its mapping configuration).
//
// Errors match [ErrInvalidMapping]; when nats-server rejected the mapping
// they also wrap its error (for example server.ErrInvalidMappingDestination).
func New(in, out string) (*Mapping, error) {
	if !server.IsValidSubject(in) {
		return nil, fmt.Errorf("%w: input %q is not a valid subject", ErrInvalidMapping, in)
	}
	literal, err := checkTokens(out)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidMapping, err)
	}
	m := &Mapping{in: in, out: out, literal: literal}
	if literal {
		if !server.IsValidPublishSubject(out) {
			return nil, fmt.Errorf("%w: output %q is not a valid subject without wildcards", ErrInvalidMapping, out)
		}
		return m, nil
	}
	tr, err := server.NewSubjectTransform(in, out)
	if err != nil {
		if errors.Is(err, server.ErrBadSubject) {
			// The server's message ("invalid subject") does not say which
			// rule was broken; these are the rules NewSubjectTransform checks.
			return nil, fmt.Errorf("%w: output %q is not a valid mapping of %q: it must be a valid subject without `*`, and end in `>` exactly when the input does: %w",
				ErrInvalidMapping, out, in, err)
		}
		return nil, fmt.Errorf("%w: output %q: %w", ErrInvalidMapping, out, err)
	}
	m.tr = tr
	return m, nil
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

// Map returns the output subject for subject, a literal subject that the
// input pattern matches. Otherwise it returns an error matching [ErrNoMatch].
// For a literal output pattern Map does not allocate.
func (m *Mapping) Map(subject string) (string, error) {
	if m.literal {
		// Same test as the server's transform Match, and allocation-free.
		if !server.IsValidLiteralSubject(subject) || !server.SubjectMatchesFilter(subject, m.in) {
			return "", fmt.Errorf("%w: %q", ErrNoMatch, subject)
		}
		return m.out, nil
	}
	out, err := m.tr.Match(subject)
	if err != nil {
		return "", fmt.Errorf("%w: %q", ErrNoMatch, subject)
	}
	return out, nil
}

// functionRE matches a whole-token mapping function such as
// "{{ wildcard(1) }}" and captures its name and arguments.
var functionRE = regexp.MustCompile(`^\{\{\s*([A-Za-z]+)\s*\((.*)\)\s*\}\}$`)

// checkTokens reports whether out has no mapping token (and no trailing
// `>`), and rejects what nats-server would silently accept but cannot be
// meant: a function sharing a token with other text, and wildcard positions
// below 1.
func checkTokens(out string) (literal bool, err error) {
	literal = true
	for tok := range strings.SplitSeq(out, ".") {
		if tok == ">" {
			literal = false
			continue
		}
		if len(tok) > 1 && tok[0] == '$' {
			if n, err := strconv.Atoi(tok[1:]); err == nil {
				if n < 1 {
					return false, fmt.Errorf("output %q: wildcard position %s must be at least 1", out, tok)
				}
				literal = false
			}
			continue
		}
		if !strings.Contains(tok, "{{") && !strings.Contains(tok, "}}") {
			continue
		}
		fn := functionRE.FindStringSubmatch(tok)
		if fn == nil {
			return false, fmt.Errorf("output %q: mapping function in token %q must fill the whole token, as in a.{{wildcard(1)}}.b", out, tok)
		}
		literal = false
		args := strings.Split(fn[2], ",")
		var positions []string
		switch strings.ToLower(fn[1]) {
		case "wildcard", "split", "splitfromleft", "splitfromright",
			"slicefromleft", "slicefromright", "left", "right":
			positions = args[:1]
		case "partition":
			positions = args[1:]
		}
		for _, p := range positions {
			if n, err := strconv.Atoi(strings.TrimSpace(p)); err == nil && n < 1 {
				return false, fmt.Errorf("output %q: wildcard position %d in %s must be at least 1", out, n, tok)
			}
		}
	}
	return literal, nil
}
