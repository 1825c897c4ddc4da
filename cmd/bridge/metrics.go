package main

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/natsbridge/bridge/metrics"
	"github.com/natsbridge/bridge/metrics/bridgemetrics"
)

// newMetrics returns a registry holding the Go and process collectors and
// the bridge's metrics, labelled with version.
func newMetrics(version string) (*prometheus.Registry, *metrics.Metrics, error) {
	reg := prometheus.NewRegistry()
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := reg.Register(c); err != nil {
			return nil, nil, fmt.Errorf("metrics: %w", err)
		}
	}
	m, err := bridgemetrics.New(reg, metrics.WithVersion(version))
	if err != nil {
		return nil, nil, err
	}
	return reg, m, nil
}
