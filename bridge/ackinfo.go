package bridge

import (
	"strconv"
	"strings"
)

// ackInfo reads the stream sequence and the delivery count of a JetStream
// message from its reply subject, as Msg.Metadata does but without
// allocating, in either of the server's two forms:
//
//	$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<tm>.<pending>
//	$JS.ACK.<domain>.<hash>.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<tm>.<pending>[.<token>...]
//
// The first has 9 tokens, the second at least 11.
func ackInfo(reply string) (seq, delivered uint64, ok bool) {
	const prefix = "$JS.ACK."
	rest, found := strings.CutPrefix(reply, prefix)
	if !found {
		return 0, 0, false
	}
	skip := 0 // tokens before <delivered>
	switch n := strings.Count(reply, ".") + 1; {
	case n == 9:
		skip = 2
	case n >= 11:
		skip = 4
	default:
		return 0, 0, false
	}
	for range skip {
		_, rest, _ = strings.Cut(rest, ".")
	}
	d, rest, _ := strings.Cut(rest, ".")
	sq, _, _ := strings.Cut(rest, ".")
	delivered, err1 := strconv.ParseUint(d, 10, 64)
	seq, err2 := strconv.ParseUint(sq, 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return seq, delivered, true
}
