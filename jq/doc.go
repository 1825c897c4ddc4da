// Package jq runs a jq program, compiled with github.com/itchyny/gojq, over
// each artifact. Every value the program emits becomes one output artifact
// derived from the input (same reply subject, creation time and origin); a
// program that emits nothing filters the input.
//
// The package lives apart from stream so that the core does not depend on
// gojq. A [Program] plugs into a stream.Buffer through [Program.Generator],
// or through [Program.Process] wherever a stream.ProcessFunc fits, such as
// stream.WithTimeout.
//
// # What a program sees
//
// Its input (.) is the payload, decoded as JSON. Besides it:
//   - $subject is the input's subject;
//   - $headers is an object mapping each header name, as received, to the
//     array of its values in order; {} when there are none;
//   - header(name) is the first value of the header whose name equals name
//     ignoring case, or null. If several names match, the one equal to
//     name wins, then the first in byte order.
//
// $ENV and env are {}: nothing else of the process is visible.
//
// # What a program emits
//
// [WithEmit] chooses. In [EmitPayload] mode, the default, each value is the
// payload of one output, which keeps the input's subject and headers plus
// Content-Type [ContentType].
//
// In [EmitMessage] mode each value is an object describing one output, with
// only these keys, all optional:
//   - "subject": a string, the output's Subject. Without it the output
//     keeps the input's subject. This package does not check the subject:
//     the transport validates a subject the stage chose.
//   - "headers": an object; each value a string, an array of strings, or
//     null. Applied over a copy of the input's headers: a name replaces
//     all values of the header with exactly that name (case-sensitive, as
//     NATS headers are); null or [] removes it. A name NATS cannot carry,
//     Nats-Msg-Id, and any Nats-Expected-* (ignoring case) are malformed.
//   - "payload": any JSON value, encoded as in payload mode, and the
//     output gets Content-Type [ContentType] (before "headers" applies, so
//     a program may set its own). Without it the output's payload is the
//     input's payload bytes, unchanged: routing by content keeps the
//     producer's exact bytes, and the input's Content-Type with them.
//
// Any other value fails the input with [ErrMalformed], saying what is
// wrong. Several values are several outputs, in the order emitted: one
// input can fan out to several subjects.
//
// # Numbers
//
// A number the program passes through unchanged keeps its exact text: the
// integer 12345678901234567890 or the decimal 0.10 come out as they went
// in. Arithmetic follows gojq: integers that fit in an int stay exact,
// larger integers use math/big, and anything else is a float64.
//
// # Decoding
//
// Payloads are decoded by this package's own decoder, not encoding/json:
// it is about twice as fast and allocates less. It accepts and rejects
// exactly what encoding/json's Decoder does for one value followed by
// whitespace only: duplicate object names are allowed and the last wins,
// invalid UTF-8 and unpaired surrogate escapes in strings become U+FFFD,
// and nesting deeper than 10000 is rejected. The values are the same as
// with encoding/json's UseNumber, except that a number gojq would turn into
// an int or a float64 anyway, and would print back as the same text, comes
// decoded (42 and 3.5 do; 0, -0, 0.10 and 1E2 stay json.Number); programs
// cannot tell the difference. The fuzz targets compare both claims with
// encoding/json.
//
// # The fast path
//
// Most route programs only read some fields, do a little arithmetic or
// comparison and build an object: {id, total: (.price * .qty)},
// select(.kind == "x"), {subject: "orders.\(.region)"}. Compile gives such
// programs a native form, a tree of Go functions that runs without gojq's
// interpreter, on a payload decoded only as far as the program reads it:
// the members it never names are checked (the payload is accepted and
// rejected as above) but not built. It covers field and literal index
// reads (.a.b, ."a", .["a"], .[0]), literals, string interpolation, object
// and array construction with literal keys, + - * / %, comparisons, and,
// or, //, if, select, empty, not, length, type, tostring, ascii_downcase,
// ascii_upcase, $subject, $headers, header("name") and top-level commas.
// Programs with anything else (iteration, function definitions, variables
// bound by "as", reduce, try, paths, most builtins) always run on gojq.
//
// The fast path never changes what a program does. When an input takes it
// somewhere it does not follow gojq exactly (an error, an integer
// overflow, a type it does not handle, a json.Number gojq would make a
// big integer of) it gives up before emitting anything, and the input runs
// on gojq. A fuzz target compares both on generated programs and payloads.
// A run on the fast path does not watch its context: it is bounded by the
// size of the program and of the payload.
//
// # Output encoding
//
// Outputs are encoded as gojq.Marshal encodes them, as jq -S -c would print
// them: compact, object keys sorted (gojq keeps no key order, so an object
// never round-trips byte for byte unless its keys are sorted), no HTML
// escaping, NaN as null and infinities clamped to ±math.MaxFloat64.
//
// # Lent outputs
//
// By default every output is the caller's: a new artifact with its own
// header map and payload bytes, none shared with the input. Compiled
// [WithLentOutputs], a program lends them instead: Process may reuse an
// output, its Meta and its Payload once the emit it was passed to returns,
// so the caller copies what it keeps. On the fast path in payload mode
// that spares each output its three allocations (artifact, header map,
// payload), two thirds of the bytes a message costs the stage; elsewhere
// outputs are fresh anyway. The bridge's routes compile their programs so
// (bridge.RouteConfig.LentOutputs): a core route is done with an output
// when emit returns, and a JetStream route copies each one it keeps until
// its acknowledgement.
//
// # Errors
//
// Process's errors carry the failure classes of the stream package, so a
// transport acts on them without knowing this package. A payload that is
// not one JSON value fails with [ErrNotJSON], which matches
// stream.ErrDecode: it can never succeed. An error raised by the program
// fails with [ErrRuntime], and a malformed message with [ErrMalformed]
// (which matches ErrRuntime); both match stream.ErrPermanent. A run cut
// short by its context fails with the context's error, which is not
// permanent, so stream.WithTimeout reports stream.ErrTimeout. Outputs
// emitted before a failure stay emitted.
package jq
