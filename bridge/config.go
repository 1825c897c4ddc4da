package bridge

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/natsbridge/bridge/internal/subjectmap"
	"github.com/natsbridge/bridge/stream"
)

// Defaults for RouteConfig fields left zero.
const (
	// DefaultBufferSize is the capacity of a route's buffer, and the most
	// messages a JetStream route has unacknowledged.
	DefaultBufferSize = stream.DefaultBufferSize
	// DefaultMaxDeliver is how often a JetStream route has a message
	// delivered before it gives up on it.
	DefaultMaxDeliver = 5
	// DefaultAckWait is how long the server waits for a JetStream route's
	// acknowledgement before it redelivers.
	DefaultAckWait = 30 * time.Second
	// DefaultReplyTimeout is how long a route between two connections
	// waits for the response to a request it carried over.
	DefaultReplyTimeout = 10 * time.Second
	// DefaultConn names the connection given to New.
	DefaultConn = "default"
)

// Limits of route settings.
const (
	// MaxNameLen bounds a route name, which is a metric label value.
	MaxNameLen = 64
	// MaxBufferSize bounds RouteConfig.BufferSize.
	MaxBufferSize = 1 << 24
	// MaxWorkers bounds RouteConfig.Workers.
	MaxWorkers = 1024
	// maxJSName is JetStream's limit on stream and consumer names.
	maxJSName = 255
)

// RouteConfig describes one route: where its messages come from, what
// processes them, and where the results go. It is the one definition of a
// route: Validate holds every rule, and the zero value of a field means
// its default.
type RouteConfig struct {
	// Name labels the route in logs and hooks. Required, unique; at most
	// MaxNameLen letters, digits, '_', '.' or '-'.
	Name string
	// In is the subject (wildcards allowed) the route subscribes to.
	In string
	// Out is the output subject; it may use nats-server mapping tokens
	// such as {{wildcard(1)}} that refer to In's wildcards. Every subject
	// it can map to must not be matched by In: the route would consume its
	// own output.
	Out string
	// Queue is the queue group; "" subscribes without one. Core routes
	// only: replicas of a JetStream route share its durable consumer.
	Queue string
	// DLQ is the dead-letter subject; "" means failures are only reported.
	// It must be a subject without wildcards that In does not match.
	DLQ string
	// Process is the processing stage; nil passes messages through. It
	// runs on up to Workers goroutines; errors decide what becomes of the
	// input (see the package documentation, "Failures").
	Process stream.ProcessFunc
	// LentOutputs says Process lends its outputs (as a jq program
	// compiled with jq.WithLentOutputs does): an output, its Meta and its
	// Payload may be reused once the emit it was passed to returns. A
	// core route is done with an output by then; a JetStream route, which
	// keeps each until the stream acknowledges it, copies it first. The
	// Published hook then gets an output that is valid only during the
	// call.
	LentOutputs bool
	// BufferSize is the capacity of the queue in front of Process (at most
	// MaxBufferSize); 0 means DefaultBufferSize. A JetStream route never
	// has more messages unacknowledged than this.
	BufferSize int
	// Overflow is the policy when the queue is full. Fail is not allowed:
	// a NATS callback has nowhere to return the message to. A JetStream
	// route only blocks: it fetches what it has room for.
	Overflow stream.Overflow
	// Workers is the number of parallel processing workers (at most
	// MaxWorkers); OrderBy says which messages keep their order. 0 means
	// 1.
	Workers int
	// OrderBy says which inputs keep their relative order when Workers >
	// 1: those on the same subject (the zero value), those with the same
	// first value of a header, or none, so that every worker takes any
	// input. Outputs of one input always stay together and in order.
	OrderBy stream.Order
	// ChooseSubject lets the stage choose each output's subject. An output
	// whose Subject is set is published there, if that is a subject
	// without wildcards inside Out's subject space (Out with each mapping
	// token read as '*': events.> allows events.eu.new, a literal Out only
	// itself) that In does not match; otherwise it fails with
	// ReasonSubject. An output with an empty Subject, or the input itself,
	// goes to Out's mapping of the input's subject. Out may then also be a
	// pattern that does not map In (In orders.in, Out routed.>): every
	// output must choose its subject. Without ChooseSubject every output
	// goes to Out's mapping of its input's subject.
	ChooseSubject bool
	// Timeout bounds the processing of one message; 0 means none. It is
	// checked every tenth of its length (at most every 100 ms), so a
	// message may run that much past it before it is stopped. On a
	// JetStream route it must be shorter than AckWait.
	Timeout time.Duration
	// PendingMsgs and PendingBytes are the NATS client's pending limits
	// for the subscription: how much it holds while the route applies
	// backpressure, before it drops (reported as slow_consumer). 0 means
	// nats.go's defaults (nats.DefaultSubPendingMsgsLimit and
	// nats.DefaultSubPendingBytesLimit). Core routes only.
	PendingMsgs, PendingBytes int

	// InConn names the connection the route subscribes or consumes on:
	// DefaultConn ("" means it), the one given to New, or one given with
	// WithConn. Dead letters go to the same side.
	InConn string
	// OutConn names the connection the route publishes on; "" means
	// InConn. On a route between two connections the subject rules that
	// keep a route from consuming its own output do not apply: the same
	// subject on two systems is two subjects.
	OutConn string
	// ReplyTimeout is how long a core route between two connections waits
	// for the response to a request (an input with a reply subject) that
	// it published on the other side with a reply subject of its own; the
	// first response within it goes back to the requester. 0 means
	// DefaultReplyTimeout.
	ReplyTimeout time.Duration

	// Stream, when set, makes this a JetStream route: it consumes In from
	// this stream through the durable pull consumer Durable, and
	// acknowledges each message only after its outputs are published. See
	// the package documentation for the delivery guarantees.
	Stream string
	// Durable is the durable consumer name; "" means "bridge-" and the
	// route's name, with '.' replaced by '_'.
	Durable string
	// MaxDeliver is how many times a message is delivered before it is
	// dead-lettered and terminated; 0 means DefaultMaxDeliver.
	MaxDeliver int
	// AckWait is how long the server waits for an acknowledgement before
	// redelivering; 0 means DefaultAckWait. The route sends progress
	// acknowledgements while a message is in its buffer or its stage.
	AckWait time.Duration
	// NoMsgID leaves the outputs of a JetStream route without the
	// Nats-Msg-Id header that lets an output stream drop the copies a
	// redelivery makes: at least once into output streams instead of
	// exactly once, for about 20% more throughput.
	NoMsgID bool
}

