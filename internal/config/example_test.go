package config_test

import (
	"errors"
	"fmt"

	"github.com/natsbridge/bridge/internal/config"
)

func ExampleLoad() {
	cfg, err := config.Load([]string{
		"NATS_URL=nats://127.0.0.1:4222",
		"BRIDGE_ROUTE_0_NAME=orders",
		"BRIDGE_ROUTE_0_IN=orders.*.created",
		"BRIDGE_ROUTE_0_OUT=audit.{{wildcard(1)}}",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := cfg.Routes[0]
	fmt.Println(r.Name, r.Queue, r.Buffer, r.Overflow, r.Timeout, r.RouteConfig().Validate())
	// Output: orders bridge.orders 1024 block 5s <nil>
}

func ExampleLoad_problems() {
	_, err := config.Load([]string{
		"BRIDGE_ROUTE_0_IN=orders.>",
		"BRIDGE_ROUTE_0_OVERFLOW=sometimes",
		"BRIDGE_ROUTE_2_IN=invoices.>",
		"BRIDGE_SHUTDOWN_TIMEOUT=ten",
	})
	fmt.Println(errors.Is(err, config.ErrInvalid))
	for _, p := range err.(interface{ Unwrap() []error }).Unwrap() {
		fmt.Println(p)
	}
	// Output:
	// true
	// BRIDGE_SHUTDOWN_TIMEOUT: invalid duration "ten" (want a number with a unit, e.g. 500ms, 30s, 2m)
	// BRIDGE_ROUTE_0_OUT: required
	// BRIDGE_ROUTE_0_OVERFLOW: unknown policy "sometimes" (want block, drop_newest, drop_oldest)
	// BRIDGE_ROUTE_2_IN: route index 2 is set but route 1 is not (routes are numbered from 0 without gaps)
	// BRIDGE_ROUTE_2_OUT: required
}
