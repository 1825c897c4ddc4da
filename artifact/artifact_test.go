package artifact_test

import (
	"errors"
	"testing"
	"time"

	"github.com/natsbridge/bridge/artifact"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func sample() *artifact.Artifact {
	a := artifact.New("orders.created", []byte(`{"id":42}`))
	a.Reply = "_INBOX.abc"
	a.Created = time.Date(2026, 11, 27, 3, 4, 5, 123456789, time.FixedZone("", 3600))
	a.Meta = artifact.Metadata{
		artifact.KeyType:        {"order"},
		artifact.KeyContentType: {"application/json"},
		"Multi":                 {"a", "", "c"},
		"Empty":                 {},
	}
	return a
}

func equal(t *testing.T, want, got *artifact.Artifact) {
	t.Helper()
	if got.ID != want.ID {
		t.Errorf("ID = %v, want %v", got.ID, want.ID)
	}
	if got.Subject != want.Subject || got.Reply != want.Reply {
		t.Errorf("subject/reply = %q/%q, want %q/%q", got.Subject, got.Reply, want.Subject, want.Reply)
	}
	if string(got.Payload) != string(want.Payload) {
		t.Errorf("payload = %q, want %q", got.Payload, want.Payload)
	}
	if !got.Created.Equal(want.Created) {
		t.Errorf("created = %v, want %v", got.Created, want.Created)
	}
	_, goff := got.Created.Zone()
	_, woff := want.Created.Zone()
	if goff != woff {
		t.Errorf("zone offset = %d, want %d", goff, woff)
	}
	if !got.Meta.Equal(want.Meta) {
		t.Errorf("meta = %v, want %v", got.Meta, want.Meta)
	}
	for k, vs := range want.Meta {
		if len(got.Meta[k]) != len(vs) {
			t.Errorf("meta[%q] has %d values, want %d", k, len(got.Meta[k]), len(vs))
		}
	}
}

func TestRoundTrip(t *testing.T) {
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(i * 7)
	}
	tests := []struct {
		name string
		a    *artifact.Artifact
	}{
		{"zero", &artifact.Artifact{}},
		{"full", sample()},
		{"no id", &artifact.Artifact{Subject: "a", Payload: []byte("x")}},
		{"utc time", &artifact.Artifact{Created: time.Unix(1700000000, 5).UTC()}},
		{"time before 1970", &artifact.Artifact{Created: time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC)}},
		{"time far future", &artifact.Artifact{Created: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)}},
		{"negative zone", &artifact.Artifact{Created: time.Date(2000, 1, 1, 0, 0, 0, 0, time.FixedZone("X", -9*3600-1800))}},
		{"large payload", &artifact.Artifact{Subject: "big", Payload: big}},
		{"binary strings", &artifact.Artifact{Subject: "\x00\xff", Meta: artifact.Metadata{"\x00": {"\xff"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.a.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if len(b) != tt.a.EncodedLen() {
				t.Errorf("len = %d, EncodedLen = %d", len(b), tt.a.EncodedLen())
			}
			var got artifact.Artifact
			if err := got.UnmarshalBinary(b); err != nil {
				t.Fatal(err)
			}
			equal(t, tt.a, &got)
			// Decoding must not retain the input.
			clear(b)
			equal(t, tt.a, &got)
		})
	}
}

func TestUnmarshalErrors(t *testing.T) {
	good, _ := sample().MarshalBinary()
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, artifact.ErrMalformed},
		{"version 0", []byte{0, 0}, artifact.ErrVersion},
		{"version 2", []byte{2, 0, 0, 0, 0, 0}, artifact.ErrVersion},
		{"unknown flag", []byte{1, 4, 0, 0, 0, 0}, artifact.ErrMalformed},
		{"truncated", good[:len(good)-1], artifact.ErrMalformed},
		{"trailing", append(append([]byte(nil), good...), 0), artifact.ErrMalformed},
		{"huge length", []byte{1, 0, 0xff, 0xff, 0xff, 0xff, 0x0f}, artifact.ErrMalformed},
		{"huge count", []byte{1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f}, artifact.ErrMalformed},
		{"zero id", append([]byte{1, 1}, make([]byte, 20)...), artifact.ErrMalformed},
		{"bad nanos", []byte{1, 2, 0, 0x80, 0x94, 0xeb, 0xdc, 0x03, 0, 0, 0, 0, 0}, artifact.ErrMalformed},
		{"duplicate key", []byte{1, 0, 0, 0, 2, 1, 'k', 0, 1, 'k', 0, 0}, artifact.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := sample()
			before := a.Clone()
			err := a.UnmarshalBinary(tt.data)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			equal(t, before, a) // unchanged on error
		})
	}
}

