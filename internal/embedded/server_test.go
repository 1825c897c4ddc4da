package embedded_test

import (
	"bytes"
	"errors"
	"github.com/natsbridge/bridge/internal/natstest"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/natsbridge/bridge/internal/embedded"
)

func start(t *testing.T, opts embedded.Options) *embedded.Server {
	t.Helper()
	if opts.StoreDir == "" {
		opts.StoreDir = t.TempDir()
	}
	s, err := embedded.Start(opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

func connect(t *testing.T, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatalf("Connect(%s): %v", url, err)
	}
	t.Cleanup(nc.Close)
	return nc
}

func TestStartServesCoreAndJetStream(t *testing.T) {
	var logs natstest.Output
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	s := start(t, embedded.Options{Listen: "127.0.0.1:0", Logger: logger})
	if !strings.HasPrefix(s.ClientURL(), "nats://127.0.0.1:") || strings.HasSuffix(s.ClientURL(), ":0") {
		t.Fatalf("ClientURL() = %q, want nats://127.0.0.1 with the chosen port", s.ClientURL())
	}

	nc := connect(t, s.ClientURL())
	sub, err := nc.SubscribeSync("greet.>")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Publish("greet.world", []byte("hello")); err != nil {
		t.Fatal(err)
	}
	msg, err := sub.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatalf("NextMsg: %v", err)
	}
	if msg.Subject != "greet.world" || string(msg.Data) != "hello" {
		t.Errorf("got %s %q, want greet.world hello", msg.Subject, msg.Data)
	}

	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, err := js.AccountInfo(ctx); err != nil {
		t.Fatalf("AccountInfo: %v", err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "ORDERS", Subjects: []string{"orders.>"}}); err != nil {
		t.Fatalf("CreateStream: %v", err)
	}
	ack, err := js.Publish(ctx, "orders.1", []byte("{}"))
	if err != nil || ack.Sequence != 1 {
		t.Fatalf("JetStream publish: %v, %+v", err, ack)
	}

	if !strings.Contains(logs.String(), "component=nats-server") {
		t.Errorf("the server log did not reach the logger:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "level=DEBUG") {
		t.Errorf("debug records logged at Info level:\n%s", logs.String())
	}
}

func TestStartDefaults(t *testing.T) {
	s := start(t, embedded.Options{}) // an empty Listen is 127.0.0.1, free port
	connect(t, s.ClientURL())
}

func TestStartAllInterfaces(t *testing.T) {
	s := start(t, embedded.Options{Listen: ":-1"})
	if !strings.HasPrefix(s.ClientURL(), "nats://127.0.0.1:") {
		t.Errorf("ClientURL() = %q, want a loopback address to dial", s.ClientURL())
	}
	connect(t, s.ClientURL())
}

func TestStartFailsWhenPortIsTaken(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	var logs natstest.Output
	begin := time.Now()
	_, err = embedded.Start(embedded.Options{
		Listen:   l.Addr().String(),
		StoreDir: t.TempDir(),
		Logger:   slog.New(slog.NewTextHandler(&logs, nil)),
	})
	if !errors.Is(err, embedded.ErrNotReady) {
		t.Fatalf("Start on a taken port: %v, want ErrNotReady", err)
	}
	if !strings.Contains(err.Error(), "listen") {
		t.Errorf("error %q does not say why", err)
	}
	// The fatal error is noticed without waiting for the ready timeout.
	if elapsed := time.Since(begin); elapsed >= embedded.DefaultReadyTimeout {
		t.Errorf("Start took %s", elapsed)
	}
	if !strings.Contains(logs.String(), "fatal=true") {
		t.Errorf("fatal error not logged:\n%s", logs.String())
	}
}

func TestStartFailsWithoutJetStream(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := embedded.Start(embedded.Options{StoreDir: file})
	if !errors.Is(err, embedded.ErrNotReady) || !strings.Contains(err.Error(), "JetStream") {
		t.Fatalf("Start with a file as store: %v, want ErrNotReady about JetStream", err)
	}
}

func TestStartInvalidOptions(t *testing.T) {
	tests := []struct {
		name   string
		listen string
	}{
		{name: "no port", listen: "127.0.0.1"},
		{name: "port not a number", listen: "127.0.0.1:nats"},
		{name: "port out of range", listen: "127.0.0.1:70000"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			_, err := embedded.Start(embedded.Options{Listen: test.listen, StoreDir: t.TempDir()})
			if !errors.Is(err, embedded.ErrInvalidOptions) {
				t.Fatalf("Start(%q): %v, want ErrInvalidOptions", test.listen, err)
			}
		})
	}
}

func TestShutdownClosesClientsAndIsIdempotent(t *testing.T) {
	s, err := embedded.Start(embedded.Options{StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{})
	nc, err := nats.Connect(s.ClientURL(),
		nats.NoReconnect(),
		nats.ClosedHandler(func(*nats.Conn) { close(closed) }))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()

	s.Shutdown()
	s.Shutdown()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("client connection still open after Shutdown")
	}
	if s.NATSServer().Running() {
		t.Error("server still running after Shutdown")
	}
}

func TestLoggerLevels(t *testing.T) {
	var b bytes.Buffer
	l := embedded.NewLogger(slog.New(slog.NewTextHandler(&b, &slog.HandlerOptions{Level: slog.LevelDebug})))
	l.Noticef("n %d", 1)
	l.Warnf("w %d", 2)
	l.Errorf("e %d", 3)
	l.Fatalf("f %d", 4)
	l.Debugf("d %d", 5)
	l.Tracef("t %d", 6)
	want := []string{
		`level=INFO msg="n 1" component=nats-server`,
		`level=WARN msg="w 2" component=nats-server`,
		`level=ERROR msg="e 3" component=nats-server`,
		`level=ERROR msg="f 4" component=nats-server fatal=true`,
		`level=DEBUG msg="d 5" component=nats-server`,
		`level=DEBUG msg="t 6" component=nats-server`,
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %d records, want %d:\n%s", len(lines), len(want), b.String())
	}
	for i, line := range lines {
		if !strings.Contains(line, want[i]) {
			t.Errorf("record %d = %q, want it to contain %q", i, line, want[i])
		}
	}
	embedded.NewLogger(nil).Noticef("discarded") // a nil logger is valid
}
