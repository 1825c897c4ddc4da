package stream_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/stream"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newBuffer(t *testing.T, opts ...stream.Option) *stream.Buffer {
	t.Helper()
	b, err := stream.NewBuffer(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func art(i int) *artifact.Artifact {
	return artifact.New(fmt.Sprintf("s.%d", i%3), fmt.Appendf(nil, "%d", i))
}

// collect receives until io.EOF or an error other than an *ArtifactError,
// returning the payloads and the artifact errors seen.
func collect(t *testing.T, ctx context.Context, b *stream.Buffer) (payloads []string, errs []error) {
	t.Helper()
	for {
		a, err := b.Receive(ctx)
		if err != nil {
			if isEOF(err) {
				return payloads, errs
			}
			if _, ok := asArtifactError(err); ok {
				errs = append(errs, err)
				continue
			}
			t.Fatalf("Receive: %v", err)
		}
		payloads = append(payloads, string(a.Payload))
	}
}

// recorder is a Hooks implementation that records what it sees.
type recorder struct {
	mu      sync.Mutex
	writes  int
	reads   int
	drops   map[stream.DropReason][]string
	errs    []error
	closed  int
	maxSeen int
}

func (r *recorder) hooks() stream.Hooks {
	r.drops = map[stream.DropReason][]string{}
	return stream.Hooks{
		OnWrite: func(*artifact.Artifact) { r.mu.Lock(); r.writes++; r.mu.Unlock() },
		OnRead:  func(*artifact.Artifact) { r.mu.Lock(); r.reads++; r.mu.Unlock() },
		OnDrop: func(a *artifact.Artifact, why stream.DropReason) {
			r.mu.Lock()
			r.drops[why] = append(r.drops[why], string(a.Payload))
			r.mu.Unlock()
		},
		OnError: func(err error) { r.mu.Lock(); r.errs = append(r.errs, err); r.mu.Unlock() },
		OnDepth: func(d, c int) {
			r.mu.Lock()
			r.maxSeen = max(r.maxSeen, d)
			if d > c {
				panic("depth above capacity")
			}
			r.mu.Unlock()
		},
		OnClose: func(error) { r.mu.Lock(); r.closed++; r.mu.Unlock() },
	}
}
