package main

import (
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// otlpSinkURL, in a bridge contender's environment, stands for the URL of
// the harness's OTLP sink: OTEL_EXPORTER_OTLP_ENDPOINT=$OTLP_SINK sends a
// traced bridge's spans there.
const otlpSinkURL = "$OTLP_SINK"

// otlpSink is an OTLP/HTTP receiver that accepts every export and keeps
// only counts, so that a traced bridge pays for exporting its spans, as
// it would with a collector, and the harness as little as it can.
type otlpSink struct {
	url             string
	srv             *http.Server
	done            chan struct{}
	exports, octets atomic.Int64
}

func startOTLPSink() (*otlpSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &otlpSink{url: "http://" + ln.Addr().String(), done: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		s.exports.Add(1)
		s.octets.Add(n)
		// An empty ExportTraceServiceResponse: all spans accepted.
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	})
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// close stops the sink and waits for its server to end.
func (s *otlpSink) close() {
	_ = s.srv.Close()
	<-s.done
}

// expand replaces otlpSinkURL in env with the sink's URL.
func (s *otlpSink) expand(env []string) {
	if s == nil {
		return
	}
	for i, kv := range env {
		env[i] = strings.ReplaceAll(kv, otlpSinkURL, s.url)
	}
}
