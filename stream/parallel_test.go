package stream_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/stream"
)

func TestParseOrder(t *testing.T) {
	tenant := artifact.New("s.1", nil)
	tenant.SetMeta("X-Tenant", "acme")
	tenant.SetMeta("x-tenant", "other")
	tests := []struct {
		in      string
		want    string // String() of the result; "" for an error
		key     string // the key of tenant, or "nil" for no KeyFunc
		errText string
	}{
		{in: "subject", want: "subject", key: "s.1"},
		{in: "header:X-Tenant", want: "header:X-Tenant", key: "acme"},
		{in: "header:x-tenant", want: "header:x-tenant", key: "other"},
		{in: "header:Absent", want: "header:Absent", key: ""},
		{in: "none", want: "none", key: "nil"},
		{in: "", errText: `unknown order ""`},
		{in: "Subject", errText: `unknown order "Subject"`},
		{in: "header", errText: `unknown order "header"`},
		{in: "header:", errText: "names no header"},
		{in: "header:X Tenant", errText: "not a valid header name"},
		{in: "header:X:Tenant", errText: "not a valid header name"},
		{in: "header:Ténant", errText: "not a valid header name"},
		{in: "random", errText: "want subject, header:<Name> or none"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			o, err := stream.ParseOrder(tc.in)
			if tc.errText != "" {
				if !errors.Is(err, stream.ErrInvalidOption) || !strContains(err, tc.errText) {
					t.Fatalf("ParseOrder(%q) = %v, %v; want an ErrInvalidOption containing %q", tc.in, o, err, tc.errText)
				}
				var u stream.Order
				if err := u.UnmarshalText([]byte(tc.in)); err == nil {
					t.Errorf("UnmarshalText(%q) accepted it", tc.in)
				}
				return
			}
			if err != nil || o.String() != tc.want {
				t.Fatalf("ParseOrder(%q) = %v, %v; want %s", tc.in, o, err, tc.want)
			}
			key := o.Key()
			switch {
			case tc.key == "nil" && key != nil:
				t.Errorf("Key() = %v, want nil", key)
			case tc.key != "nil" && (key == nil || key(tenant) != tc.key):
				t.Errorf("Key()(tenant) is not %q", tc.key)
			}
			text, _ := o.MarshalText()
			var u stream.Order
			if err := u.UnmarshalText(text); err != nil || u != o {
				t.Errorf("UnmarshalText(MarshalText()) = %v, %v; want %v", u, err, o)
			}
		})
	}
	var zero stream.Order
	if zero.String() != "subject" || zero.Key()(tenant) != "s.1" {
		t.Errorf("the zero Order is %v, want subject", zero)
	}
}

func strContains(err error, s string) bool { return err != nil && strings.Contains(err.Error(), s) }

// tenantArt is the i-th input of the header-order tests: 16 tenants in
// turn, and every 17th input without the header.
func tenantArt(i int) *artifact.Artifact {
	a := artifact.New("orders", []byte(strconv.Itoa(i)))
	if i%17 != 0 {
		a.SetMeta("X-Tenant", fmt.Sprintf("t%d", i%16))
	}
	return a
}

