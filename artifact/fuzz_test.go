package artifact_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/natsbridge/bridge/artifact"
)

// FuzzUnmarshal feeds arbitrary bytes to the decoder: it must return an error
// or an artifact that re-encodes to an equal artifact, and never panic.
func FuzzUnmarshal(f *testing.F) {
	for _, a := range []*artifact.Artifact{
		{},
		sample(),
		{Subject: "x", Payload: []byte("p"), Meta: artifact.Metadata{"k": {"v1", "v2"}}},
		{Created: time.Unix(0, 0).UTC()},
	} {
		b, _ := a.MarshalBinary()
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Add([]byte{2, 0})
	f.Add([]byte{1, 0, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, data []byte) {
		var a artifact.Artifact
		err := a.UnmarshalBinary(data)
		if err != nil {
			if !errors.Is(err, artifact.ErrMalformed) && !errors.Is(err, artifact.ErrVersion) {
				t.Fatalf("error %v matches no sentinel", err)
			}
			return
		}
		b, err := a.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var again artifact.Artifact
		if err := again.UnmarshalBinary(b); err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		equal(t, &a, &again)
		if len(a.Meta) <= 1 && !bytes.Equal(b, data) {
			// With at most one key the encoding is canonical.
			t.Fatalf("re-encoding differs:\n%x\n%x", data, b)
		}
	})
}
