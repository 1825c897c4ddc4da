package stream

import (
	"context"
	"fmt"
	"hash/maphash"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/natsbridge/bridge/artifact"
)

// TestParallelKeysRunInParallel gives Parallel one input for each of
// several keys that hash to different workers: they must all be processing
// at once. The keys are chosen with the generator's own seed, so the test
// does not depend on where random keys land.
func TestParallelKeysRunInParallel(t *testing.T) {
	const workers = 4
	for name, generic := range map[string]bool{"function": false, "generic": true} {
		t.Run(name, func(t *testing.T) {
			fn := FromFunc(barrier(workers))
			var g Generator = fn
			if generic {
				g = Chain(fn, Passthrough())
			}
			p := Parallel(workers, ByHeader("X-Tenant"), g)
			var seed maphash.Seed
			switch p := p.(type) {
			case *funcPool:
				seed = p.seed
			case *parallel:
				seed = p.seed
			}
			pick := shardOf(seed, ByHeader("X-Tenant"), workers)
			byShard := map[int]*artifact.Artifact{}
			for i := 0; len(byShard) < workers; i++ {
				a := artifact.New("orders", []byte(strconv.Itoa(i)))
				a.SetMeta("X-Tenant", "tenant-"+strconv.Itoa(i))
				if _, taken := byShard[pick(a)]; !taken {
					byShard[pick(a)] = a
				}
			}

			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			in := make(chan *artifact.Artifact, workers)
			for _, a := range byShard {
				in <- a
			}
			close(in)
			out, errs := p.Generate(ctx, in)
			n := 0
			for out != nil || errs != nil {
				select {
				case _, ok := <-out:
					if !ok {
						out = nil
						continue
					}
					n++
				case err, ok := <-errs:
					if !ok {
						errs = nil
						continue
					}
					t.Error(err)
				}
			}
			if err := p.Close(); err != nil {
				t.Fatal(err)
			}
			if n != workers {
				t.Errorf("%d results, want %d", n, workers)
			}
		})
	}
}

// barrier returns a ProcessFunc that emits its input once want calls are
// running at the same time, and fails the input if that does not happen
// within a generous deadline.
func barrier(want int32) ProcessFunc {
	var active atomic.Int32
	all := make(chan struct{})
	return func(ctx context.Context, a *artifact.Artifact, emit Emit) error {
		if active.Add(1) == want {
			close(all)
		}
		defer active.Add(-1)
		select {
		case <-all:
			return emit(a)
		case <-time.After(10 * time.Second):
			return fmt.Errorf("only %d of %d calls ran at once", active.Load(), want)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
