package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"

	"github.com/natsbridge/bridge/internal/config"
)

func main() {
	out := flag.String("o", "", "output file (required)")
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	var b bytes.Buffer
	config.Markdown(&b)
	if err := os.WriteFile(*out, b.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}
