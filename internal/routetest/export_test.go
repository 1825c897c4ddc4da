package routetest

// DiffPayload exports diffPayload to the tests.
var DiffPayload = diffPayload
