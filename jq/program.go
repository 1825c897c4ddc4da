package jq

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/itchyny/gojq"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/stream"
)

// ContentType is the [artifact.KeyContentType] of every output whose
// payload the program made.
const ContentType = "application/json"

// Program is a compiled jq program. It is immutable and safe for concurrent
// use: one Program can serve any number of generators and goroutines.
type Program struct {
	src    string
	code   *gojq.Code
	native *nativeProgram // nil: the program always runs on gojq
	emit   Emit
	lend   bool // outputs are lent: see WithLentOutputs
	uses   uses
}

// Compile parses and compiles a jq program. Errors match [ErrCompile] (and
// [ErrOption] for an invalid option).
//
// The program sees the input's subject as $subject, its headers as
// $headers, and header(name); see the package documentation. It runs
// sandboxed from the process: $ENV and env are {}, and the CLI-only
// functions (input, inputs, debug, stderr, input_filename) are compile
// errors.
//
// Options:
//   - [WithEmit]: what the emitted values stand for (default [EmitPayload]).
func Compile(src string, opts ...Option) (*Program, error) {
	var o options
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCompile, err)
		}
	}
	q, err := gojq.Parse(src)
	if err != nil {
		if pe, ok := errors.AsType[*gojq.ParseError](err); ok {
			return nil, fmt.Errorf("%w: offset %d: %w", ErrCompile, pe.Offset, err)
		}
		return nil, fmt.Errorf("%w: %w", ErrCompile, err)
	}
	u := scan(q)
	var native *nativeProgram
	if !o.gojqOnly {
		native = compileNative(q) // before gojq, which edits q
	}
	q.FuncDefs = append(append([]*gojq.FuncDef(nil), preludeDefs...), q.FuncDefs...)
	// No WithEnvironLoader: a program taken from configuration cannot
	// read the bridge's secrets.
	code, err := gojq.Compile(q,
		gojq.WithVariables(variables),
		gojq.WithFunction(headerFunc, 1, 1, lookupHeader),
	)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCompile, err)
	}
	return &Program{src: src, code: code, native: native, emit: o.emit, lend: o.lend, uses: u}, nil
}

// String returns the source the Program was compiled from.
func (p *Program) String() string { return p.src }

// Emit returns the Program's emit mode.
func (p *Program) Emit() Emit { return p.emit }

// LendsOutputs reports whether the program was compiled [WithLentOutputs].
func (p *Program) LendsOutputs() bool { return p.lend }

// Generator returns a Generator that runs Process on each artifact, in
// order. Each call returns a new Generator. Its outputs are never lent:
// they wait in its output channel after emit returns, so a program
// compiled WithLentOutputs has each copied first.
func (p *Program) Generator() stream.Generator {
	if !p.lend {
		return stream.FromFunc(p.Process)
	}
	return stream.FromFunc(func(ctx context.Context, a *artifact.Artifact, emit stream.Emit) error {
		return p.Process(ctx, a, func(out *artifact.Artifact) error { return emit(out.Clone()) })
	})
}

// Process is a [stream.ProcessFunc]. It decodes a's payload, runs the
// program on it with ctx, and emits one artifact per output value, in the
// order the program produces them: in [EmitPayload] mode a derived
// artifact with the value as its payload, in [EmitMessage] mode the
// message the value describes. It returns:
//   - an error matching [ErrNotJSON] if the payload is not one JSON value;
//   - an error matching [ErrRuntime] if the program raises an error;
//   - an error matching [ErrMalformed] (and ErrRuntime) if, in
//     EmitMessage mode, a value does not describe a message;
//   - an error wrapping ctx.Err() if ctx is done before the program ends,
//     which gojq checks between instructions, so runaway programs stop;
//   - emit's error, unchanged, if emit fails.
//
// Outputs emitted before an error stay emitted. halt ends the program
// without error; halt_error is a runtime error. a's payload must not
// change while Process runs; no output shares its bytes, so the caller may
// reuse them once Process returns. Compiled [WithLentOutputs], it may
// reuse an output, its Meta and its Payload once emit returns.
func (p *Program) Process(ctx context.Context, a *artifact.Artifact, emit stream.Emit) error {
	if p.native != nil && ctx.Err() == nil {
		if done, err := p.processNative(a, emit); done {
			return err
		}
	}
	v, err := decode(a.Payload)
	if err != nil {
		return err
	}
	var subject any = ""
	if p.uses.subject {
		subject = a.Subject
	}
	var headers any = emptyHeaders
	if p.uses.headers {
		headers = headersValue(a.Meta)
	}
	iter := p.code.RunWithContext(ctx, v, subject, headers)
	for i := 0; ; i++ {
		out, ok, err := next(iter)
		if !ok {
			return nil
		}
		if err != nil {
			return runError(ctx, err)
		}
		if err := p.output(a, out, i, emit); err != nil {
			return err
		}
	}
}

