package artifact

import (
	"encoding/binary"
	"fmt"
	"time"
	"unsafe"
)

// Version is the wire format version written by [Artifact.AppendBinary].
//
// Version 1 layout (all integers are varints as in encoding/binary):
//
//	version  byte (1)
//	flags    byte: bit 0 ID present, bit 1 Created present; others must be 0
//	id       16 bytes, if flagged
//	created  varint seconds since 1970-01-01 UTC, uvarint nanoseconds,
//	         varint zone offset in seconds, if flagged
//	subject  uvarint length, bytes
//	reply    uvarint length, bytes
//	meta     uvarint key count, then per key: uvarint length, bytes,
//	         uvarint value count, per value: uvarint length, bytes
//	payload  uvarint length, bytes
//
// Nothing may follow the payload.
const Version = 1

const (
	flagID      = 1 << 0
	flagCreated = 1 << 1
	flagsKnown  = flagID | flagCreated
)

// EncodedLen returns the exact number of bytes [Artifact.AppendBinary] will
// append.
func (a *Artifact) EncodedLen() int {
	n := 2
	if !a.ID.IsZero() {
		n += len(a.ID)
	}
	if !a.Created.IsZero() {
		_, off := a.Created.Zone()
		n += varintLen(a.Created.Unix()) + uvarintLen(uint64(a.Created.Nanosecond())) + varintLen(int64(off))
	}
	n += strLen(len(a.Subject)) + strLen(len(a.Reply))
	n += uvarintLen(uint64(len(a.Meta)))
	for k, vs := range a.Meta {
		n += strLen(len(k)) + uvarintLen(uint64(len(vs)))
		for _, v := range vs {
			n += strLen(len(v))
		}
	}
	return n + strLen(len(a.Payload))
}

// AppendBinary appends the encoding of a to b. It implements
// encoding.BinaryAppender. Metadata keys are written in map order, so two
// encodings of the same artifact may differ in byte order but decode equal.
func (a *Artifact) AppendBinary(b []byte) ([]byte, error) {
	var flags byte
	if !a.ID.IsZero() {
		flags |= flagID
	}
	if !a.Created.IsZero() {
		flags |= flagCreated
	}
	b = append(b, Version, flags)
	if flags&flagID != 0 {
		b = append(b, a.ID[:]...)
	}
	if flags&flagCreated != 0 {
		_, off := a.Created.Zone()
		b = binary.AppendVarint(b, a.Created.Unix())
		b = binary.AppendUvarint(b, uint64(a.Created.Nanosecond()))
		b = binary.AppendVarint(b, int64(off))
	}
	b = appendString(b, a.Subject)
	b = appendString(b, a.Reply)
	b = binary.AppendUvarint(b, uint64(len(a.Meta)))
	for k, vs := range a.Meta {
		b = appendString(b, k)
		b = binary.AppendUvarint(b, uint64(len(vs)))
		for _, v := range vs {
			b = appendString(b, v)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(a.Payload)))
	return append(b, a.Payload...), nil
}

// MarshalBinary returns the encoding of a. It implements
// encoding.BinaryMarshaler.
func (a *Artifact) MarshalBinary() ([]byte, error) {
	return a.AppendBinary(make([]byte, 0, a.EncodedLen()))
}

