// Package embedded runs an in-process NATS server with JetStream, for when
// the bridge is not given an external server (NATS_URL unset) and for tests.
//
// [Start] returns once the server accepts clients; [Server.Shutdown] stops
// it and waits until all its goroutines are done. The server's log goes to
// a *slog.Logger through [NewLogger].
package embedded
