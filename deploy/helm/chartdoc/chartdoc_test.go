package chartdoc_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/natsbridge/bridge/deploy/helm/chartdoc"
)

const sample = `# File comment, not a value.

image:
  # -- Image repository.
  repository: natsbridge/bridge
  # Ordinary comment.
  # -- Tag; empty means
  # the appVersion.
  tag: ""
# -- Secrets for pulling: a list
# of {name: ...}.
imagePullSecrets: []
nats:
  # -- Password from a Secret.
  password:
    existingSecret: ""
    key: password
  # -- Pings.
  maxPingsOut: null
# -- Replicas.
replicaCount: 1
`

func TestParse(t *testing.T) {
	values, err := chartdoc.Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	want := []chartdoc.Value{
		{Key: "image.repository", Type: "string", Default: `"natsbridge/bridge"`, Description: "Image repository."},
		{Key: "image.tag", Type: "string", Default: `""`, Description: "Tag; empty means the appVersion."},
		{Key: "imagePullSecrets", Type: "list", Default: `[]`, Description: "Secrets for pulling: a list of {name: ...}."},
		{Key: "nats.password", Type: "object", Default: `{"existingSecret":"","key":"password"}`, Description: "Password from a Secret."},
		{Key: "nats.maxPingsOut", Type: "null", Default: `null`, Description: "Pings."},
		{Key: "replicaCount", Type: "int", Default: `1`, Description: "Replicas."},
	}
	if len(values) != len(want) {
		t.Fatalf("got %d values, want %d: %+v", len(values), len(want), values)
	}
	for i := range want {
		if values[i] != want[i] {
			t.Errorf("value %d:\n got %+v\nwant %+v", i, values[i], want[i])
		}
	}
}

func TestParseUndocumented(t *testing.T) {
	_, err := chartdoc.Parse([]byte("a:\n  # -- ok\n  b: 1\n  c: 2\nd: []\n"))
	if !errors.Is(err, chartdoc.ErrUndocumented) {
		t.Fatalf("err %v, want ErrUndocumented", err)
	}
	for _, key := range []string{"a.c", "d"} {
		if !strings.Contains(err.Error(), key+" (line") {
			t.Errorf("error does not name %s: %v", key, err)
		}
	}
}

func TestTable(t *testing.T) {
	got := chartdoc.Table([]chartdoc.Value{
		{Key: "a", Type: "string", Default: "\"x|`y`\"", Description: "Uses *_FILE and <n> | pipes."},
	})
	want := "| Key | Type | Default | Description |\n|---|---|---|---|\n" +
		"| `a` | string | ``\"x\\|`y`\"`` | Uses \\*\\_FILE and \\<n\\> \\| pipes. |\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestSplice(t *testing.T) {
	readme := "# Chart\n\n" + chartdoc.Begin + "\nold\n" + chartdoc.End + "\n\nmore\n"
	got, err := chartdoc.Splice(readme, "new\n")
	if err != nil {
		t.Fatal(err)
	}
	want := "# Chart\n\n" + chartdoc.Begin + "\n\nnew\n\n" + chartdoc.End + "\n\nmore\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	again, err := chartdoc.Splice(got, "new\n")
	if err != nil || again != got {
		t.Errorf("splicing twice changed the README: %q, %v", again, err)
	}
	if _, err := chartdoc.Splice("no markers", "x"); !errors.Is(err, chartdoc.ErrMarkers) {
		t.Errorf("err %v, want ErrMarkers", err)
	}
}

// FuzzParse checks that no input makes Parse panic, and that what it
// parses renders a table with one row per value.
func FuzzParse(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte("a: &x {b: 1}\n# -- c\nc: *x\n"))
	f.Add([]byte("- 1\n- 2\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		values, err := chartdoc.Parse(data)
		if err != nil {
			return
		}
		table := chartdoc.Table(values)
		if rows := strings.Count(table, "\n") - 2; rows != len(values) {
			t.Errorf("%d rows for %d values", rows, len(values))
		}
	})
}