// UnmarshalBinary decodes data into a, replacing all its fields. It copies
// data once; the decoded payload and strings share that copy. Any input that
// is not a complete, well-formed encoding yields an error matching
// [ErrMalformed] or [ErrVersion], and a is left unchanged.
func (a *Artifact) UnmarshalBinary(data []byte) error {
	if len(data) == 0 {
		return fmt.Errorf("%w: empty input", ErrMalformed)
	}
	if data[0] != Version {
		return fmt.Errorf("%w: got %d, want %d", ErrVersion, data[0], Version)
	}
	d := decoder{buf: append([]byte(nil), data...), off: 1}
	var out Artifact
	flags := d.byte()
	if flags&^flagsKnown != 0 {
		return fmt.Errorf("%w: unknown flags %#x", ErrMalformed, flags)
	}
	if flags&flagID != 0 {
		copy(out.ID[:], d.bytes(len(out.ID)))
		if d.err == nil && out.ID.IsZero() {
			d.fail("zero id flagged as present")
		}
	}
	if flags&flagCreated != 0 {
		sec := d.varint()
		nsec := d.uvarint()
		off := d.varint()
		switch {
		case d.err != nil:
		case nsec >= 1e9:
			d.fail("nanoseconds out of range")
		case off < -24*3600 || off > 24*3600:
			d.fail("zone offset out of range")
		default:
			out.Created = time.Unix(sec, int64(nsec))
			if off == 0 {
				out.Created = out.Created.UTC()
			} else {
				out.Created = out.Created.In(time.FixedZone("", int(off)))
			}
			if out.Created.IsZero() {
				d.fail("zero time flagged as present")
			}
		}
	}
	out.Subject = d.string()
	out.Reply = d.string()
	if n := d.count(); n > 0 {
		out.Meta = make(Metadata, n)
		for range n {
			k := d.string()
			nv := d.count()
			if d.err != nil {
				break
			}
			if _, dup := out.Meta[k]; dup {
				d.fail("duplicate metadata key")
				break
			}
			vs := make([]string, nv)
			for i := range vs {
				vs[i] = d.string()
			}
			out.Meta[k] = vs
		}
	}
	out.Payload = d.bytes(d.length())
	if d.err == nil && d.off != len(d.buf) {
		d.fail("trailing bytes")
	}
	if d.err != nil {
		return d.err
	}
	if len(out.Payload) == 0 {
		out.Payload = nil
	}
	*a = out
	return nil
}

// decoder reads from buf and records the first error; after an error every
// read returns a zero value, so callers check err once at the end.
type decoder struct {
	buf []byte
	off int
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s at byte %d", ErrMalformed, what, d.off)
	}
}

func (d *decoder) byte() byte {
	if d.err != nil || d.off >= len(d.buf) {
		d.fail("truncated")
		return 0
	}
	b := d.buf[d.off]
	d.off++
	return b
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.buf[d.off:])
	if n <= 0 || (n > 1 && d.buf[d.off+n-1] == 0) {
		d.fail("bad varint") // overlong forms are rejected to keep encodings canonical
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.buf[d.off:])
	if n <= 0 || (n > 1 && d.buf[d.off+n-1] == 0) {
		d.fail("bad varint")
		return 0
	}
	d.off += n
	return v
}

// length reads a byte count and checks that many bytes remain.
func (d *decoder) length() int {
	v := d.uvarint()
	if d.err == nil && v > uint64(len(d.buf)-d.off) {
		d.fail("length exceeds input")
		return 0
	}
	return int(v)
}

// count reads an element count. Every element takes at least one byte, so a
// count larger than what remains is malformed; this bounds allocations by
// the input size.
func (d *decoder) count() int {
	v := d.uvarint()
	if d.err == nil && v > uint64(len(d.buf)-d.off) {
		d.fail("count exceeds input")
		return 0
	}
	return int(v)
}

func (d *decoder) bytes(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n > len(d.buf)-d.off {
		d.fail("truncated")
		return nil
	}
	b := d.buf[d.off : d.off+n : d.off+n]
	d.off += n
	return b
}

// string returns a string that shares the decoder's private copy of the
// input. That copy is never written after decoding (payload slices are
// capped so appends reallocate), which makes the aliasing safe.
func (d *decoder) string() string {
	b := d.bytes(d.length())
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func strLen(n int) int { return uvarintLen(uint64(n)) + n }

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

func varintLen(v int64) int {
	u := uint64(v) << 1
	if v < 0 {
		u = ^u
	}
	return uvarintLen(u)
}
