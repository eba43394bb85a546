package rules

import (
	"strings"
	"unicode/utf8"
)

// This file reproduces how the reference's web stack turns raw request bytes
// into strings: uwsgi's PATH_INFO decoding, werkzeug's query-string
// unquoting, Python's lenient UTF-8 decoding and the ASCII folding of the
// XML routes (public.md §2.1, §3.1 step 2).

// DecodePath decodes a raw request path the way uwsgi 2.0 (http-socket)
// builds PATH_INFO, which is what the reference routes on: decoding stops at
// the first '#'; "%%" is a literal '%'; '%' followed by any two bytes is one
// byte, and 0x00 when either is not a hex digit (so "%PRODUCT%/" eats the
// slash); a truncated escape at the end is dropped; "." and ".." segments are
// removed. '+' stays literal. Input without '%', '#' and "/." is returned as
// is.
func DecodePath(raw string) string {
	if raw == "" || raw[0] != '/' || strings.Contains(raw, "/.") {
		return decodePathSegments(raw)
	}
	if strings.IndexByte(raw, '%') < 0 && strings.IndexByte(raw, '#') < 0 {
		return raw
	}
	// Without dot segments the state machine below reduces to unescaping.
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '#':
			return b.String()
		case c != '%':
			b.WriteByte(c)
		case i+1 < len(raw) && raw[i+1] == '%':
			b.WriteByte('%')
			i++
		case i+2 < len(raw) && raw[i+1] != '#' && raw[i+2] != '#':
			b.WriteByte(hexPair(raw[i+1], raw[i+2]))
			i += 2
		default:
			// A truncated escape is dropped; a '#' inside it ends the path.
			return b.String()
		}
	}
	return b.String()
}

// decodePathSegments is uwsgi's http_url_decode state machine, used for
// paths with dot segments or without a leading slash.
func decodePathSegments(raw string) string {
	const (
		zero = iota
		percent1
		percent2
		slash
		dot
		dotdot
	)
	dst := make([]byte, 0, len(raw)+1)
	status := zero
	noSlash := false
	if raw != "" && raw[0] != '/' {
		status, noSlash = slash, true
	}
	var v0 byte
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '#' {
			break
		}
		switch status {
		case zero:
			switch c {
			case '%':
				status = percent1
			case '/':
				status = slash
			default:
				dst = append(dst, c)
			}
		case percent1:
			if c == '%' {
				dst = append(dst, '%')
				status = zero
				break
			}
			v0, status = c, percent2
		case percent2:
			dst = append(dst, hexPair(v0, c))
			status = zero
		case slash:
			if c == '.' {
				status = dot
				break
			}
			if i > 0 || !noSlash {
				dst = append(dst, '/')
			}
			switch c {
			case '%':
				status = percent1
			case '/':
				status = slash
			default:
				dst = append(dst, c)
				status = zero
			}
		case dot:
			if c == '.' {
				status = dotdot
				break
			}
			if c == '/' {
				status = slash
				break
			}
			if i > 1 {
				dst = append(dst, '/')
			}
			dst = append(dst, '.')
			if c == '%' {
				status = percent1
				break
			}
			dst = append(dst, c)
			status = zero
		case dotdot:
			if c == '/' {
				n := len(dst)
				for n > 0 {
					n--
					if dst[n] == '/' {
						break
					}
				}
				dst = dst[:n]
				status = slash
				break
			}
			if i > 2 {
				dst = append(dst, '/')
			}
			dst = append(dst, '.', '.')
			if c == '%' {
				status = percent1
				break
			}
			dst = append(dst, c)
			status = zero
		}
	}
	switch status {
	case slash, dot:
		dst = append(dst, '/')
	case dotdot:
		n := len(dst)
		for n > 0 && dst[n-1] != '/' {
			n--
		}
		dst = dst[:n]
	}
	return string(dst)
}

// hexVal returns the value of a hex digit and whether c is one.
func hexVal(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// hexPair is uwsgi's hex2num: the byte for two hex digits, 0 otherwise.
func hexPair(a, b byte) byte {
	hi, ok1 := hexVal(a)
	lo, ok2 := hexVal(b)
	if !ok1 || !ok2 {
		return 0
	}
	return hi<<4 | lo
}

// unquotePlus decodes one query-string key or value like werkzeug's
// url_unquote_plus: '+' is a space, "%XX" with two hex digits is a byte, any
// other '%' stays literal; the bytes are then decoded as UTF-8 with
// replacement characters.
func unquotePlus(s string) string {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return pyDecodeReplace(s)
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '+':
			b = append(b, ' ')
		case c == '%' && i+2 < len(s) && isHexPair(s[i+1], s[i+2]):
			b = append(b, hexPair(s[i+1], s[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return pyDecodeReplace(string(b))
}

func isHexPair(a, b byte) bool {
	_, ok1 := hexVal(a)
	_, ok2 := hexVal(b)
	return ok1 && ok2
}

// pyDecodeReplace returns s with every ill-formed UTF-8 sequence replaced by
// U+FFFD the way Python's bytes.decode("utf-8", "replace") does: one
// replacement per maximal ill-formed subpart (so a truncated multi-byte
// sequence is a single U+FFFD). Valid input is returned unchanged.
func pyDecodeReplace(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		if r != utf8.RuneError || w > 1 {
			b.WriteString(s[i : i+w])
			i += w
			continue
		}
		b.WriteRune(utf8.RuneError)
		i += illFormedLen(s[i:])
	}
	return b.String()
}

// illFormedLen returns the length of the maximal ill-formed subpart at the
// start of s, which begins with an invalid sequence.
func illFormedLen(s string) int {
	c := s[0]
	var need int
	lo, hi := byte(0x80), byte(0xBF)
	switch {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c >= 0xE1 && c <= 0xEC, c == 0xEE, c == 0xEF:
		need = 2
	case c == 0xED:
		need, hi = 2, 0x9F
	case c == 0xF0:
		need, lo = 3, 0x90
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	case c == 0xF4:
		need, hi = 3, 0x8F
	default:
		return 1
	}
	n := 1
	for k := 0; k < need && n < len(s); k++ {
		b := s[n]
		if k == 0 {
			if b < lo || b > hi {
				break
			}
		} else if b < 0x80 || b > 0xBF {
			break
		}
		n++
	}
	return n
}

// foldASCII replaces every non-ASCII code point of s (valid UTF-8, as
// returned by pyDecodeReplace) by '?', like Python's
// s.encode("ascii", "replace").decode().
func foldASCII(s string) string {
	i := 0
	for i < len(s) && s[i] < utf8.RuneSelf {
		i++
	}
	if i == len(s) {
		return s
	}
	b := make([]byte, 0, len(s))
	b = append(b, s[:i]...)
	for _, r := range s[i:] {
		if r < utf8.RuneSelf {
			b = append(b, byte(r))
		} else {
			b = append(b, '?')
		}
	}
	return string(b)
}
