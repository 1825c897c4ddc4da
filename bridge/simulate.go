package bridge

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/stream"
)

// Failure is why Simulate found that an input fails.
type Failure struct {
	// Reason is the reason a running route would report.
	Reason Reason
	// Err says what failed.
	Err error
}

func (f *Failure) Error() string { return fmt.Sprintf("%s: %v", f.Reason, f.Err) }

// Unwrap returns Err.
func (f *Failure) Unwrap() error { return f.Err }

// Simulate does to one input, without NATS, what a route made of rc would
// do before publishing: it runs the processing stage (within rc's
// Timeout) and decides each output's subject, by the same rules. It
// returns the outputs in order, each with Subject set to where it would be
// published, or a *Failure with the reason the route would report. An
// input with no outputs is one the route filters. It does not add what
// only a running route adds (the Nats-Msg-Id of a JetStream route's
// outputs). Use it to test route programs, as `bridge test` does.
func Simulate(ctx context.Context, rc RouteConfig, a *artifact.Artifact) ([]*artifact.Artifact, error) {
	rc = rc.WithDefaults()
	if err := rc.Validate(); err != nil {
		return nil, err
	}
	m, err := rc.mapping()
	if err != nil {
		return nil, err
	}
	r := &route{cfg: rc, mapping: m}
	in := new(input)
	in.fill(a.Subject, a.Reply, a.Payload, nats.Header(a.Meta.Clone()), monoNow())
	var outs []*artifact.Artifact
	add := func(out *artifact.Artifact) error {
		subject, err := r.outSubject(in, out)
		if err != nil {
			return &Failure{Reason: ReasonSubject, Err: err}
		}
		c := out.Clone() // out may be lent (LentOutputs)
		c.Subject = subject
		c.Origin = nil
		stripControlHeaders(c.Meta)
		outs = append(outs, c)
		return nil
	}
	if rc.Process == nil {
		if err := add(&in.a); err != nil {
			return nil, err
		}
		return outs, nil
	}
	var failure error
	err = stream.WithTimeout(rc.Timeout, rc.Process)(ctx, &in.a, func(out *artifact.Artifact) error {
		if failure == nil {
			failure = add(out)
		}
		return nil
	})
	switch {
	case err != nil:
		return nil, &Failure{Reason: classify(err), Err: err}
	case failure != nil:
		return nil, failure
	}
	return outs, nil
}
