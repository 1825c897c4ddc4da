package main

import "fmt"

// system is a program the harness can run as a contender.
type system int

const (
	// sysBridge is the bridge binary under test (-bridge).
	sysBridge system = iota
	// sysRelay is bench/relay: the bare core NATS relay, with an optional
	// transform in its callback (-map).
	sysRelay
	// sysJSRelay is bench/jsrelay, the bare JetStream relay.
	sysJSRelay
	// sysBento is Bento 1.10.0 (bench/peers/bento), configured by a YAML
	// file the harness writes for each run.
	sysBento
	// sysWatermill is the Watermill passthrough (bench/peers/watermill).
	sysWatermill
	// sysStage is the bridge's processing stage alone: a benchmark of the
	// jq package's test binary (-stage-bench), a process a run.
	sysStage
)

// ofBridge reports whether the system is the bridge or a part of it: what
// a scenario measures.
func (s system) ofBridge() bool { return s == sysBridge || s == sysStage }

// family is the colour of a system in the plots.
func (s system) family() int {
	switch {
	case s.ofBridge():
		return 0
	case s == sysRelay || s == sysJSRelay:
		return 1
	case s == sysBento:
		return 2
	default:
		return 3
	}
}

// families names the plot colours, in the order of family.
var families = []string{"bridge", "bare relay", "Bento 1.10.0", "Watermill 1.5.1"}

// isPeer reports whether the system comes from bench/peers, a module that
// may not build (offline, say): its runs are then skipped.
func (s system) isPeer() bool { return s == sysBento || s == sysWatermill }

// contender is one system with its settings, in one scenario.
type contender struct {
	// name identifies the contender in subjects, the JSON report and
	// -contenders; label is for people.
	name, label string
	sys         system
	// env is extra VAR=value settings of a bridge, after the scenario's.
	env []string
	// args are extra arguments of a relay.
	args []string
	// bentoProc is the Bento pipeline's one processor, "jq" (bentoCode is
	// its query) or "mapping" (bentoCode is the Bloblang mapping); empty
	// forwards.
	bentoProc, bentoCode string
	// benchmark is the Go benchmark a goBench run runs, such as
	// "BenchmarkStage/workers=2".
	benchmark string
}

// The contenders of the scenario table.

func bridgeDefaults() contender {
	return contender{name: "bridge", label: "the bridge", sys: sysBridge}
}

func bridgeWith(name, label string, env ...string) contender {
	return contender{name: name, label: label, sys: sysBridge, env: env}
}

func plainRelay() contender {
	return contender{name: "relay", label: "bare nats.go relay", sys: sysRelay}
}

func relayWith(name, label string, args ...string) contender {
	return contender{name: name, label: label, sys: sysRelay, args: args}
}

func jsRelay(args ...string) contender {
	return contender{name: "relay", label: "bare JetStream relay", sys: sysJSRelay, args: args}
}

func bento(name, label, proc, code string) contender {
	return contender{name: name, label: label, sys: sysBento, bentoProc: proc, bentoCode: code}
}

// stage is BenchmarkStage of the jq package with the given workers.
func stage(name, label string, workers int) contender {
	return contender{name: name, label: label, sys: sysStage, benchmark: fmt.Sprintf("BenchmarkStage/workers=%d", workers)}
}

func watermill() contender {
	return contender{name: "watermill", label: "Watermill 1.5.1 router (watermill-nats v2, core NATS)", sys: sysWatermill}
}
