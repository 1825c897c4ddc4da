// Package routetest runs tests of route programs without NATS: the file
// format of `bridge test`, its parser ([Parse]), and a runner that puts
// each test's input through its route with [bridge.Simulate] and says what
// differs from the outputs or the failure expected ([Test.Run]).
//
// A test file is YAML:
//
//	tests:
//	  - name: adds a total
//	    route: totals
//	    input:
//	      subject: invoices
//	      headers: {X-Tenant: acme}
//	      payload: '{"price":2,"qty":3}'
//	    output:
//	      - subject: invoices.totals
//	        headers: {X-Tenant: acme}
//	        payload: '{"id":null,"total":6}'
//	  - name: rejects non-JSON
//	    route: totals
//	    input: {payload: 'nope'}
//	    fails: decode
//
// The format is fixed, so that users' files keep working; `bridge test -h`
// documents it. Parsing is strict: an unknown key, a duplicate key or a
// value of the wrong kind is an error, reported with its line.
package routetest