// TestParallelKeepsHeaderOrder runs 4 workers keyed by a header: inputs of
// one tenant, and the inputs without the header, come out in input order,
// and each input's outputs in their own order.
func TestParallelKeepsHeaderOrder(t *testing.T) {
	const n = 3000
	g := stream.FromFunc(func(_ context.Context, a *artifact.Artifact, emit stream.Emit) error {
		for j := range 3 {
			r := a.Derive(fmt.Appendf(nil, "%s.%d", a.Payload, j))
			if err := emit(r); err != nil {
				return err
			}
		}
		return nil
	})
	b := newBuffer(t, stream.WithGenerator(stream.Parallel(4, stream.ByHeader("X-Tenant"), g)))
	ctx := t.Context()
	go func() {
		for i := range n {
			if err := b.Send(ctx, tenantArt(i)); err != nil {
				t.Errorf("Send: %v", err)
			}
		}
		_ = b.CloseSend()
	}()
	got, errs := collect(t, ctx, b)
	if len(got) != 3*n || errs != nil {
		t.Fatalf("got %d results and errors %v, want %d results", len(got), errs, 3*n)
	}
	last := map[string][2]int{} // per tenant: last input and output index
	for _, p := range got {
		var i, j int
		if _, err := fmt.Sscanf(p, "%d.%d", &i, &j); err != nil {
			t.Fatalf("output %q: %v", p, err)
		}
		key := tenantArt(i).Meta.Get("X-Tenant")
		prev, seen := last[key]
		switch {
		case !seen && j != 0, seen && i < prev[0],
			seen && i == prev[0] && j != prev[1]+1, seen && i > prev[0] && j != 0:
			t.Fatalf("tenant %q: output %d.%d after %d.%d", key, i, j, prev[0], prev[1])
		}
		last[key] = [2]int{i, j}
	}
}

// barrier returns a ProcessFunc that emits its input once want calls are
// running at the same time, and fails the input if that does not happen
// within a generous deadline.
func barrier(want int32) stream.ProcessFunc {
	var active atomic.Int32
	all := make(chan struct{})
	return func(ctx context.Context, a *artifact.Artifact, emit stream.Emit) error {
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

// TestParallelUnorderedUsesEveryWorker sends inputs of one subject to 4
// unordered workers: all 4 must be busy at once, which no keyed order
// allows for a single key.
func TestParallelUnorderedUsesEveryWorker(t *testing.T) {
	const workers = 4
	b := newBuffer(t, stream.WithGenerator(stream.Parallel(workers, nil, stream.FromFunc(barrier(workers)))))
	ctx := t.Context()
	for i := range workers {
		if err := b.Send(ctx, artifact.New("one.subject", []byte(strconv.Itoa(i)))); err != nil {
			t.Fatal(err)
		}
	}
	_ = b.CloseSend()
	got, errs := collect(t, ctx, b)
	if len(got) != workers || errs != nil {
		t.Fatalf("got %v, errors %v; want %d results", got, errs, workers)
	}
}

// TestParallelGenericUnordered is the same for a generator that is not a
// function generator, which Parallel runs as n copies with forwarding.
func TestParallelGenericUnordered(t *testing.T) {
	const workers = 3
	g := stream.Chain(stream.FromFunc(barrier(workers)), stream.Passthrough())
	b := newBuffer(t, stream.WithGenerator(stream.Parallel(workers, nil, g)))
	ctx := t.Context()
	for i := range workers {
		if err := b.Send(ctx, artifact.New("one.subject", []byte(strconv.Itoa(i)))); err != nil {
			t.Fatal(err)
		}
	}
	_ = b.CloseSend()
	got, errs := collect(t, ctx, b)
	if len(got) != workers || errs != nil {
		t.Fatalf("got %v, errors %v; want %d results", got, errs, workers)
	}
}

// FuzzParseOrder checks that ParseOrder never panics, that what it accepts
// prints back as itself, and that every error matches ErrInvalidOption.
func FuzzParseOrder(f *testing.F) {
	for _, s := range []string{"subject", "none", "header:X-Tenant", "header:", "header", "", "header:a b", "header:é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := stream.ParseOrder(s)
		if err != nil {
			if !errors.Is(err, stream.ErrInvalidOption) {
				t.Fatalf("ParseOrder(%q): error %v does not match ErrInvalidOption", s, err)
			}
			return
		}
		if o.String() != s {
			t.Fatalf("ParseOrder(%q).String() = %q", s, o.String())
		}
		if (o.Key() == nil) != (s == "none") {
			t.Fatalf("ParseOrder(%q).Key() nil: %v", s, o.Key() == nil)
		}
	})
}
