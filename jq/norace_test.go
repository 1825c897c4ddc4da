//go:build !race

package jq_test

const raceEnabled = false
