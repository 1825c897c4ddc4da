package subjectmap_test

import (
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
