package routetest_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/natsbridge/bridge/internal/routetest"
)

func TestDiffPayload(t *testing.T) {
	many := func(n int, v string) string {
		var kv []string
		for i := range n {
			kv = append(kv, fmt.Sprintf(`"k%02d":%s`, i, v))
		}
		return "{" + strings.Join(kv, ",") + "}"
	}
	long := strings.Repeat("x", 100)
	tests := []struct {
		name      string
		want, got string
		diff      []string
	}{
		{"same JSON, other spacing and key order", `{"a":1,"b":[true,null]}`, "{ \"b\": [true, null],\n \"a\": 1 }\n", nil},
		{"numbers by value", `[1, 1.0, 100e-2, -0, 12345678901234567890]`, `[1e0, 1, 1, 0, 12345678901234567890.0]`, nil},
		{"integers past float64", `12345678901234567890`, `12345678901234567891`, []string{
			"payload (compared as JSON):", "  .: want 12345678901234567890, got 12345678901234567891"}},
		{"paths", `{"a":{"b c":[1,2],"d":1},"e":null}`, `{"a":{"b c":[1,3,4],"d":"1"},"f":false}`, []string{
			"payload (compared as JSON):",
			`  .a."b c": want 2 elements, got 3`,
			`  .a."b c"[1]: want 2, got 3`,
			`  .a."b c"[2]: not expected, got 4`,
			`  .a.d: want 1, got "1"`,
			`  .e: missing, want null`,
			`  .f: not expected, got false`,
		}},
		{"root array", `[{"a":1}]`, `[]`, []string{"payload (compared as JSON):", "  .: want 1 elements, got 0", `  .[0]: missing, want {"a":1}`}},
		{"kinds", `{"a":[1]}`, `{"a":{"0":1}}`, []string{"payload (compared as JSON):", `  .a: want [1], got {"0":1}`}},
		{"long values are cut", `"` + long + `<>"`, `"y"`, []string{
			"payload (compared as JSON):", `  .: want "` + long[:79] + `…, got "y"`}},
		{"many differences", many(25, "1"), many(25, "2"), append(append([]string{"payload (compared as JSON):"},
			func() []string {
				var l []string
				for i := range 20 {
					l = append(l, fmt.Sprintf("  .k%02d: want 1, got 2", i))
				}
				return l
			}()...), "  … and 5 more")},
		{"bytes", "hello", "hello", nil},
		{"empty", "", "", nil},
		{"other bytes", "hello", "hallo\x00", []string{"payload:", `  want "hello"`, `  got  "hallo\x00"`}},
		{"JSON against bytes", `{"a":1}`, "a=1", []string{
			"payload (compared as bytes: the output is not JSON):", `  want {"a":1}`, `  got  "a=1"`}},
		{"two JSON values are not JSON", `1`, `1 1`, []string{
			"payload (compared as bytes: the output is not JSON):", `  want 1`, `  got  "1 1"`}},
		{"a late difference", long + "a", long + "b", []string{
			"payload:", `  want "` + long + `a"`, `  got  "` + long + `b"`, "  (they differ from byte 100)"}},
		{"long payloads are cut", strings.Repeat("é", 150), "", []string{
			"payload:", `  want "` + strings.Repeat("é", 100) + `"… (300 bytes)`, `  got  ""`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := routetest.DiffPayload([]byte(tt.want), []byte(tt.got))
			if !reflect.DeepEqual(got, tt.diff) {
				t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.diff, "\n"))
			}
		})
	}
}
