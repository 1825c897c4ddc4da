package main

import (
	"bytes"
	"encoding/binary"
	"math"
	"strconv"
)

// Sequence numbers of the messages that check a system is ready; receivers
// count them apart. A fence is the last probe sent: once it is through, the
// probes before it are too (or lost), and the run can start.
const (
	probeSeq = math.MaxUint64
	fenceSeq = math.MaxUint64 - 1
)

// format is how a payload carries its sequence number and send time.
type format int

const (
	// binary: bytes 0-7 the sequence number, 8-15 the send time
	// (nanoseconds since the driver's clock base), both big-endian, then
	// zeros up to the size.
	binaryFormat format = iota
	// record: the JSON object of the jq scenario,
	// {"seq":<seq>,"t":<send time>,"id":"a-<seq>","v":3.5,"tags":["x","y"],"pad":"xxx…"}
	// up to the size. The program {seq: .seq, t: .t, id: .id, v: (.v * 2)}
	// keeps what the receiver reads.
	recordFormat
	// kinded: {"seq":<seq>,"t":<send time>,"kind":"k<seq mod kinds>","pad":"xxx…"},
	// for routing by a field.
	kindedFormat
)

// kinds is the number of distinct "kind" values of kinded payloads: the
// number of output subjects a route by kind publishes to.
const kinds = 8

// isJSON reports whether the format is JSON (seq -1 marks a probe, -2 a
// fence).
func (f format) isJSON() bool { return f != binaryFormat }

// payload encodes the payloads of one format and size.
type payload struct {
	format format
	size   int
	buf    []byte
}

// minBinary is the smallest binary payload.
const minBinary = 16

func newPayload(f format, size int) *payload {
	return &payload{format: f, size: max(size, minBinary), buf: make([]byte, 0, max(size, minBinary)+64)}
}

// encode returns the payload for seq sent at sent. The result is reused by
// the next call.
func (p *payload) encode(seq uint64, sent int64) []byte {
	if p.format == binaryFormat {
		b := p.buf[:p.size]
		clear(b[minBinary:])
		binary.BigEndian.PutUint64(b, seq)
		binary.BigEndian.PutUint64(b[8:], uint64(sent))
		return b
	}
	b := append(p.buf[:0], `{"seq":`...)
	b = appendSeq(b, seq)
	b = append(b, `,"t":`...)
	b = strconv.AppendInt(b, sent, 10)
	switch p.format {
	case recordFormat:
		b = append(b, `,"id":"a-`...)
		b = appendSeq(b, seq)
		b = append(b, `","v":3.5,"tags":["x","y"]`...)
	case kindedFormat:
		b = append(b, `,"kind":"k`...)
		b = strconv.AppendUint(b, seq%kinds, 10)
		b = append(b, '"')
	}
	b = append(b, `,"pad":"`...)
	for len(b) < p.size-2 {
		b = append(b, 'x')
	}
	b = append(b, `"}`...)
	p.buf = b
	return b
}

// appendSeq writes a JSON sequence number: probes and fences are negative.
func appendSeq(b []byte, seq uint64) []byte {
	switch seq {
	case probeSeq:
		return append(b, "-1"...)
	case fenceSeq:
		return append(b, "-2"...)
	}
	return strconv.AppendUint(b, seq, 10)
}

var (
	keySeq = []byte(`"seq":`)
	keyT   = []byte(`"t":`)
)

// decode returns the sequence number and send time of a payload, and false
// when it is not one of format f.
func decode(f format, data []byte) (seq uint64, sent int64, ok bool) {
	if f == binaryFormat {
		if len(data) < minBinary {
			return 0, 0, false
		}
		return binary.BigEndian.Uint64(data), int64(binary.BigEndian.Uint64(data[8:])), true
	}
	s, ok1 := jsonInt(data, keySeq)
	t, ok2 := jsonInt(data, keyT)
	switch {
	case !ok1 || !ok2:
		return 0, 0, false
	case s == -1:
		return probeSeq, t, true
	case s == -2:
		return fenceSeq, t, true
	case s < 0:
		return 0, 0, false
	}
	return uint64(s), t, true
}

// jsonInt returns the integer after key in data: enough JSON for the
// payloads above and what the programs make of them (any key order), much
// cheaper than a decoder.
func jsonInt(data, key []byte) (int64, bool) {
	i := bytes.Index(data, key)
	if i < 0 {
		return 0, false
	}
	rest := data[i+len(key):]
	j := 0
	if j < len(rest) && rest[j] == '-' {
		j++
	}
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	n, err := strconv.ParseInt(string(rest[:j]), 10, 64)
	return n, err == nil
}
