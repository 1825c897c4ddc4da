// Command bridge forwards NATS messages from subject to subject, optionally
// transforming them with jq, as configured by environment variables (see
// docs/configuration.md or run bridge -h). bridge test FILE... runs the
// tests of route programs in the files on the routes so configured, without
// NATS (bridge test -h).
//
// Exit status: 0 on success, 1 when the bridge fails while running (or a
// route test fails), 2 for an invalid configuration or command line (or
// invalid test files).
package main
