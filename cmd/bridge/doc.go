// Command bridge forwards NATS messages from subject to subject, optionally
// transforming them with jq, as configured by environment variables (see
// docs/configuration.md or run bridge -h).
//
// Exit status: 0 on success, 1 when the bridge fails while running, 2 for an
// invalid configuration or command line.
package main
