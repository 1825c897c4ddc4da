// Command natsserver runs a NATS server (github.com/nats-io/nats-server/v2,
// the version in go.mod) as a process of its own, so that the benchmark
// harness can measure other processes against it without sharing their CPU
// accounting. The nats-server binary is not needed.
//
// It prints one JSON line on stdout once it accepts clients,
//
//	{"url":"nats://127.0.0.1:41234","monitor":"http://127.0.0.1:40871"}
//
// and runs until SIGINT or SIGTERM.
//
// Usage:
//
//	natsserver [-host 127.0.0.1] [-port -1] [-http -1] [-js -store dir] [-log]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

func main() {
	host := flag.String("host", "127.0.0.1", "interface to listen on")
	port := flag.Int("port", -1, "client port; -1 picks a free one")
	httpPort := flag.Int("http", -1, "monitoring port (/varz); -1 picks a free one, 0 disables")
	js := flag.Bool("js", false, "enable JetStream")
	store := flag.String("store", "", "JetStream store directory (required with -js)")
	maxPending := flag.Int64("max-pending", 0, "bytes the server buffers for a client before it is a slow consumer; 0 means the server default (64 MiB)")
	logs := flag.Bool("log", false, "log notices and warnings (such as slow consumers) to stderr")
	flag.Parse()
	if *js && *store == "" {
		fmt.Fprintln(os.Stderr, "natsserver: -js needs -store")
		os.Exit(2)
	}

	opts := &server.Options{
		Host:       *host,
		Port:       *port,
		HTTPHost:   *host,
		HTTPPort:   *httpPort,
		NoLog:      !*logs,
		NoSigs:     true,
		JetStream:  *js,
		StoreDir:   *store,
		MaxPending: *maxPending,
	}
	s, err := server.NewServer(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "natsserver:", err)
		os.Exit(1)
	}
	if *logs {
		s.ConfigureLogger()
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		fmt.Fprintln(os.Stderr, "natsserver: not ready within 10s")
		s.Shutdown()
		os.Exit(1)
	}
	ready := struct {
		URL     string `json:"url"`
		Monitor string `json:"monitor,omitempty"`
	}{URL: s.ClientURL()}
	if a := s.MonitorAddr(); a != nil {
		ready.Monitor = fmt.Sprintf("http://%s", a)
	}
	if err := json.NewEncoder(os.Stdout).Encode(ready); err != nil {
		s.Shutdown()
		os.Exit(1)
	}

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	s.Shutdown()
	s.WaitForShutdown()
}
