package subjectmap

import "strings"

// whitespace holds the bytes nats-server refuses anywhere in a subject.
const whitespace = "\t\n\f\r "

// ValidSubject reports whether s is a valid NATS subject, wildcards allowed:
// not empty, no empty token, no whitespace, and `>` only as the last token.
// `*` and `>` are wildcards only as whole tokens; `a*` is a literal token.
// It is nats-server's IsValidSubject.
func ValidSubject(s string) bool {
	if s == "" || strings.ContainsAny(s, whitespace) {
		return false
	}
	for {
		tok, rest, more := strings.Cut(s, ".")
		if tok == "" {
			return false
		}
		if !more {
			return true
		}
		if tok == ">" {
			return false
		}
		s = rest
	}
}

// ValidLiteral reports whether s is a subject a message can be published
// to: a [ValidSubject] without wildcard tokens. It is nats-server's
// IsValidPublishSubject. (nats-server's IsValidLiteralSubject is laxer: it
// checks tokens but not whitespace, which only a tokenized subject received
// from the wire can be trusted to lack.)
func ValidLiteral(s string) bool {
	return ValidSubject(s) && !hasWildcard(s)
}

// literalTokens reports whether s has no empty token and no wildcard token,
// without looking for whitespace: nats-server's IsValidLiteralSubject, the
// test its transform applies to a received subject.
func literalTokens(s string) bool {
	for {
		tok, rest, more := strings.Cut(s, ".")
		if tok == "" || tok == "*" || tok == ">" {
			return false
		}
		if !more {
			return true
		}
		s = rest
	}
}

// hasWildcard reports whether s has a `*` or `>` token.
func hasWildcard(s string) bool {
	for {
		tok, rest, more := strings.Cut(s, ".")
		if tok == "*" || tok == ">" {
			return true
		}
		if !more {
			return false
		}
		s = rest
	}
}

// Matches reports whether filter matches subject. subject may contain
// wildcards too; Matches is then true when every subject that subject
// matches is matched by filter (`a.*` is inside `a.>` and `*.*`, not inside
// `a.b`). Neither argument is validated: check them with [ValidSubject] or
// [ValidLiteral] first.
//
// It is nats-server's SubjectMatchesFilter, with one deliberate difference:
// a filter token that only begins with `*`, such as `*x`, is a literal token,
// as it is for a subscription, where SubjectMatchesFilter reads it as `*`.
func Matches(subject, filter string) bool {
	// The server tokenizes "" as one empty token, so subject starts with a
	// token left even when it is empty.
	left := true
	for {
		f, frest, fmore := strings.Cut(filter, ".")
		if !left || f == "" {
			return false
		}
		if f == ">" {
			return true
		}
		s, srest, smore := strings.Cut(subject, ".")
		switch {
		case s == "" || s == ">":
			return false
		case s == "*":
			if f != "*" {
				return false // a.* is not inside a.b
			}
		case f != "*" && s != f:
			return false
		}
		if !fmore {
			return !smore
		}
		filter, subject, left = frest, srest, smore
	}
}
