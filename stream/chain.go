package stream

import (
	"context"
	"errors"
	"sync"

	"github.com/natsbridge/bridge/artifact"
)

// Chain returns a Generator that feeds each generator's output into the
// next. Its errors are the union of all their errors. Chain of nothing is
// Passthrough.
func Chain(gens ...Generator) Generator {
	switch len(gens) {
	case 0:
		return Passthrough()
	case 1:
		return gens[0]
	}
	return &chain{gens: gens, stop: make(chan struct{})}
}

type chain struct {
	gens     []Generator
	wg       sync.WaitGroup
	stop     chan struct{}
	stopOnce sync.Once
}

func (c *chain) Generate(ctx context.Context, in <-chan *artifact.Artifact) (<-chan *artifact.Artifact, <-chan error) {
	errss := make([]<-chan error, len(c.gens))
	for i, g := range c.gens {
		in, errss[i] = g.Generate(ctx, in)
	}
	return in, mergeErrors(&c.wg, c.stop, errss)
}

func (c *chain) Close() error {
	c.stopOnce.Do(func() { close(c.stop) })
	var errs []error
	for _, g := range c.gens {
		errs = append(errs, g.Close())
	}
	c.wg.Wait()
	return errors.Join(errs...)
}

// mergeErrors forwards every channel of errss into one channel, which it
// closes after all of errss are closed. Closing stop abandons what is left.
func mergeErrors(wg *sync.WaitGroup, stop <-chan struct{}, errss []<-chan error) <-chan error {
	merged := make(chan error, chanCap)
	var inner sync.WaitGroup
	for _, errs := range errss {
		inner.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer inner.Done()
			for err := range errs {
				select {
				case merged <- err:
				case <-stop:
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		inner.Wait()
		close(merged)
	}()
	return merged
}
