package main

import (
	"github.com/natsbridge/bridge/artifact"
	"github.com/natsbridge/bridge/bridge"
	"github.com/natsbridge/bridge/internal/config"
	"github.com/natsbridge/bridge/internal/status"
)

// statusRoutes describes the configured routes for the status page.
func statusRoutes(cfg *config.Config) []status.Route {
	out := make([]status.Route, 0, len(cfg.Routes))
	for _, r := range cfg.Routes {
		out = append(out, status.Route{Name: r.Name, In: r.In, Out: r.Out, Stream: r.Stream})
	}
	return out
}

// recordFailures returns h with every route's Failed hook also recording
// the failure on the status page; with a nil st it returns h. It wraps the
// hooks rather than changing them, so the metrics see the same calls.
func recordFailures(h bridge.Hooks, st *status.Status) bridge.Hooks {
	if st == nil || h.Route == nil {
		return h
	}
	route := h.Route
	h.Route = func(name string) bridge.RouteHooks {
		rh := route(name)
		failed := rh.Failed
		rh.Failed = func(a *artifact.Artifact, why bridge.Reason, err error) {
			if failed != nil {
				failed(a, why, err)
			}
			st.Failed(name, a.Subject, string(why), err)
		}
		return rh
	}
	return h
}
