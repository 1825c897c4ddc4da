package subjectmap

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// The functions below follow nats-server's
// (*subjectTransform).TransformTokenizedSubject (server/subject_transform.go)
// case by case, including what it does with a token too short to split or
// slice; mapping_test.go checks that both give the same subjects.

// transform builds the output subject from toks, the tokens of a subject
// that matches the input pattern.
func (m *Mapping) transform(toks []string) string {
	size := m.fixed
	for _, p := range m.parts {
		if p.kind == restToken {
			for _, t := range toks[len(m.inToks)-1:] {
				size += len(t) + 1
			}
			continue
		}
		size += p.size(toks)
	}
	var b strings.Builder
	b.Grow(size)
	for i, p := range m.parts {
		if i > 0 {
			b.WriteByte('.')
		}
		if p.kind == restToken {
			// The tokens that the input's trailing `>` matched.
			for j, t := range toks[len(m.inToks)-1:] {
				if j > 0 {
					b.WriteByte('.')
				}
				b.WriteString(t)
			}
			continue
		}
		p.write(&b, toks)
	}
	return b.String()
}

// size returns at least the number of bytes p writes for toks.
func (p part) size(toks []string) int {
	switch p.kind {
	case literalToken:
		return 0 // counted in Mapping.fixed
	case partitionFn, randomFn:
		return 10 // digits of a uint32
	case wildcardFn, leftFn, rightFn:
		return len(toks[p.src[0]])
	}
	return 2*len(toks[p.src[0]]) + 1 // a separator at most after each byte
}

// write writes the output of function p for toks.
func (p part) write(b *strings.Builder, toks []string) {
	var digits [10]byte
	switch p.kind {
	case literalToken:
		b.WriteString(p.tok)
	case wildcardFn:
		b.WriteString(toks[p.src[0]])
	case partitionFn:
		b.Write(strconv.AppendUint(digits[:0], uint64(partition(toks, p.src)%uint32(p.n)), 10))
	case randomFn:
		b.Write(strconv.AppendInt(digits[:0], int64(int(rand.Int32())%p.n), 10))
	case splitFromLeftFn:
		tok := toks[p.src[0]]
		if p.n > 0 && p.n < len(tok) {
			b.WriteString(tok[:p.n])
			b.WriteByte('.')
			b.WriteString(tok[p.n:])
		} else {
			b.WriteString(tok)
		}
	case splitFromRightFn:
		tok := toks[p.src[0]]
		if p.n > 0 && p.n < len(tok) {
			b.WriteString(tok[:len(tok)-p.n])
			b.WriteByte('.')
			b.WriteString(tok[len(tok)-p.n:])
		} else {
			b.WriteString(tok)
		}
	case sliceFromLeftFn:
		sliceFromLeft(b, toks[p.src[0]], p.n)
	case sliceFromRightFn:
		sliceFromRight(b, toks[p.src[0]], p.n)
	case splitFn:
		split(b, toks[p.src[0]], p.delim)
	case leftFn:
		tok := toks[p.src[0]]
		if p.n > 0 && p.n < len(tok) {
			tok = tok[:p.n]
		}
		b.WriteString(tok)
	case rightFn:
		tok := toks[p.src[0]]
		if p.n > 0 && p.n < len(tok) {
			tok = tok[len(tok)-p.n:]
		}
		b.WriteString(tok)
	}
}

// partition returns the 32-bit FNV-1a hash that nats-server's partition
// function takes modulo its count: of the tokens at src concatenated, or of
// the whole subject when no position is given.
func partition(toks []string, src []int) uint32 {
	const offset, prime = 2166136261, 16777619
	h := uint32(offset)
	add := func(s string) {
		for i := range len(s) {
			h ^= uint32(s[i])
			h *= prime
		}
	}
	if len(src) == 0 {
		for i, t := range toks {
			if i > 0 {
				add(".")
			}
			add(t)
		}
		return h
	}
	for _, i := range src {
		add(toks[i])
	}
	return h
}

// sliceFromLeft writes tok in pieces of size from the left; the last piece
// holds the rest.
func sliceFromLeft(b *strings.Builder, tok string, size int) {
	if size <= 0 || size >= len(tok) {
		b.WriteString(tok)
		return
	}
	for i := 0; i+size <= len(tok); i += size {
		if i != 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok[i : i+size])
		if i+size != len(tok) && i+2*size > len(tok) {
			b.WriteByte('.')
			b.WriteString(tok[i+size:])
			break
		}
	}
}

// sliceFromRight writes tok in pieces of size from the right; the first
// piece holds the rest.
func sliceFromRight(b *strings.Builder, tok string, size int) {
	if size <= 0 || size >= len(tok) {
		b.WriteString(tok)
		return
	}
	rem := len(tok) % size
	if rem > 0 {
		b.WriteString(tok[:rem])
		b.WriteByte('.')
	}
	for i := rem; i+size <= len(tok); i += size {
		b.WriteString(tok[i : i+size])
		if i+size < len(tok) {
			b.WriteByte('.')
		}
	}
}

// split writes tok with each delim replaced by a separator, dropping empty
// pieces as nats-server does.
func split(b *strings.Builder, tok, delim string) {
	pieces := strings.Split(tok, delim)
	for j, piece := range pieces {
		b.WriteString(piece)
		if j < len(pieces)-1 && pieces[j+1] != "" && !(j == 0 && piece == "") {
			b.WriteByte('.')
		}
	}
}
