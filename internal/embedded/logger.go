package embedded

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats-server/v2/server"
)

// Logger adapts a *slog.Logger to nats-server's server.Logger. Records carry
// the attribute component=nats-server. Notices are logged at Info, warnings
// at Warn, errors and fatal errors at Error, debug and trace messages at
// Debug; the server filters debug and trace itself, according to the flags
// it is given with SetLogger.
type Logger struct {
	l *slog.Logger
	// fatal, when set, is told of fatal errors, which nats-server expects
	// to end the process.
	fatal func(msg string)
}

var _ server.Logger = (*Logger)(nil)

// NewLogger returns a Logger writing to l; a nil l discards the log.
func NewLogger(l *slog.Logger) *Logger {
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return &Logger{l: l.With("component", "nats-server")}
}

func (g *Logger) log(level slog.Level, format string, v []any) {
	if g.l.Enabled(context.Background(), level) {
		g.l.Log(context.Background(), level, fmt.Sprintf(format, v...))
	}
}

// Noticef logs at Info.
func (g *Logger) Noticef(format string, v ...any) { g.log(slog.LevelInfo, format, v) }

// Warnf logs at Warn.
func (g *Logger) Warnf(format string, v ...any) { g.log(slog.LevelWarn, format, v) }

// Errorf logs at Error.
func (g *Logger) Errorf(format string, v ...any) { g.log(slog.LevelError, format, v) }

// Fatalf logs at Error. Unlike nats-server's own logger it does not exit the
// process: during [Start] the fatal error becomes Start's error; later (no
// such call is expected with the options Start uses) it is only logged.
func (g *Logger) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	g.l.Error(msg, "fatal", true)
	if g.fatal != nil {
		g.fatal(msg)
	}
}

// Debugf logs at Debug.
func (g *Logger) Debugf(format string, v ...any) { g.log(slog.LevelDebug, format, v) }

// Tracef logs at Debug.
func (g *Logger) Tracef(format string, v ...any) { g.log(slog.LevelDebug, format, v) }
