package stream

import (
	"context"
	"hash/maphash"
	"sync"

	"github.com/natsbridge/bridge/artifact"
)

// Parallel returns a Generator that runs n copies of g side by side.
//
// With a key, each artifact goes to the copy chosen by hashing key(a), so
// artifacts with the same key keep their order while different keys
// proceed in parallel. With a nil key no order is kept: every copy takes
// the next artifact from one shared input, so a single busy key can use
// all n.
//
// Either way one copy handles an artifact, so its results stay together
// and in order. g's Generate is called n times and must allow it (the
// function generators of this package do; for them Parallel runs n
// goroutines that send straight to one output, without forwarding). n < 2
// returns g itself.
func Parallel(n int, key KeyFunc, g Generator) Generator {
	if n < 2 {
		return g
	}
	if fg, ok := g.(*funcGen); ok {
		return &funcPool{n: n, key: key, g: fg, seed: maphash.MakeSeed()}
	}
	return &parallel{n: n, key: key, g: g, seed: maphash.MakeSeed(), stop: make(chan struct{})}
}

// dispatch sends each artifact of in to the shard its key picks, until in
// is closed, then closes the shards. When ctx is done it stops and reports
// every artifact still arriving, until in is closed or stop is. Shards are
// unbuffered: an artifact is either with the dispatcher or with a worker,
// never parked where a cancellation could strand it.
func dispatch(ctx context.Context, in <-chan *artifact.Artifact, shards []chan *artifact.Artifact,
	pick func(*artifact.Artifact) int, stop <-chan struct{}, report func(*artifact.Artifact, error)) {
	// The dispatcher's caller made the shards for it alone to send on.
	defer func() {
		for _, s := range shards {
			close(s)
		}
	}()
	done := ctx.Done()
	for {
		a, r := take(in, done)
		if r == inClosed {
			return
		}
		if r == taken {
			shard := shards[pick(a)]
			select {
			case shard <- a: // a worker is waiting: no select
				continue
			default:
			}
			select {
			case shard <- a:
				continue
			case <-done:
				r = takenDone
			}
		}
		if r == takenDone {
			report(a, ctx.Err())
		}
		flush(ctx, in, stop, report)
		return
	}
}

// took is what take got.
type took uint8

const (
	taken     took = iota // an artifact
	inClosed              // in is closed
	ctxDone               // done is closed
	takenDone             // an artifact, taken as done closed: the caller reports it
)

// take receives the next artifact of in for a worker or a dispatcher,
// unless done is closed. While busy it uses a receive that does not block
// and a look at done that does not lock: the first locks in alone, the
// second nothing, where a select of both locks both for every artifact,
// and done is the same channel for every worker of a pool. Only an empty
// in waits in a select.
func take(in <-chan *artifact.Artifact, done <-chan struct{}) (*artifact.Artifact, took) {
	var (
		a  *artifact.Artifact
		ok bool
	)
	select {
	case a, ok = <-in:
	default:
		select {
		case a, ok = <-in:
		case <-done:
			return nil, ctxDone
		}
	}
	if !ok {
		return nil, inClosed
	}
	select {
	case <-done:
		return a, takenDone
	default:
		return a, taken
	}
}

func shardOf(seed maphash.Seed, key KeyFunc, n int) func(*artifact.Artifact) int {
	return func(a *artifact.Artifact) int { return int(maphash.String(seed, key(a)) % uint64(n)) }
}

// funcPool is Parallel over a function generator: n goroutines call its
// function and send to one out and one errs, as a single funcGen does.
type funcPool struct {
	n    int
	key  KeyFunc
	g    *funcGen
	seed maphash.Seed
}

func (p *funcPool) Generate(ctx context.Context, in <-chan *artifact.Artifact) (<-chan *artifact.Artifact, <-chan error) {
	g := p.g
	out, errs, emit, report := g.channels(ctx)

	inputs := make([]<-chan *artifact.Artifact, p.n)
	var senders sync.WaitGroup // everyone who sends on out or errs
	if p.key == nil {
		for i := range inputs {
			inputs[i] = in // a shared queue: each input goes to one worker
		}
	} else {
		shards := make([]chan *artifact.Artifact, p.n)
		for i := range shards {
			shards[i] = make(chan *artifact.Artifact)
			inputs[i] = shards[i]
		}
		pick := shardOf(p.seed, p.key, p.n)
		senders.Add(1)
		g.wg.Go(func() {
			defer senders.Done()
			dispatch(ctx, in, shards, pick, g.stop, report)
		})
	}
	for _, wi := range inputs {
		senders.Add(1)
		g.wg.Go(func() {
			defer senders.Done()
			g.work(ctx, wi, emit, report)
		})
	}
	// Generate made out and errs, so its last goroutine closes them.
	g.wg.Go(func() {
		senders.Wait()
		close(errs)
		close(out)
	})
	return out, errs
}

// work is one worker's loop, the same as a funcGen's: call fn on each
// artifact of in until in is closed; once ctx is done, report the rest,
// the one just taken included.
func (g *funcGen) work(ctx context.Context, in <-chan *artifact.Artifact, emit Emit, report func(*artifact.Artifact, error)) {
	done := ctx.Done()
	for {
		a, r := take(in, done)
		switch r {
		case inClosed:
			return
		case takenDone:
			report(a, ctx.Err())
			fallthrough
		case ctxDone:
			flush(ctx, in, g.stop, report)
			return
		}
		if err := g.call(ctx, a, emit); err != nil {
			report(a, err)
		}
	}
}

func (p *funcPool) Close() error { return p.g.Close() }

// parallel is Parallel over any Generator: n copies, each with its own
// output, forwarded into one.
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
	outs := make([]<-chan *artifact.Artifact, p.n)
	errss := make([]<-chan error, 0, p.n+1)
	if p.key == nil {
		for i := range outs {
			var errs <-chan error
			outs[i], errs = p.g.Generate(ctx, in)
			errss = append(errss, errs)
		}
	} else {
		shards := make([]chan *artifact.Artifact, p.n)
		for i := range shards {
			shards[i] = make(chan *artifact.Artifact)
			var errs <-chan error
			outs[i], errs = p.g.Generate(ctx, shards[i])
			errss = append(errss, errs)
		}
		dispatchErrs := make(chan error, chanCap)
		errss = append(errss, dispatchErrs)
		report := func(a *artifact.Artifact, err error) {
			select {
			case dispatchErrs <- &ArtifactError{Artifact: a, Err: err}:
			case <-p.stop:
			}
		}
		pick := shardOf(p.seed, p.key, p.n)
		p.wg.Go(func() {
			defer close(dispatchErrs) // made here for the dispatcher alone
			dispatch(ctx, in, shards, pick, p.stop, report)
		})
	}

	out := make(chan *artifact.Artifact, chanCap)
	var fwd sync.WaitGroup
	for _, o := range outs {
		fwd.Add(1)
		p.wg.Go(func() {
			defer fwd.Done()
			for a := range o {
				select {
				case out <- a:
				case <-p.stop:
					return
				}
			}
		})
	}
	p.wg.Go(func() {
		fwd.Wait()
		close(out)
	})
	return out, mergeErrors(&p.wg, p.stop, errss)
}

func (p *parallel) Close() error {
	p.stopOnce.Do(func() { close(p.stop) })
	err := p.g.Close()
	p.wg.Wait()
	return err
}
