package routetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/bridge"
)

// compare says how what Simulate returned differs from what c expects.
func compare(c *Case, outs []*artifact.Artifact, err error) []string {
	f, failed := errors.AsType[*bridge.Failure](err)
	if err != nil && !failed {
		return []string{"the route cannot run: " + err.Error()}
	}
	switch {
	case c.Fails != "" && failed:
		if f.Reason == c.Fails {
			return nil
		}
		return []string{fmt.Sprintf("want failure %s, got failure %s: %v", c.Fails, f.Reason, f.Err)}
	case c.Fails != "":
		return append([]string{fmt.Sprintf("want failure %s, got %s", c.Fails, count(len(outs)))}, describe(outs)...)
	case failed:
		return []string{fmt.Sprintf("want %s, got failure %s: %v", count(len(c.Output)), f.Reason, f.Err)}
	case len(outs) != len(c.Output):
		return append([]string{fmt.Sprintf("want %s, got %s", count(len(c.Output)), count(len(outs)))}, describe(outs)...)
	}
	var diffs []string
	for i, out := range outs {
		diffs = append(diffs, compareOutput(fmt.Sprintf("output %d", i+1), &c.Output[i], out)...)
	}
	return diffs
}

func count(n int) string {
	switch n {
	case 0:
		return "no output (filtered)"
	case 1:
		return "1 output"
	}
	return fmt.Sprintf("%d outputs", n)
}

// describe lists outputs, for a test that expected others.
func describe(outs []*artifact.Artifact) []string {
	var lines []string
	for i, o := range outs {
		lines = append(lines, fmt.Sprintf("  output %d: subject %s, payload %s", i+1, o.Subject, shown(o.Payload)))
		if len(o.Meta) > 0 {
			var hs []string
			for _, name := range slices.Sorted(maps.Keys(o.Meta)) {
				hs = append(hs, fmt.Sprintf("%s: %q", name, o.Meta[name]))
			}
			lines = append(lines, "    headers "+strings.Join(hs, ", "))
		}
	}
	return lines
}

func compareOutput(what string, want *Output, got *artifact.Artifact) []string {
	var diffs []string
	if want.Subject != "" && want.Subject != got.Subject {
		diffs = append(diffs, fmt.Sprintf("%s: subject: want %s, got %s", what, want.Subject, got.Subject))
	}
	for _, name := range slices.Sorted(maps.Keys(want.Headers)) {
		w, g := want.Headers[name], got.Meta[name]
		if slices.Equal(w, g) || len(w) == 0 && len(g) == 0 {
			continue
		}
		switch {
		case len(w) == 0:
			diffs = append(diffs, fmt.Sprintf("%s: header %s: want none, got %q", what, name, g))
		case len(g) == 0:
			d := fmt.Sprintf("%s: header %s: want %q, got none", what, name, w)
			if other := otherCase(got.Meta, name); other != "" {
				d += fmt.Sprintf(" (names are case-sensitive; got %s: %q)", other, got.Meta[other])
			}
			diffs = append(diffs, d)
		default:
			diffs = append(diffs, fmt.Sprintf("%s: header %s: want %q, got %q", what, name, w, g))
		}
	}
	if want.HasPayload {
		if d := diffPayload(want.Payload, got.Payload); len(d) > 0 {
			diffs = append(diffs, what+": "+d[0])
			diffs = append(diffs, d[1:]...)
		}
	}
	return diffs
}

// otherCase returns the name in h that equals name but for case, or "".
func otherCase(h artifact.Metadata, name string) string {
	for _, k := range slices.Sorted(maps.Keys(h)) {
		if strings.EqualFold(k, name) {
			return k
		}
	}
	return ""
}

// diffPayload compares payloads as JSON when both parse as JSON, else as
// bytes; it returns nil when they are equal.
func diffPayload(want, got []byte) []string {
	w, wok := decodeJSON(want)
	g, gok := decodeJSON(got)
	if wok && gok {
		d := diffJSON(w, g)
		if len(d) == 0 {
			return nil
		}
		lines := []string{"payload (compared as JSON):"}
		for _, l := range d {
			lines = append(lines, "  "+l)
		}
		return lines
	}
	if bytes.Equal(want, got) {
		return nil
	}
	head := "payload:"
	switch {
	case wok:
		head = "payload (compared as bytes: the output is not JSON):"
	case gok:
		head = "payload (compared as bytes: the payload expected is not JSON):"
	}
	lines := []string{head, "  want " + shown(want), "  got  " + shown(got)}
	if i := firstDifference(want, got); i > 40 {
		lines = append(lines, fmt.Sprintf("  (they differ from byte %d)", i))
	}
	return lines
}

func firstDifference(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// maxShown bounds the bytes of a payload shown in a difference.
const maxShown = 200

// shown shows a payload in a difference: JSON compacted, other bytes
// quoted, shortened past maxShown bytes.
func shown(b []byte) string {
	var c bytes.Buffer
	if json.Valid(b) && json.Compact(&c, b) == nil {
		b = c.Bytes()
		if len(b) <= maxShown {
			return string(b)
		}
		return fmt.Sprintf("%s… (%d bytes compacted)", cut(b), len(b))
	}
	if len(b) <= maxShown {
		return strconv.Quote(string(b))
	}
	return fmt.Sprintf("%s… (%d bytes)", strconv.Quote(string(cut(b))), len(b))
}

// cut returns b shortened to maxShown bytes, at a rune boundary.
func cut(b []byte) []byte {
	n := maxShown
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return b[:n]
}
