package artifact_test

import (
	"testing"

	"github.com/natsbridge/bridge/artifact"
)

func BenchmarkCodec(b *testing.B) {
	a := sample()
	a.Payload = make([]byte, 1024)
	buf, _ := a.MarshalBinary()
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		dst := make([]byte, 0, len(buf))
		for b.Loop() {
			dst, _ = a.AppendBinary(dst[:0])
		}
	})
	b.Run("unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var out artifact.Artifact
			if err := out.UnmarshalBinary(buf); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("new id", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = artifact.NewID()
		}
	})
}
