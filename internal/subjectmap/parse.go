package subjectmap

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// kind is what an output token does.
type kind uint8

const (
	literalToken kind = iota // copied as written
	restToken                // a trailing `>`: the tokens the input's `>` matched
	wildcardFn               // $n or {{wildcard(n)}}
	partitionFn
	splitFromLeftFn
	splitFromRightFn
	sliceFromLeftFn
	sliceFromRightFn
	splitFn
	leftFn
	rightFn
	randomFn
)

// functions are the mapping functions, spelled as nats-server matches them:
// the first letter of each word may be either case, the others are lower
// case (`Wildcard` and `splitFromLeft` are accepted, `WILDCARD` is not).
var functions = []struct {
	name string
	kind kind
}{
	{"wildcard", wildcardFn},
	{"partition", partitionFn},
	{"split", splitFn},
	{"splitFromLeft", splitFromLeftFn},
	{"splitFromRight", splitFromRightFn},
	{"sliceFromLeft", sliceFromLeftFn},
	{"sliceFromRight", sliceFromRightFn},
	{"left", leftFn},
	{"right", rightFn},
	{"random", randomFn},
}

// part is one token of an output pattern.
type part struct {
	kind kind
	tok  string // the token as written
	// pos are the wildcard positions the function names (1 = the input's
	// first `*`), and src the indexes of those `*` among the input's tokens.
	pos, src []int
	n        int    // partition or random count, split position, slice size
	delim    string // split's delimiter
}

// many reports whether the part can produce more than one token.
func (p part) many() bool {
	switch p.kind {
	case splitFromLeftFn, splitFromRightFn, sliceFromLeftFn, sliceFromRightFn, splitFn:
		return true
	}
	return false
}

// errStricter is matched by the errors of rules that nats-server does not
// check, so that tests comparing the two can tell them apart.
var errStricter = errors.New("subjectmap: a rule nats-server does not check")

// stricter is an error of such a rule; its message is its own.
type stricter struct{ error }

func (stricter) Is(target error) bool { return target == errStricter }

func strictf(format string, args ...any) error {
	return stricter{fmt.Errorf(format, args...)}
}

// functionRE matches a whole-token mapping function such as
// "{{ wildcard(1) }}" and captures its name and arguments. `.` stops at a
// newline, as in nats-server's own expressions.
var functionRE = regexp.MustCompile(`^\{\{\s*([A-Za-z]+)\s*\((.*)\)\s*\}\}$`)

// parse splits out into its parts, checking each function's name and
// arguments as nats-server does, and more strictly where the server would
// silently accept what cannot be meant (a function sharing a token with
// other text, a wildcard position below 1, a count below 1).
func parse(out string) ([]part, error) {
	var parts []part
	for tok := range strings.SplitSeq(out, ".") {
		p, err := parseToken(tok)
		if err != nil {
			return nil, fmt.Errorf("output %q: %w", out, err)
		}
		parts = append(parts, p)
	}
	return parts, nil
}

func parseToken(tok string) (part, error) {
	p := part{kind: literalToken, tok: tok}
	switch {
	case tok == ">":
		p.kind = restToken
		return p, nil
	case len(tok) > 1 && tok[0] == '$':
		// As in nats-server: $<integer> is a position, any other $ token
		// (such as $KV) is literal.
		if n, err := strconv.Atoi(tok[1:]); err == nil {
			if n < 1 {
				return p, strictf("wildcard position %s must be at least 1", tok)
			}
			p.kind, p.pos = wildcardFn, []int{n}
		}
		return p, nil
	case !strings.Contains(tok, "{{") && !strings.Contains(tok, "}}"):
		return p, nil
	}
	m := functionRE.FindStringSubmatch(tok)
	// A "{{" inside the arguments would let nats-server's unanchored
	// expressions find another function there.
	if m == nil || strings.Contains(m[2], "{{") {
		return p, strictf("mapping function in token %q must fill the whole token, as in a.{{wildcard(1)}}.b", tok)
	}
	for _, f := range functions {
		if sameName(m[1], f.name) {
			p.kind = f.kind
		}
	}
	if p.kind == literalToken { // no function of that name
		return p, fmt.Errorf("unknown mapping function %q in %s (accepted: %s)", m[1], tok, functionNames())
	}
	return p, p.parseArgs(splitArgs(m[2]))
}

