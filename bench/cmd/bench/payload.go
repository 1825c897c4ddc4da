package main

import (
	"bytes"
	"encoding/binary"
	"math"
	"strconv"
)

// probeSeq marks the messages that check a system is ready; receivers
// ignore them.
const probeSeq = math.MaxUint64

// A payload carries a sequence number and a send time (nanoseconds since
// the driver's clock base), either in binary or as JSON.
//
// Binary: bytes 0-7 the sequence number, 8-15 the send time, both
// big-endian, then zeros up to the size. JSON:
// {"id":<seq>,"v":<send time>,"pad":"xxx…"} up to the size, with id -1 for
// probes; the jq scenario's mapping {id: .id, v: .v} keeps both fields.
type payload struct {
	json bool
	size int
	buf  []byte
}

// minBinary is the smallest binary payload.
const minBinary = 16

func newPayload(jsonFormat bool, size int) *payload {
	return &payload{json: jsonFormat, size: max(size, minBinary), buf: make([]byte, 0, max(size, minBinary)+64)}
}

// encode returns the payload for seq sent at sent. The result is reused by
// the next call.
func (p *payload) encode(seq uint64, sent int64) []byte {
	if !p.json {
		b := p.buf[:p.size]
		clear(b[minBinary:])
		binary.BigEndian.PutUint64(b, seq)
		binary.BigEndian.PutUint64(b[8:], uint64(sent))
		return b
	}
	b := append(p.buf[:0], `{"id":`...)
	if seq == probeSeq {
		b = append(b, "-1"...)
	} else {
		b = strconv.AppendUint(b, seq, 10)
	}
	b = append(b, `,"v":`...)
	b = strconv.AppendInt(b, sent, 10)
	b = append(b, `,"pad":"`...)
	for len(b) < p.size-2 {
		b = append(b, 'x')
	}
	b = append(b, `"}`...)
	p.buf = b
	return b
}

var (
	keyID = []byte(`"id":`)
	keyV  = []byte(`"v":`)
)

// decode returns the sequence number and send time of a payload, and false
// when it is not one.
func decode(jsonFormat bool, data []byte) (seq uint64, sent int64, ok bool) {
	if !jsonFormat {
		if len(data) < minBinary {
			return 0, 0, false
		}
		return binary.BigEndian.Uint64(data), int64(binary.BigEndian.Uint64(data[8:])), true
	}
	id, ok1 := jsonInt(data, keyID)
	v, ok2 := jsonInt(data, keyV)
	if !ok1 || !ok2 {
		return 0, 0, false
	}
	if id < 0 {
		return probeSeq, v, true
	}
	return uint64(id), v, true
}

// jsonInt returns the integer after key in data: enough JSON for the
// payloads above and the jq mapping's output, much cheaper than a decoder.
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
