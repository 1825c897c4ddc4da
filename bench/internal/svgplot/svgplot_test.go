package svgplot_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/natsbridge/bridge/bench/internal/svgplot"
)

// bars returns the width of every bar rect, in document order, and checks
// that the document is well-formed XML.
func bars(t *testing.T, doc []byte) []float64 {
	t.Helper()
	var widths []float64
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return widths
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, doc)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "rect" {
			continue
		}
		var class, width string
		for _, a := range se.Attr {
			switch a.Name.Local {
			case "class":
				class = a.Value
			case "width":
				width = a.Value
			}
		}
		if class != "bar" {
			continue
		}
		w, err := strconv.ParseFloat(width, 64)
		if err != nil {
			t.Fatalf("bar width %q: %v", width, err)
		}
		widths = append(widths, w)
	}
}

func TestWriteLinear(t *testing.T) {
	var b bytes.Buffer
	err := svgplot.Write(&b, 800, svgplot.Chart{
		Title: "ratios <bridge/relay>",
		Unit:  "ratio",
		Ref:   1,
		Groups: []svgplot.Group{{Title: "passthrough & co", Bars: []svgplot.Bar{
			{Label: "throughput", Value: 1},
			{Label: "cpu", Value: 2, HasMark: true, Mark: 1.2, MarkText: "target ≤ 1.2", Bad: true},
			{Label: "missing", Value: math.NaN()},
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	doc := b.Bytes()
	w := bars(t, doc)
	if len(w) != 2 {
		t.Fatalf("got %d bars, want 2 (NaN draws none)", len(w))
	}
	if math.Abs(w[1]/w[0]-2) > 0.01 {
		t.Errorf("bar widths %v: want the second twice the first", w)
	}
	for _, want := range []string{"ratios &lt;bridge/relay&gt;", "passthrough &amp; co", "n/a", `class="mark"`, "stroke-dasharray"} {
		if !bytes.Contains(doc, []byte(want)) {
			t.Errorf("output lacks %q", want)
		}
	}
}

func TestWriteLog(t *testing.T) {
	var b bytes.Buffer
	err := svgplot.Write(&b, 800, svgplot.Chart{
		Title:  "latency",
		Unit:   "µs",
		Log:    true,
		Series: []string{"bridge", "relay"},
		Groups: []svgplot.Group{{Title: "p50", Bars: []svgplot.Bar{
			{Label: "bridge", Series: 0, Value: 10},
			{Label: "relay", Series: 1, Value: 100},
			{Label: "zero", Series: 1, Value: 0},
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	w := bars(t, b.Bytes())
	if len(w) != 2 {
		t.Fatalf("got %d bars, want 2 (log scale draws no bar for 0)", len(w))
	}
	// Axis from 10 to 100: the first bar is empty, the second full.
	if w[0] > 0.5 || w[1] < 100 {
		t.Errorf("bar widths %v on a 10..100 log axis", w)
	}
	if !strings.Contains(b.String(), ">relay</text>") {
		t.Error("no legend entry for relay")
	}
}

func TestWriteEmpty(t *testing.T) {
	err := svgplot.Write(io.Discard, 800, svgplot.Chart{Title: "nothing", Groups: []svgplot.Group{{Bars: []svgplot.Bar{{Value: math.NaN()}}}}})
	if !errors.Is(err, svgplot.ErrEmpty) {
		t.Errorf("err = %v, want ErrEmpty", err)
	}
}
