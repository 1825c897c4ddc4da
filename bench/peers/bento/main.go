// Command bento is Bento 1.10.0 (github.com/warpstreamlabs/bento) with only
// the components the benchmark uses: the nats input and output, the pure
// processors (jq, mapping) and the prometheus metrics exporter. It is
// Bento's own command line: run it as `bento -c config.yaml`.
package main

import (
	"context"

	"github.com/warpstreamlabs/bento/public/service"

	_ "github.com/warpstreamlabs/bento/public/components/nats"
	_ "github.com/warpstreamlabs/bento/public/components/prometheus"
	_ "github.com/warpstreamlabs/bento/public/components/pure"
)

func main() {
	service.RunCLI(context.Background())
}
