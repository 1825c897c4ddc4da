package stream

import (
	"context"
	"hash/maphash"
	"sync"

	"github.com/natsbridge/bridge/artifact"
)

// KeyFunc returns the ordering key of an artifact: artifacts with the same
// key come out of [Parallel] in the order they went in.
type KeyFunc func(*artifact.Artifact) string

// BySubject keys artifacts by subject.
func BySubject(a *artifact.Artifact) string { return a.Subject }

// Parallel returns a Generator that runs n copies of g side by side. Each
// artifact goes to the copy chosen by hashing key(a), so artifacts with the
// same key keep their order while different keys proceed in parallel. g's
// Generate is called n times and must allow it (the function generators of
// this package do). n < 2 returns g itself.
func Parallel(n int, key KeyFunc, g Generator) Generator {
	if n < 2 {
		return g
	}
	return &parallel{n: n, key: key, g: g, seed: maphash.MakeSeed(), stop: make(chan struct{})}
}

type parallel struct {
	n        int
	key      KeyFunc
	g        Generator
	seed     maphash.Seed
	wg       sync.WaitGroup
	stop     chan struct{}
	stopOnce sync.Once
}

func (p *parallel) Generate(ctx context.Context, in <-chan *artifact.Artifact) (<-chan *artifact.Artifact, <-chan error) {
	// Shards are unbuffered: an artifact is either with the dispatcher or
	// with a worker, never parked where a cancellation could strand it.
	shards := make([]chan *artifact.Artifact, p.n)
	outs := make([]<-chan *artifact.Artifact, p.n)
	errss := make([]<-chan error, p.n+1)
	for i := range shards {
		shards[i] = make(chan *artifact.Artifact)
		outs[i], errss[i] = p.g.Generate(ctx, shards[i])
	}
	dispatchErrs := make(chan error, chanCap)
	errss[p.n] = dispatchErrs
	report := func(a *artifact.Artifact, err error) {
		select {
		case dispatchErrs <- &ArtifactError{Artifact: a, Err: err}:
		case <-p.stop:
		}
	}

	// The dispatcher made the shard channels and dispatchErrs, so it
	// closes them.
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer close(dispatchErrs)
		defer func() {
			for _, s := range shards {
				close(s)
			}
		}()
		for {
			select {
			case a, ok := <-in:
				if !ok {
					return
				}
				s := shards[maphash.String(p.seed, p.key(a))%uint64(p.n)]
				select {
				case s <- a:
					continue
				case <-ctx.Done():
					report(a, ctx.Err())
				}
			case <-ctx.Done():
			}
			break
		}
		flush(ctx, in, p.stop, report)
	}()

	out := make(chan *artifact.Artifact, chanCap)
	var fwd sync.WaitGroup
	for _, o := range outs {
		fwd.Add(1)
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer fwd.Done()
			for a := range o {
				select {
				case out <- a:
				case <-p.stop:
					return
				}
			}
		}()
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		fwd.Wait()
		close(out)
	}()
	return out, mergeErrors(&p.wg, p.stop, errss)
}

func (p *parallel) Close() error {
	p.stopOnce.Do(func() { close(p.stop) })
	err := p.g.Close()
	p.wg.Wait()
	return err
}
