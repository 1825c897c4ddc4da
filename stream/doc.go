// Package stream is the bridge's processing core: a [Generator] turns a
// channel of artifacts into channels of results and errors, and a [Buffer]
// puts a bounded queue, an overflow policy, middleware and hooks in front of
// a Generator.
//
// The package knows nothing of NATS or Prometheus; transports feed a Buffer
// and exporters observe it through [Hooks].
//
// # Channel ownership
//
// Whoever makes a channel sends on it and closes it. A Generator makes its
// out and errs channels and closes both once in is closed and its work is
// flushed, or once its context is done. A Buffer makes its input queue,
// is the only one that closes it ([Buffer.CloseSend]), and never closes a
// channel a Generator owns.
//
// # Two faces
//
// The message face, [Buffer.Send] and [Buffer.Receive], moves
// *artifact.Artifact values and honours a context; it is the hot path. The
// byte face makes a Buffer an [io.ReadWriteCloser]: Read yields a framed
// stream of encoded artifacts (see [AppendFrame]) and Write accepts the same
// stream in pieces of any size, so io.Copy from one Buffer to another
// reproduces every artifact.
//
// # Shutting down
//
// [Buffer.CloseSend] ends the input; the Generator drains what it holds and
// [Buffer.Receive] returns io.EOF after the last result. [Buffer.Shutdown]
// does that bounded by a context, and [Buffer.Close] stops at once,
// reporting every artifact still queued through [Hooks.OnDrop].
package stream
