package bridge

// settle decides what became of in, once nothing holds it, acknowledges it
// at its source and reports it: the one place every input ends, whatever
// the route. A failure that its source does not retry goes to the DLQ
// first, when the route has one.
func (r *route) settle(in *input) {
	o := in.outcome()
	switch o.kind {
	case processed, filtered:
		r.src.ack(in)
	case dropped:
		r.src.handBack(in)
	case failed:
		var again bool
		if o, again = r.src.redeliver(in, o); again {
			break
		}
		if r.cfg.DLQ != "" {
			r.dead.add(in, o) // calls rejected
			return
		}
		r.src.reject(in, o)
	}
	r.report(in, o)
}

// rejected settles in, a failure that is not retried, once the DLQ has it
// (dlqErr == nil) or could not take it.
func (r *route) rejected(in *input, o outcome, dlqErr error) {
	if dlqErr == nil {
		if h := r.hooks.DeadLettered; h != nil {
			h(&in.a)
		}
		r.src.reject(in, o)
	} else {
		o.err = dlqFailed(o.err, dlqErr)
		// A source that can keep the message (JetStream) has it
		// delivered again, and dead-lettering is tried again.
		r.src.keep(in)
	}
	r.report(in, o)
}

// report calls the hook of in's outcome.
func (r *route) report(in *input, o outcome) {
	h := &r.hooks
	switch o.kind {
	case processed:
		if h.Processed != nil {
			h.Processed(&in.a, int(in.outputs.Load()))
		}
	case filtered:
		if h.Filtered != nil {
			h.Filtered(&in.a)
		}
	case failed:
		r.failLog.do(func(suppressed int) {
			r.log.Warn("message failed", "reason", o.reason, "subject", in.a.Subject, "err", o.err, "suppressed", suppressed)
		})
		if h.Failed != nil {
			h.Failed(&in.a, o.reason, o.err)
		}
	case dropped:
		if h.Dropped != nil {
			h.Dropped(o.reason, 1)
		}
	}
	if r.tracing != nil {
		r.tracing.end(in, o)
	}
	r.src.done(in)
}