func TestIDs(t *testing.T) {
	seen := make(map[artifact.ID]bool)
	for range 1000 {
		id := artifact.NewID()
		if id.IsZero() || seen[id] {
			t.Fatalf("id %v zero or repeated", id)
		}
		seen[id] = true
		back, err := artifact.ParseID(id.String())
		if err != nil || back != id {
			t.Fatalf("ParseID(%q) = %v, %v", id.String(), back, err)
		}
	}
	if s := (artifact.ID{}).String(); s != "" {
		t.Errorf("zero ID string = %q", s)
	}
	for _, bad := range []string{"abc", "zz" + artifact.NewID().String()[2:]} {
		if _, err := artifact.ParseID(bad); !errors.Is(err, artifact.ErrMalformed) {
			t.Errorf("ParseID(%q) err = %v", bad, err)
		}
	}
}

func TestCloneAndDerive(t *testing.T) {
	a := sample()
	c := a.Clone()
	c.Payload[0] = 'X'
	c.Meta.Add("Multi", "d")
	if a.Payload[0] == 'X' || len(a.Meta["Multi"]) != 3 {
		t.Fatal("Clone shares memory with the original")
	}
	a.Origin = "handle"
	d := a.Derive([]byte("new"))
	if d.Origin != "handle" || a.Clone().Origin != "handle" {
		t.Fatal("Origin not carried")
	}
	if d.ID == a.ID || d.Subject != a.Subject || d.Reply != a.Reply || !d.Meta.Equal(a.Meta) {
		t.Fatalf("Derive = %+v", d)
	}
	d.Meta.Set(artifact.KeyType, "other")
	if a.Type() != "order" {
		t.Fatal("Derive shares metadata with the original")
	}
}

func TestErrMetadata(t *testing.T) {
	a := &artifact.Artifact{}
	if a.Err() != nil {
		t.Fatal("fresh artifact has an error")
	}
	a.SetErr(errors.New("boom"))
	if err := a.Err(); !errors.Is(err, artifact.ErrCarried) || a.Meta.Get(artifact.KeyError) != "boom" {
		t.Fatalf("Err() = %v", err)
	}
	a.SetErr(nil)
	if a.Err() != nil {
		t.Fatal("SetErr(nil) did not clear")
	}
}

func TestTypedMetadata(t *testing.T) {
	m := artifact.Metadata{}
	now := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	artifact.Set(m, "s", "text")
	artifact.Set(m, "i", int64(-42))
	artifact.Set(m, "f", 0.1)
	artifact.Set(m, "b", true)
	artifact.Set(m, "t", now)
	artifact.Set(m, "d", 1500*time.Millisecond)

	if v, err := artifact.Get[string](m, "s"); err != nil || v != "text" {
		t.Errorf("string = %q, %v", v, err)
	}
	if v, err := m.Int64("i"); err != nil || v != -42 {
		t.Errorf("int64 = %d, %v", v, err)
	}
	if v, err := m.Float64("f"); err != nil || v != 0.1 {
		t.Errorf("float64 = %v, %v", v, err)
	}
	if v, err := m.Bool("b"); err != nil || !v {
		t.Errorf("bool = %v, %v", v, err)
	}
	if v, err := m.Time("t"); err != nil || !v.Equal(now) {
		t.Errorf("time = %v, %v", v, err)
	}
	if v, err := m.Duration("d"); err != nil || v != 1500*time.Millisecond {
		t.Errorf("duration = %v, %v", v, err)
	}
	if _, err := m.Int64("missing"); !errors.Is(err, artifact.ErrNoKey) {
		t.Errorf("missing key err = %v", err)
	}
	for _, k := range []string{"s", "t", "d"} {
		if _, err := m.Int64(k); !errors.Is(err, artifact.ErrMalformed) {
			t.Errorf("Int64(%q) err = %v", k, err)
		}
	}
	if _, err := m.Bool("i"); !errors.Is(err, artifact.ErrMalformed) {
		t.Errorf("Bool err = %v", err)
	}
	var nilMeta artifact.Metadata
	if nilMeta.Get("x") != "" || nilMeta.Values("x") != nil {
		t.Error("nil metadata read")
	}
}
