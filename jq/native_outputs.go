package jq

import (
	"maps"
	"slices"
)

// encoder evaluates an output of a program in payload mode and appends its
// encoding to b.
type encoder func(e *nativeEnv, in any, b []byte) ([]byte, res)

// valueEncoder encodes the value n evaluates to.
func valueEncoder(n node) encoder {
	return func(e *nativeEnv, in any, b []byte) ([]byte, res) {
		v, r := n(e, in)
		if r != one {
			return b, r
		}
		b, err := appendValue(b, v)
		if err != nil {
			return b, bail
		}
		return b, one
	}
}

// objectEncoder encodes an object construction as it is evaluated, with
// its keys sorted once and for all, and no map in between.
func objectEncoder(keys []string, vals []node) encoder {
	if len(keys) > maxEncodedKeys {
		return valueEncoder(objectNode(keys, vals))
	}
	// The members in encoding order, each once with the last value given
	// for its key.
	last := map[string]int{}
	for i, k := range keys {
		last[k] = i
	}
	type member struct {
		prefix []byte // "key":
		val    int
	}
	sorted := slices.Sorted(maps.Keys(last))
	members := make([]member, len(sorted))
	for i, k := range sorted {
		members[i] = member{append(appendString(nil, k), ':'), last[k]}
	}
	return func(e *nativeEnv, in any, b []byte) ([]byte, res) {
		var small [maxEncodedKeys]any
		vs, r := evalEach(e, in, vals, small[:0])
		if r != one {
			return b, r
		}
		b = append(b, '{')
		for i, m := range members {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, m.prefix...)
			var err error
			if b, err = appendValue(b, vs[m.val]); err != nil {
				return b, bail
			}
		}
		return append(b, '}'), one
	}
}

// messager evaluates an output of a program in message mode: an object
// describing a message, made without a map.
type messager func(e *nativeEnv, in any) (messageParts, res)

// objectMessager returns the messager of an object construction with only
// the keys subject, headers and payload; nil for any other (its node
// serves, and output checks its map).
func objectMessager(keys []string, vals []node) messager {
	for _, k := range keys {
		if k != "subject" && k != "headers" && k != "payload" {
			return nil
		}
	}
	return func(e *nativeEnv, in any) (messageParts, res) {
		var (
			m     messageParts
			small [3]any
		)
		vs, r := evalEach(e, in, vals, small[:0])
		if r != one {
			return m, r
		}
		for i, v := range vs {
			switch keys[i] { // a later duplicate key wins
			case "subject":
				m.subject, m.hasSubject = v, true
			case "headers":
				m.headers, m.hasHeaders = v, true
			default:
				m.payload, m.hasPayload = v, true
			}
		}
		return m, r
	}
}

// maxEncodedKeys bounds the objects objectEncoder encodes directly.
const maxEncodedKeys = 16
