package subjectmap

import (
	"strconv"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
)

// ValidSubject reports whether s is a valid subject, wildcards allowed.
func ValidSubject(s string) bool { return server.IsValidSubject(s) }

// ValidLiteral reports whether s is a valid subject without wildcards.
func ValidLiteral(s string) bool { return server.IsValidPublishSubject(s) }

// Matches reports whether filter matches subject; when subject has
// wildcards, whether it matches every subject that subject matches.
func Matches(subject, filter string) bool { return server.SubjectMatchesFilter(subject, filter) }

// FeedsBack reports whether every subject the mapping can produce is
// matched by its input pattern, so that a route would consume its own
// output forever. Mapping functions that may produce several tokens
// (split, slice…) make it unknowable; they are assumed not to loop.
func (m *Mapping) FeedsBack() bool {
	tokens := strings.Split(m.out, ".")
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
	return server.SubjectMatchesFilter(strings.Join(tokens, "."), m.in)
}

// Space returns the subjects the mapping's output can take, as a pattern:
// Out with every mapping token ({{…}} or $n) read as `*`.
func (m *Mapping) Space() string {
	if m.literal {
		return m.out
	}
	tokens := strings.Split(m.out, ".")
	for i, tok := range tokens {
		if strings.HasPrefix(tok, "{{") {
			tokens[i] = "*"
		} else if len(tok) > 1 && tok[0] == '$' {
			if _, err := strconv.Atoi(tok[1:]); err == nil {
				tokens[i] = "*"
			}
		}
	}
	return strings.Join(tokens, ".")
}
