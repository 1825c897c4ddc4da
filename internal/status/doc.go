// Package status serves the bridge's live status page: every route with its
// subjects, its rates over the last seconds, its buffer and pending fill, its
// latency percentiles and its last failures, and the state of each NATS
// connection. [Status.PageHandler] renders it as a plain HTML table that a
// small inline script keeps up to date; [Status.JSONHandler] serves the same
// [Snapshot] as JSON for scripts.
//
// # Sources
//
// Everything but the failures is read from a [prometheus.Gatherer], by the
// metric names of package metrics: the page shows what /metrics says, and
// needs no hook of its own on the message path. The route list is given by
// the caller (names, subjects and kind come from the configuration, not from
// metrics). Failures carry what a counter cannot, the subject and the error
// text, so the route hooks feed them through [Status.Failed] into a small
// ring per route. No payload bytes are kept; the error text is the one the
// bridge logs, which can quote a little of the input (gojq's type errors show
// up to 30 bytes of the value, encoding/json's syntax errors the offending
// character), and is cut at 512 bytes.
//
// # Rates
//
// A counter gives totals; rates need two readings. Between [Status.Start]
// and [Status.Stop] one goroutine gathers the counters every interval (1 s
// by default) and keeps the readings of the last window (10 s). A snapshot
// reads the metrics afresh and divides the increase since the oldest reading
// by the time between them, so the rates are those of the last window, as a
// Prometheus rate() over the same range would be. The latency percentiles
// come from the increase of the latency histogram's buckets over the same
// window, interpolated as histogram_quantile does.
//
// # Page
//
// The page has no external assets and no build step: one html/template with
// its CSS and script embedded in the binary. Without JavaScript it is a table
// of the numbers at load time (and reloads itself every few seconds); with
// it, the script polls /status and updates the table in place. A Content
// Security Policy admits only that script and style, by hash.
package status
