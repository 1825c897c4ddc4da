package stream

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/natsbridge/bridge/artifact"
)

// AppendFrame appends a's frame to b: the length of its encoding as a
// uvarint, then the encoding (artifact.Artifact.AppendBinary). A Buffer's
// Read produces and its Write consumes a sequence of frames.
func AppendFrame(b []byte, a *artifact.Artifact) ([]byte, error) {
	b = binary.AppendUvarint(b, uint64(a.EncodedLen()))
	return a.AppendBinary(b)
}

// Read fills p with the framed encoding of the Buffer's results. A frame
// larger than p is returned across several calls. It returns io.EOF after
// the last result, and a result's error as Receive does (the stream goes on
// after it). Read blocks until a result is ready or the buffer is closed.
func (b *Buffer) Read(p []byte) (int, error) {
	if b.out == nil {
		return 0, ErrNotInitialized
	}
	b.rmu.Lock()
	defer b.rmu.Unlock()
	if b.roff == len(b.rbuf) {
		a, err := b.Receive(b.ctx)
		if err != nil {
			if b.ctx.Err() != nil && errors.Is(err, b.ctx.Err()) {
				err = ErrClosed
			}
			return 0, err
		}
		if b.rbuf, err = AppendFrame(b.rbuf[:0], a); err != nil {
			return 0, err
		}
		b.roff = 0
	}
	n := copy(p, b.rbuf[b.roff:])
	b.roff += n
	return n, nil
}

// Write accepts a framed byte stream (see AppendFrame) in pieces of any
// size: several frames at once or a frame split across calls. Each complete
// frame is decoded and sent as by Send, so Write blocks under the Block
// policy. A corrupt frame returns an error matching ErrCorruptFrame and
// leaves the byte input broken; Send is unaffected.
func (b *Buffer) Write(p []byte) (int, error) {
	if b.in == nil {
		return 0, ErrNotInitialized
	}
	b.wmu.Lock()
	defer b.wmu.Unlock()
	if b.ctx.Err() != nil {
		return 0, ErrClosed
	}
	if b.werr != nil {
		return 0, b.werr
	}
	held := len(b.wbuf)
	data := p
	if held > 0 {
		b.wbuf = append(b.wbuf, p...)
		data = b.wbuf
	}
	off := 0
	for {
		size, n := binary.Uvarint(data[off:])
		if n == 0 {
			if len(data)-off >= binary.MaxVarintLen64 {
				return b.corrupt(held, off, "unterminated length")
			}
			break // need more bytes
		}
		if n < 0 {
			return b.corrupt(held, off, "length overflows")
		}
		if size > uint64(b.o.maxFrame) {
			return b.corrupt(held, off, fmt.Sprintf("frame of %d bytes exceeds limit %d", size, b.o.maxFrame))
		}
		end := off + n + int(size)
		if end > len(data) {
			break
		}
		a := new(artifact.Artifact)
		if err := a.UnmarshalBinary(data[off+n : end]); err != nil {
			return b.corrupt(held, off, err.Error())
		}
		if err := b.Send(b.ctx, a); err != nil {
			if b.ctx.Err() != nil {
				err = ErrClosed
			}
			return max(0, off-held), err
		}
		off = end
	}
	// Keep the incomplete tail for the next call.
	rest := data[off:]
	if held > 0 {
		b.wbuf = append(b.wbuf[:0], rest...)
	} else {
		b.wbuf = append(b.wbuf, rest...)
	}
	return len(p), nil
}

func (b *Buffer) corrupt(held, off int, why string) (int, error) {
	b.werr = fmt.Errorf("%w: %s", ErrCorruptFrame, why)
	b.wbuf = nil
	b.onError(b.werr)
	return max(0, off-held), b.werr
}
