// Package bridgemetrics records a bridge's routes in Prometheus metrics: it
// is the adapter from the hooks and statistics of package bridge to the
// collectors of package metrics, in the way client_golang's promhttp adapts
// net/http. The bridge command uses it, and so can any program that embeds
// package bridge:
//
//	m, err := bridgemetrics.New(reg) // metrics.New with the bridge's reasons
//	b, err := bridge.New(nc, routes, bridge.WithHooks(bridgemetrics.Hooks(m)))
//	reg.MustRegister(bridgemetrics.NewStatsCollector(b))
package bridgemetrics
