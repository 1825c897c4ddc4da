package jq

import (
	"unicode/utf16"
	"unicode/utf8"
)

// str parses the string literal at d.i. A string without escapes or
// invalid UTF-8 is a substring of the input.
func (d *decoder) str() (string, error) {
	s := d.s
	i := d.i + 1
	start := i
	for i < len(s) {
		c := s[i]
		switch {
		case c == '"':
			d.i = i + 1
			return s[start:i], nil
		case c == '\\' || c < ' ':
		case c < utf8.RuneSelf:
			i++
			continue
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			i += size
			continue
		}
		break
	}
	return d.unquote(start, i)
}

// unquote finishes a string literal that started at start and needs
// rewriting from i on, as encoding/json's unquote does.
func (d *decoder) unquote(start, i int) (string, error) {
	s := d.s
	b := append(d.buf[:0], s[start:i]...)
	defer func() { d.buf = b }()
	for i < len(s) {
		switch c := s[i]; {
		case c == '"':
			d.i = i + 1
			return string(b), nil
		case c == '\\':
			if i+1 == len(s) {
				d.i = i + 1
				return "", d.eof()
			}
			switch e := s[i+1]; e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, err := d.hex4(i + 2)
				if err != nil {
					return "", err
				}
				i += 6
				if utf16.IsSurrogate(r) {
					// A valid pair is consumed whole; otherwise the first
					// half becomes U+FFFD and what follows is read anew.
					if r2, ok := peekHex4(s, i); ok {
						if dr := utf16.DecodeRune(r, r2); dr != utf8.RuneError {
							b = utf8.AppendRune(b, dr)
							i += 6
							continue
						}
					}
					r = utf8.RuneError
				}
				b = utf8.AppendRune(b, r)
				continue
			default:
				d.i = i + 1
				return "", d.invalid("in string escape code")
			}
			i += 2
		case c < ' ':
			d.i = i
			return "", d.invalid("in string literal")
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			b = utf8.AppendRune(b, r) // RuneError for a byte of invalid UTF-8
			i += size
		}
	}
	d.i = i
	return "", d.eof()
}

// hex4 reads the four hex digits of a \u escape at i.
func (d *decoder) hex4(i int) (rune, error) {
	var r rune
	for j := i; j < i+4; j++ {
		if j == len(d.s) {
			d.i = j
			return 0, d.eof()
		}
		h, ok := unhex(d.s[j])
		if !ok {
			d.i = j
			return 0, d.invalid("in \\u hexadecimal character escape")
		}
		r = r<<4 | h
	}
	return r, nil
}

// peekHex4 reads a complete \uXXXX escape at i, if there is one.
func peekHex4(s string, i int) (rune, bool) {
	if i+6 > len(s) || s[i] != '\\' || s[i+1] != 'u' {
		return 0, false
	}
	var r rune
	for j := i + 2; j < i+6; j++ {
		h, ok := unhex(s[j])
		if !ok {
			return 0, false
		}
		r = r<<4 | h
	}
	return r, true
}

func unhex(c byte) (rune, bool) {
	switch {
	case '0' <= c && c <= '9':
		return rune(c - '0'), true
	case 'a' <= c && c <= 'f':
		return rune(c - 'a' + 10), true
	case 'A' <= c && c <= 'F':
		return rune(c - 'A' + 10), true
	}
	return 0, false
}
