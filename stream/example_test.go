package stream_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/stream"
)

// A Generator made from a function: each artifact's payload is upper-cased.
func ExampleMap() {
	upper := stream.Map(func(_ context.Context, a *artifact.Artifact) (*artifact.Artifact, error) {
		return a.Derive(bytes.ToUpper(a.Payload)), nil
	})
	in := make(chan *artifact.Artifact, 2)
	in <- artifact.New("greetings", []byte("hello"))
	in <- artifact.New("greetings", []byte("world"))
	close(in)

	out, errs := upper.Generate(context.Background(), in)
	for a := range out {
		fmt.Println(string(a.Payload))
	}
	for err := range errs {
		fmt.Println("error:", err)
	}
	_ = upper.Close()
	// Output:
	// HELLO
	// WORLD
}

// A Buffer wiring middleware, a Generator and hooks: artifacts of the wrong
// type are rejected on the way in, the rest are transformed, and a drained
// buffer ends with io.EOF.
func ExampleBuffer() {
	double := stream.FlatMap(func(_ context.Context, a *artifact.Artifact) ([]*artifact.Artifact, error) {
		return []*artifact.Artifact{a, a.Derive(append(a.Payload, '!'))}, nil
	})
	buf, err := stream.NewBuffer(
		stream.WithBufferSize(16),
		stream.WithOverflow(stream.Block),
		stream.WithMiddleware(stream.RequireType("greeting")),
		stream.WithGenerator(double),
		stream.WithHooks(stream.Hooks{
			OnError: func(err error) { fmt.Println("hook saw:", errors.Is(err, stream.ErrTypeMismatch)) },
		}),
	)
	if err != nil {
		panic(err)
	}
	defer buf.Close()

	ctx := context.Background()
	for _, typ := range []string{"greeting", "invoice"} {
		a := artifact.New("in", []byte(typ))
		a.SetMeta(artifact.KeyType, typ)
		if err := buf.Send(ctx, a); err != nil {
			fmt.Println("rejected:", typ)
		}
	}
	_ = buf.CloseSend()
	for {
		a, err := buf.Receive(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		fmt.Println(string(a.Payload))
	}
	// Output:
	// hook saw: true
	// rejected: invoice
	// greeting
	// greeting!
}

// A Buffer is an io.ReadWriteCloser over framed artifacts, so io.Copy moves
// artifacts from one buffer to another.
func ExampleBuffer_Read() {
	src, _ := stream.NewBuffer()
	dst, _ := stream.NewBuffer()
	defer src.Close()
	defer dst.Close()

	_ = src.Send(context.Background(), artifact.New("a.b", []byte("payload")))
	_ = src.CloseSend()
	n, err := io.Copy(dst, src)
	fmt.Println(n > 0, err)

	a, _ := dst.Receive(context.Background())
	fmt.Println(a.Subject, string(a.Payload))
	// Output:
	// true <nil>
	// a.b payload
}
