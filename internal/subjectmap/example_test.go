package subjectmap_test

import (
	"errors"
	"fmt"

	"github.com/natsbridge/bridge/internal/subjectmap"
)

func ExampleMapping_Map() {
	m, err := subjectmap.New("orders.*.created", "audit.{{wildcard(1)}}.orders")
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := m.Map("orders.eu.created")
	fmt.Println(out, err)
	// Output: audit.eu.orders <nil>
}

func ExampleMatches() {
	fmt.Println(subjectmap.Matches("orders.eu.created", "orders.*.created"))
	fmt.Println(subjectmap.Matches("orders.eu", "orders.*.created"))
	// A pattern is inside a filter when every subject it matches is.
	fmt.Println(subjectmap.Matches("orders.*.created", "orders.>"))
	// Output:
	// true
	// false
	// true
}

func ExampleMapping_Allows() {
	// A program may choose its own output subject inside OUT's space, even
	// when OUT does not map IN.
	m, err := subjectmap.NewSpace("orders.in", "routed.>")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Space(), m.MapsIn())
	fmt.Println(m.Allows("routed.eu.new"), m.Allows("routed.*"), m.Allows("other.eu"))
	_, err = m.Map("orders.in")
	fmt.Println(errors.Is(err, subjectmap.ErrNoDefault))
	// Output:
	// routed.> false
	// true false false
	// true
}