// JetStream reports whether the route consumes from a stream.
func (c RouteConfig) JetStream() bool { return c.Stream != "" }

// CrossConn reports whether the route publishes on another connection
// than it consumes on.
func (c RouteConfig) CrossConn() bool {
	c = c.WithDefaults()
	return c.InConn != c.OutConn
}

// WithDefaults returns c with every zero field that has a default set to
// it.
func (c RouteConfig) WithDefaults() RouteConfig {
	if c.BufferSize == 0 {
		c.BufferSize = DefaultBufferSize
	}
	if c.Workers == 0 {
		c.Workers = 1
	}
	if c.PendingMsgs == 0 {
		c.PendingMsgs = nats.DefaultSubPendingMsgsLimit
	}
	if c.PendingBytes == 0 {
		c.PendingBytes = nats.DefaultSubPendingBytesLimit
	}
	if c.InConn == "" {
		c.InConn = DefaultConn
	}
	if c.OutConn == "" {
		c.OutConn = c.InConn
	}
	if c.ReplyTimeout == 0 {
		c.ReplyTimeout = DefaultReplyTimeout
	}
	if !c.JetStream() {
		return c
	}
	if c.Durable == "" && c.Name != "" {
		c.Durable = "bridge-" + strings.ReplaceAll(c.Name, ".", "_")
	}
	if c.MaxDeliver == 0 {
		c.MaxDeliver = DefaultMaxDeliver
	}
	if c.AckWait == 0 {
		c.AckWait = DefaultAckWait
	}
	return c
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// Validate reports every problem of c, with its defaults applied, as
// *FieldError values joined into one error; nil means the route can run.
func (c RouteConfig) Validate() error {
	c = c.WithDefaults()
	v := validator{route: c.Name}
	switch {
	case c.Name == "":
		v.add("Name", "required")
	case len(c.Name) > MaxNameLen || !nameRE.MatchString(c.Name):
		v.add("Name", "invalid name %q (want at most %d letters, digits, '_', '.' or '-')", c.Name, MaxNameLen)
	}
	inValid := subjectmap.ValidSubject(c.In)
	if !inValid {
		v.add("In", "invalid subject %q", c.In)
	} else {
		m, err := c.mapping()
		switch {
		case err != nil:
			v.addErr("Out", err)
		case m.FeedsBack() && !c.CrossConn():
			v.add("Out", "every subject it maps to matches In %q: messages would loop", c.In)
		}
	}
	if c.DLQ != "" {
		switch {
		case !subjectmap.ValidLiteral(c.DLQ):
			v.add("DLQ", "invalid subject %q (want a subject without wildcards)", c.DLQ)
		case inValid && subjectmap.Matches(c.DLQ, c.In):
			v.add("DLQ", "%q matches In %q: dead letters would be processed again", c.DLQ, c.In)
		}
	}
	if c.Queue != "" && strings.ContainsAny(c.Queue, " \t\r\n") {
		v.add("Queue", "invalid queue group %q (no whitespace allowed)", c.Queue)
	}
	if c.BufferSize < 1 || c.BufferSize > MaxBufferSize {
		v.add("BufferSize", "must be between 1 and %d, got %d", MaxBufferSize, c.BufferSize)
	}
	if c.Workers < 1 || c.Workers > MaxWorkers {
		v.add("Workers", "must be between 1 and %d, got %d", MaxWorkers, c.Workers)
	}
	if c.Timeout < 0 {
		v.add("Timeout", "must not be negative, got %s", c.Timeout)
	}
	if c.ReplyTimeout < 0 {
		v.add("ReplyTimeout", "must not be negative, got %s", c.ReplyTimeout)
	}
	if c.Overflow < stream.Block || c.Overflow >= stream.Fail {
		v.add("Overflow", "policy %v is not supported (want block, drop_newest or drop_oldest): a NATS callback has nowhere to return a message to", c.Overflow)
	}
	if c.PendingMsgs < -1 || c.PendingBytes < -1 {
		v.add("PendingMsgs", "pending limits must be positive, or -1 for none")
	}
	if c.JetStream() {
		c.validateJetStream(&v)
	}
	return v.err()
}

func (c RouteConfig) validateJetStream(v *validator) {
	if !validJSName(c.Stream) {
		v.add("Stream", "invalid stream name %q (no spaces, '.', '*', '>', '/' or '\\')", c.Stream)
	}
	if !validJSName(c.Durable) {
		v.add("Durable", "invalid durable name %q (no spaces, '.', '*', '>', '/' or '\\')", c.Durable)
	}
	if c.Queue != "" {
		v.add("Queue", "only used by core NATS routes; replicas of a JetStream route share its durable consumer")
	}
	if c.Overflow != stream.Block {
		v.add("Overflow", "a JetStream route never drops: it fetches only what its buffer has room for, so only block applies")
	}
	if c.MaxDeliver < 1 {
		v.add("MaxDeliver", "must be at least 1, got %d", c.MaxDeliver)
	}
	// The route sends progress acknowledgements every third of AckWait.
	if c.AckWait < 3*time.Millisecond {
		v.add("AckWait", "must be at least 3ms, got %s", c.AckWait)
	}
	if c.Timeout > 0 && c.Timeout >= c.AckWait {
		v.add("Timeout", "%s must be shorter than AckWait (%s), or a message could be redelivered while still in progress", c.Timeout, c.AckWait)
	}
}

// mapping returns the route's mapping from In to Out.
func (c RouteConfig) mapping() (*subjectmap.Mapping, error) {
	if c.ChooseSubject {
		return subjectmap.NewSpace(c.In, c.Out)
	}
	return subjectmap.New(c.In, c.Out)
}

// CheckRoutes validates every route and the rules between them (unique
// names, one route per durable consumer of a stream). The FieldErrors it
// returns carry each route's index in routes.
func CheckRoutes(routes []RouteConfig) error {
	var errs []error
	names := map[string]int{}
	durables := map[[2]string]int{}
	for i, rc := range routes {
		rc = rc.WithDefaults()
		v := validator{index: i, route: rc.Name}
		if err := rc.Validate(); err != nil {
			for _, e := range unjoin(err) {
				if fe, ok := e.(*FieldError); ok {
					fe.Index = i
				}
				errs = append(errs, e)
			}
		}
		if first, dup := names[rc.Name]; dup && rc.Name != "" {
			v.add("Name", "name %q is already used by route %d", rc.Name, first)
		} else {
			names[rc.Name] = i
		}
		if rc.JetStream() {
			key := [2]string{rc.Stream, rc.Durable}
			if first, dup := durables[key]; dup {
				v.add("Durable", "durable %q of stream %q is already used by route %d", rc.Durable, rc.Stream, first)
			} else {
				durables[key] = i
			}
		}
		errs = append(errs, v.errs...)
	}
	return errors.Join(errs...)
}

// validator collects the FieldErrors of one route.
type validator struct {
	index int
	route string
	errs  []error
}

func (v *validator) add(field, format string, args ...any) {
	v.addErr(field, fmt.Errorf(format, args...))
}

func (v *validator) addErr(field string, err error) {
	v.errs = append(v.errs, &FieldError{Index: v.index, Route: v.route, Field: field, Err: err})
}

func (v *validator) err() error { return errors.Join(v.errs...) }

// unjoin returns the errors err joins, or err alone.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// validJSName applies nats-server's rules for stream and consumer names,
// which become file names in its store.
func validJSName(s string) bool {
	return s != "" && len(s) <= maxJSName && !strings.ContainsAny(s, " \t\r\n\f.*>/\\")
}
