package stream_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strconv"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/stream"
)

func richArtifact(i int) *artifact.Artifact {
	a := artifact.New("orders."+strconv.Itoa(i), bytes.Repeat([]byte{byte(i)}, i*37%500))
	a.Reply = "_INBOX." + strconv.Itoa(i)
	a.Created = time.Unix(int64(i), int64(i)).UTC()
	a.Meta = artifact.Metadata{"I": {strconv.Itoa(i)}, "Multi": {"a", "b"}}
	return a
}

func frames(t *testing.T, as ...*artifact.Artifact) []byte {
	t.Helper()
	var b []byte
	for _, a := range as {
		var err error
		if b, err = stream.AppendFrame(b, a); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// TestCopyBetweenBuffers checks the review's io.ReadWriteCloser face: io.Copy
// from one Buffer into another reproduces every artifact, however small the
// reads and writes are.
func TestCopyBetweenBuffers(t *testing.T) {
	const n = 200
	readers := map[string]func(io.Reader) io.Reader{
		"whole":    func(r io.Reader) io.Reader { return r },
		"one byte": iotest.OneByteReader,
		"half":     iotest.HalfReader,
	}
	for name, wrap := range readers {
		t.Run(name, func(t *testing.T) {
			src := newBuffer(t, stream.WithGenerator(stream.Passthrough()))
			dst := newBuffer(t)
			ctx := t.Context()
			var wg sync.WaitGroup
			wg.Go(func() {
				for i := range n {
					if err := src.Send(ctx, richArtifact(i)); err != nil {
						t.Error(err)
					}
				}
				_ = src.CloseSend()
			})
			var copied int64
			var copyErr error
			wg.Go(func() {
				// Hide WriterTo/ReaderFrom so io.Copy uses a small buffer.
				copied, copyErr = io.CopyBuffer(struct{ io.Writer }{dst}, wrap(struct{ io.Reader }{src}), make([]byte, 16))
				_ = dst.CloseSend()
			})
			for i := range n {
				got, err := dst.Receive(ctx)
				if err != nil {
					t.Fatalf("artifact %d: %v", i, err)
				}
				want := richArtifact(i)
				if got.Subject != want.Subject || got.Reply != want.Reply || !bytes.Equal(got.Payload, want.Payload) ||
					!got.Created.Equal(want.Created) || !got.Meta.Equal(want.Meta) {
					t.Fatalf("artifact %d: got %+v, want %+v", i, got, want)
				}
			}
			if _, err := dst.Receive(ctx); !errors.Is(err, io.EOF) {
				t.Fatalf("after last: %v", err)
			}
			wg.Wait()
			if copyErr != nil || copied != int64(len(frames(t, seqArtifacts(n)...))) {
				t.Fatalf("io.Copy = %d, %v", copied, copyErr)
			}
		})
	}
}

func seqArtifacts(n int) []*artifact.Artifact {
	as := make([]*artifact.Artifact, n)
	for i := range as {
		as[i] = richArtifact(i)
	}
	return as
}

func TestWriteChunks(t *testing.T) {
	data := frames(t, seqArtifacts(10)...)
	tests := []struct {
		name   string
		chunks func([]byte) [][]byte
	}{
		{"all at once", func(b []byte) [][]byte { return [][]byte{b} }},
		{"byte by byte", func(b []byte) [][]byte {
			var cs [][]byte
			for i := range b {
				cs = append(cs, b[i:i+1])
			}
			return cs
		}},
		{"uneven", func(b []byte) [][]byte {
			var cs [][]byte
			for i, step := 0, 1; i < len(b); i, step = i+step, step*3%97+1 {
				cs = append(cs, b[i:min(len(b), i+step)])
			}
			return cs
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBuffer(t)
			for _, c := range tt.chunks(data) {
				n, err := b.Write(c)
				if err != nil || n != len(c) {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			if b.Len() != 10 {
				t.Fatalf("Len = %d, want 10", b.Len())
			}
		})
	}
}

func TestCorruptFrames(t *testing.T) {
	good := frames(t, richArtifact(1))
	tests := []struct {
		name  string
		input []byte
		sent  int // artifacts accepted before the error
	}{
		{"garbage body", append([]byte{3}, 0xff, 0xff, 0xff), 0},
		{"overflowing length", bytes.Repeat([]byte{0xff}, 11), 0},
		{"too large", []byte{0xff, 0xff, 0xff, 0xff, 0x0f}, 0},
		{"good then bad", append(append([]byte(nil), good...), 2, 9, 9), 1},
		{"empty frame", []byte{0}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rec recorder
			b := newBuffer(t, stream.WithMaxFrameSize(1<<20), stream.WithHooks(rec.hooks()))
			n, err := b.Write(tt.input)
			if !errors.Is(err, stream.ErrCorruptFrame) {
				t.Fatalf("Write = %d, %v", n, err)
			}
			if n >= len(tt.input) {
				t.Fatalf("Write reported %d of %d bytes consumed with an error", n, len(tt.input))
			}
			if b.Len() != tt.sent {
				t.Fatalf("Len = %d, want %d", b.Len(), tt.sent)
			}
			// The byte input stays broken; Send still works.
			if _, err := b.Write(good); !errors.Is(err, stream.ErrCorruptFrame) {
				t.Fatalf("second Write: %v", err)
			}
			if err := b.Send(t.Context(), richArtifact(2)); err != nil {
				t.Fatal(err)
			}
			if len(rec.errs) != 1 {
				t.Fatalf("OnError called %d times", len(rec.errs))
			}
		})
	}
}

// FuzzWrite feeds arbitrary bytes to Buffer.Write in two pieces: it must
// never panic or hang, and whatever it accepts must read back.
func FuzzWrite(f *testing.F) {
	f.Add([]byte{}, 0)
	for i := range 3 {
		var b []byte
		b, _ = stream.AppendFrame(b, richArtifact(i))
		f.Add(b, i)
	}
	f.Fuzz(func(t *testing.T, data []byte, split int) {
		b, err := stream.NewBuffer(stream.WithBufferSize(1<<12), stream.WithOverflow(stream.Fail), stream.WithMaxFrameSize(1<<16))
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		split = min(max(split, 0), len(data))
		for _, part := range [][]byte{data[:split], data[split:]} {
			if _, err := b.Write(part); err != nil {
				if !errors.Is(err, stream.ErrCorruptFrame) && !errors.Is(err, stream.ErrBufferFull) {
					t.Fatalf("Write: %v", err)
				}
				return
			}
		}
	})
}

func TestReadSmallBuffer(t *testing.T) {
	b := newBuffer(t)
	a := richArtifact(7)
	_ = b.Send(t.Context(), a)
	_ = b.CloseSend()
	got, err := io.ReadAll(iotest.OneByteReader(b))
	if err != nil {
		t.Fatal(err)
	}
	// Metadata keys are encoded in map order, so compare decoded.
	size, n := binary.Uvarint(got)
	if n <= 0 || int(size) != len(got)-n {
		t.Fatalf("frame header %d/%d for %d bytes", size, n, len(got))
	}
	var back artifact.Artifact
	if err := back.UnmarshalBinary(got[n:]); err != nil {
		t.Fatal(err)
	}
	if back.ID != a.ID || !bytes.Equal(back.Payload, a.Payload) || !back.Meta.Equal(a.Meta) {
		t.Fatalf("read back %+v, want %+v", back, a)
	}
}

func TestReadSurfacesErrors(t *testing.T) {
	bad := artifact.New("s", nil)
	bad.SetErr(errors.New("upstream failed"))
	b := newBuffer(t)
	_ = b.Send(t.Context(), bad)
	_ = b.Send(t.Context(), richArtifact(1))
	_ = b.CloseSend()
	buf := make([]byte, 1<<16)
	if _, err := b.Read(buf); !errors.Is(err, artifact.ErrCarried) {
		t.Fatalf("first Read: %v", err)
	}
	if n, err := b.Read(buf); err != nil || n == 0 {
		t.Fatalf("second Read = %d, %v", n, err)
	}
	if _, err := b.Read(buf); !errors.Is(err, io.EOF) {
		t.Fatalf("third Read: %v", err)
	}
}