// parseArgs reads the arguments of a function the way nats-server does.
func (p *part) parseArgs(args []string) error {
	var err error
	switch p.kind {
	case wildcardFn:
		switch {
		case len(args) == 1 && args[0] == "":
			return p.errorf("not enough arguments")
		case len(args) > 1:
			return p.errorf("too many arguments (want a wildcard position)")
		}
		p.pos = make([]int, 1)
		if p.pos[0], err = p.integer(args[0]); err != nil {
			return err
		}
	case partitionFn:
		if p.n, err = p.count(args[0]); err != nil {
			return err
		}
		p.pos = make([]int, len(args)-1)
		for i, a := range args[1:] {
			if p.pos[i], err = p.integer(a); err != nil {
				return err
			}
		}
	case randomFn:
		if len(args) != 1 {
			return p.errorf("wrong number of arguments (want a count)")
		}
		if p.n, err = p.count(args[0]); err != nil {
			return err
		}
	case splitFn:
		if err := p.two(args, "a wildcard position and a delimiter"); err != nil {
			return err
		}
		p.pos = make([]int, 1)
		if p.pos[0], err = p.integer(args[0]); err != nil {
			return err
		}
		if strings.ContainsAny(args[1], " .") {
			return p.errorf("invalid delimiter %q (no space)", args[1])
		}
		p.delim = args[1]
	default: // the functions of a position and a number
		if err := p.two(args, "a wildcard position and a number"); err != nil {
			return err
		}
		p.pos = make([]int, 1)
		if p.pos[0], err = p.integer(args[0]); err != nil {
			return err
		}
		n, err := strconv.ParseInt(strings.Trim(args[1], " "), 10, 32)
		if err != nil {
			return p.errorf("invalid argument %q (want a 32-bit integer)", args[1])
		}
		p.n = int(n)
	}
	for _, n := range p.pos {
		if n < 1 {
			return strictf("wildcard position %d in %s must be at least 1", n, p.tok)
		}
	}
	return nil
}

func (p *part) two(args []string, want string) error {
	switch {
	case len(args) < 2:
		return p.errorf("not enough arguments (want %s)", want)
	case len(args) > 2:
		return p.errorf("too many arguments (want %s)", want)
	}
	return nil
}

func (p *part) integer(arg string) (int, error) {
	n, err := strconv.Atoi(strings.Trim(arg, " "))
	if err != nil {
		return 0, p.errorf("invalid argument %q (want an integer)", arg)
	}
	return n, nil
}

// count reads a partition or random count, which nats-server takes as any
// integer up to MaxInt32; a count below 1 cannot be meant.
func (p *part) count(arg string) (int, error) {
	n, err := p.integer(arg)
	switch {
	case err != nil:
		return 0, err
	case n > math.MaxInt32:
		return 0, p.errorf("invalid argument %q (want a 32-bit integer)", arg)
	case n < 1:
		return 0, strictf("count %d in %s must be at least 1", n, p.tok)
	}
	return n, nil
}

func (p *part) errorf(format string, args ...any) error {
	return fmt.Errorf("%s in %s", fmt.Sprintf(format, args...), p.tok)
}

// splitArgs splits a function's arguments at commas, dropping whitespace
// after each comma, as nats-server's `,\s*` does.
func splitArgs(s string) []string {
	args := strings.Split(s, ",")
	for i := 1; i < len(args); i++ {
		args[i] = strings.TrimLeft(args[i], whitespace)
	}
	return args
}

// sameName reports whether got spells the function name as nats-server
// accepts it: the first letter of each camel-case word in either case.
func sameName(got, name string) bool {
	if len(got) != len(name) {
		return false
	}
	for i := range len(got) {
		g, n := got[i], name[i]
		if i == 0 || 'A' <= n && n <= 'Z' {
			g, n = g|0x20, n|0x20 // both are letters: fold to lower case
		}
		if g != n {
			return false
		}
	}
	return true
}

func functionNames() string {
	names := make([]string, len(functions))
	for i, f := range functions {
		names[i] = f.name
	}
	return strings.Join(names, ", ")
}