// processNative runs the program's native form on a. It reports false,
// having emitted nothing, when the program must run on gojq instead: the
// payload is not JSON (gojq's path reports that), or the native form
// bailed.
func (p *Program) processNative(a *artifact.Artifact, emit stream.Emit) (bool, error) {
	s := scratches.Get().(*scratch)
	defer s.release()
	// In payload mode every output is encoded, so nothing keeps a string
	// of the payload once this returns: the decoded value borrows its bytes.
	v, err := decodeProjected(a.Payload, p.native.proj, &s.root, p.emit == EmitPayload)
	if err != nil {
		return false, nil
	}
	env := &s.env
	env.msg = a
	if p.emit == EmitPayload {
		// Encoded in the scratch buffer, then copied to one of their
		// exact size (a program's output is seldom as long as its input):
		// the outputs' payloads share it, each capped at its end.
		var small [4]int
		enc, ends, ok := p.native.encode(env, v, s.buf[:0], small[:0])
		s.buf = enc
		if !ok {
			return false, nil
		}
		if p.lend {
			return true, s.lend(a, enc, ends, emit)
		}
		b := append([]byte(nil), enc...)
		start := 0
		for _, end := range ends {
			if err := emit(encodedOutput(a, b[start:end:end])); err != nil {
				return true, err
			}
			start = end
		}
		return true, nil
	}
	var small [4]pending
	outs, ok := p.native.messages(env, v, small[:0])
	if !ok {
		return false, nil
	}
	for i := range outs {
		var (
			r   *artifact.Artifact
			err error
		)
		if outs[i].isParts {
			r, err = outs[i].parts.output(a, i)
		} else {
			r, err = messageOutput(a, outs[i].v, i)
		}
		if err != nil {
			return true, err
		}
		if err := emit(r); err != nil {
			return true, err
		}
	}
	return true, nil
}

// scratch is the memory of one run of a native program, reused: no part of
// it outlives the run (the root object, partly decoded, never reaches an
// output).
type scratch struct {
	env  nativeEnv
	root partial
	buf  []byte // the outputs' encodings, before they are copied out
	// With WithLentOutputs, the output lent to emit, and its header map.
	out  artifact.Artifact
	meta artifact.Metadata
}

// maxLentHeaders is the most headers a lent output's map is reused for:
// a map never shrinks, and one message with many headers should not
// leave every scratch holding a large one.
const maxLentHeaders = 16

// lend emits the outputs encoded in enc, split at ends, each as s.out with
// s.meta: a payload-mode output, lent until emit returns (WithLentOutputs).
// Each output is built afresh, whatever emit did to the one before it.
func (s *scratch) lend(in *artifact.Artifact, enc []byte, ends []int, emit stream.Emit) error {
	if len(in.Meta) >= maxLentHeaders {
		s.meta = nil
	} else if s.meta == nil {
		s.meta = make(artifact.Metadata, len(in.Meta)+1)
	}
	start := 0
	for _, end := range ends {
		meta := s.meta
		if meta == nil {
			meta = copyMeta(in.Meta, 1)
		} else {
			clear(meta)
			for k, vs := range in.Meta {
				meta[k] = vs[:len(vs):len(vs)]
			}
		}
		meta[artifact.KeyContentType] = contentType
		s.out = *in
		s.out.ID = artifact.NewID()
		s.out.Payload = enc[start:end:end]
		s.out.Meta = meta
		if err := emit(&s.out); err != nil {
			return err
		}
		start = end
	}
	return nil
}

var scratches = sync.Pool{New: func() any { return new(scratch) }}

func (s *scratch) release() {
	s.env = nativeEnv{}
	s.out = artifact.Artifact{}
	clear(s.meta)
	clear(s.root.inline[:])
	s.root.vals = nil
	if cap(s.buf) > 1<<16 {
		s.buf = nil // do not pin the encoding of one huge output
	}
	scratches.Put(s)
}

// output emits the output a program made of value v, the index-th of
// input a.
func (p *Program) output(a *artifact.Artifact, v any, index int, emit stream.Emit) error {
	var (
		r   *artifact.Artifact
		err error
	)
	if p.emit == EmitMessage {
		r, err = messageOutput(a, v, index)
	} else {
		r, err = payloadOutput(a, v)
	}
	if err != nil {
		return err
	}
	return emit(r)
}

// next returns the iterator's next value, or its error. A panic in gojq
// (a bug: the decoder gives it only the types it accepts) fails the input
// as a runtime error instead of reaching the stage's recovery, which
// cannot classify it.
func next(iter gojq.Iter) (v any, ok bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, ok, err = nil, true, fmt.Errorf("gojq panicked: %v", r)
		}
	}()
	v, ok = iter.Next()
	if e, isErr := v.(error); isErr {
		return nil, ok, e
	}
	return v, ok, nil
}

func runError(ctx context.Context, err error) error {
	// gojq reports a done context by returning ctx.Err() as a value.
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("jq: program stopped: %w", cerr)
	}
	// halt is a HaltError with a nil value and exit code 0: a clean stop.
	// null | halt_error(0) cannot be told apart from it and is treated the
	// same.
	if he, ok := errors.AsType[*gojq.HaltError](err); ok && he.Value() == nil && he.ExitCode() == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrRuntime, err)
}
