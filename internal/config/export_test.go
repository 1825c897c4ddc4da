package config

// RoutePrefix and ConnPrefix expose routePrefix and connPrefix to the tests.
const (
	RoutePrefix = routePrefix
	ConnPrefix  = connPrefix
)
