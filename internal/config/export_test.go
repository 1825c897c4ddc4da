package config

// RoutePrefix exposes routePrefix to the tests.
const RoutePrefix = routePrefix
