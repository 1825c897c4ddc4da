package jq

import (
	"encoding/json"
	"strconv"
	"testing"
)

// FuzzExactFloat checks exactFloat's shortcut (shortDecimal) against what
// it stands for: formatting the float64 as gojq does gives the text back.
func FuzzExactFloat(f *testing.F) {
	for _, s := range []string{"3.5", "-0.5", "0.05", "0.000001", "0.0000001", "1.0", "1.50", "123456789012345.5",
		"12345678901234.5", "0.30000000000000004", "9.99999999999999", "100000000000000000000.5", "1e5", "1.5E-3", "-0.0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if !json.Valid([]byte(text)) {
			return
		}
		if _, err := strconv.ParseFloat(text, 64); err != nil {
			return // not a number (or out of range: exactFloat says no)
		}
		fl, ok := exactFloat(text)
		var buf [32]byte
		want := fl != 0 && string(appendFloat(buf[:0], fl)) == text
		if ok != want {
			t.Fatalf("exactFloat(%q) = %v, %v; formatting says %v", text, fl, ok, want)
		}
	})
}

func TestShortDecimal(t *testing.T) {
	for text, want := range map[string]bool{
		"3.5": true, "-0.5": true, "0.05": true, "10.25": true, "123456789012345.5": false, "12345678901234.5": true,
		"1.0": false, "1.50": false, "1e5": false, "1.5E-3": false, "15": false, "0.000000000000001": true,
	} {
		if got := shortDecimal(text); got != want {
			t.Errorf("shortDecimal(%q) = %v, want %v", text, got, want)
		}
	}
}
