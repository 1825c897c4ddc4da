package chartdoc_test

import (
	"fmt"

	"github.com/natsbridge/bridge/deploy/helm/chartdoc"
)

func Example() {
	values, err := chartdoc.Parse([]byte(`
# -- NATS_URL of the bridge.
url: nats://nats:4222
probes:
  # -- Liveness probe on /healthz.
  liveness: {periodSeconds: 10}
`))
	if err != nil {
		panic(err)
	}
	fmt.Print(chartdoc.Table(values))
	// Output:
	// | Key | Type | Default | Description |
	// |---|---|---|---|
	// | `url` | string | `"nats://nats:4222"` | NATS\_URL of the bridge. |
	// | `probes.liveness` | object | `{"periodSeconds":10}` | Liveness probe on /healthz. |
}
