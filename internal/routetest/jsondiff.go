package routetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"unicode/utf8"
)

// maxDiffs bounds the differences listed for one payload.
const maxDiffs = 20

// decodeJSON decodes b if it is exactly one JSON value, keeping numbers as
// written.
func decodeJSON(b []byte) (any, bool) {
	if !json.Valid(b) {
		return nil, false
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, false
	}
	return v, true
}

// diffJSON lists where got differs from want, each difference at its path
// in jq's syntax (.items[0].price): object keys in any order, numbers by
// value (1, 1.0 and 1e0 are equal).
func diffJSON(want, got any) []string {
	d := &jsonDiff{}
	d.walk(".", want, got)
	if d.more > 0 {
		d.lines = append(d.lines, fmt.Sprintf("… and %d more", d.more))
	}
	return d.lines
}

type jsonDiff struct {
	lines []string
	more  int // differences past maxDiffs
}

func (d *jsonDiff) add(format string, args ...any) {
	if len(d.lines) == maxDiffs {
		d.more++
		return
	}
	d.lines = append(d.lines, fmt.Sprintf(format, args...))
}

func (d *jsonDiff) walk(path string, want, got any) {
	switch w := want.(type) {
	case map[string]any:
		if g, ok := got.(map[string]any); ok {
			keys := slices.Sorted(maps.Keys(w))
			for k := range g {
				if _, ok := w[k]; !ok {
					keys = append(keys, k)
				}
			}
			slices.Sort(keys)
			for _, k := range keys {
				wv, wok := w[k]
				gv, gok := g[k]
				switch p := keyPath(path, k); {
				case !gok:
					d.add("%s: missing, want %s", p, text(wv))
				case !wok:
					d.add("%s: not expected, got %s", p, text(gv))
				default:
					d.walk(p, wv, gv)
				}
			}
			return
		}
	case []any:
		if g, ok := got.([]any); ok {
			if len(w) != len(g) {
				d.add("%s: want %d elements, got %d", path, len(w), len(g))
			}
			for i := range max(len(w), len(g)) {
				p := indexPath(path, i)
				switch {
				case i >= len(g):
					d.add("%s: missing, want %s", p, text(w[i]))
				case i >= len(w):
					d.add("%s: not expected, got %s", p, text(g[i]))
				default:
					d.walk(p, w[i], g[i])
				}
			}
			return
		}
	case json.Number:
		if g, ok := got.(json.Number); ok && sameNumber(w, g) {
			return
		}
	default: // string, bool, nil
		if want == got {
			return
		}
	}
	d.add("%s: want %s, got %s", path, text(want), text(got))
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func keyPath(path, key string) string {
	if !identifier.MatchString(key) {
		key = strconv.Quote(key)
	}
	if path == "." {
		return "." + key
	}
	return path + "." + key
}

func indexPath(path string, i int) string {
	if path == "." {
		return fmt.Sprintf(".[%d]", i)
	}
	return fmt.Sprintf("%s[%d]", path, i)
}

// sameNumber reports whether two JSON numbers have the same value, to 256
// bits, which tells apart any two integers of up to 77 digits.
func sameNumber(a, b json.Number) bool {
	if a == b {
		return true
	}
	x, _, err1 := big.ParseFloat(string(a), 10, 256, big.ToNearestEven)
	y, _, err2 := big.ParseFloat(string(b), 10, 256, big.ToNearestEven)
	return err1 == nil && err2 == nil && x.Cmp(y) == 0
}

// maxText bounds the bytes of a JSON value shown in a difference.
const maxText = 80

// text is v as compact JSON, shortened past maxText bytes.
func text(v any) string {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	s := bytes.TrimSuffix(b.Bytes(), []byte("\n"))
	if len(s) <= maxText {
		return string(s)
	}
	n := maxText
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return string(s[:n]) + "…"
}
