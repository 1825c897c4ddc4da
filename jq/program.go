package jq

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/itchyny/gojq"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/stream"
)

// ContentType is the [artifact.KeyContentType] of every output.
const ContentType = "application/json"

// Program is a compiled jq program. It is immutable and safe for concurrent
// use: one Program can serve any number of generators and goroutines.
type Program struct {
	src  string
	code *gojq.Code
}

// Compile parses and compiles a jq program. Errors match [ErrCompile].
//
// The program runs sandboxed from the process: $ENV and env are {}, and
// the CLI-only functions (input, inputs, debug, stderr, input_filename)
// are compile errors.
func Compile(src string) (*Program, error) {
	q, err := gojq.Parse(src)
	if err != nil {
		if pe, ok := errors.AsType[*gojq.ParseError](err); ok {
			return nil, fmt.Errorf("%w: offset %d: %w", ErrCompile, pe.Offset, err)
		}
		return nil, fmt.Errorf("%w: %w", ErrCompile, err)
	}
	// No compiler options: in particular no WithEnvironLoader, so a
	// program taken from configuration cannot read the bridge's secrets.
	code, err := gojq.Compile(q)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCompile, err)
	}
	return &Program{src: src, code: code}, nil
}

// String returns the source the Program was compiled from.
func (p *Program) String() string { return p.src }

// Generator returns a Generator that runs Process on each artifact, in
// order. Each call returns a new Generator.
func (p *Program) Generator() stream.Generator { return stream.FromFunc(p.Process) }

// Process is a [stream.ProcessFunc]. It decodes a's payload, runs the
// program on it with ctx, and emits one artifact per output value, made by
// a.Derive, in the order the program produces them. It returns:
//   - an error matching [ErrNotJSON] if the payload is not one JSON value;
//   - an error matching [ErrRuntime] if the program raises an error;
//   - an error wrapping ctx.Err() if ctx is done before the program ends,
//     which gojq checks between instructions, so runaway programs stop;
//   - emit's error, unchanged, if emit fails.
//
// halt ends the program without error; halt_error is a runtime error.
func (p *Program) Process(ctx context.Context, a *artifact.Artifact, emit stream.Emit) error {
	v, err := decode(a.Payload)
	if err != nil {
		return err
	}
	iter := p.code.RunWithContext(ctx, v)
	for {
		out, ok := iter.Next()
		if !ok {
			return nil
		}
		if err, ok := out.(error); ok {
			return runError(ctx, err)
		}
		// Marshal cannot fail for the types a gojq iterator emits, and it
		// returns its buffer's bytes, so the payload is not copied again.
		b, err := gojq.Marshal(out)
		if err != nil {
			return fmt.Errorf("%w: encoding output: %w", ErrRuntime, err)
		}
		r := a.Derive(b)
		r.SetMeta(artifact.KeyContentType, ContentType)
		if err := emit(r); err != nil {
			return err
		}
	}
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

// decode parses b as exactly one JSON value, keeping numbers as
// json.Number so that big integers and decimals survive unchanged.
func decode(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: empty payload", ErrNotJSON)
		}
		return nil, fmt.Errorf("%w: %w", ErrNotJSON, err)
	}
	for _, c := range b[dec.InputOffset():] {
		switch c {
		case ' ', '\t', '\n', '\r':
		default:
			return nil, fmt.Errorf("%w: trailing data after offset %d", ErrNotJSON, dec.InputOffset())
		}
	}
	return v, nil
}
