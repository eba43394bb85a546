package blobs

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file reproduces two Python formatting functions on parsed JSON
// values: repr() (used by str() of lists and dicts) and json.dumps() with its
// default settings (", " and ": " separators, ensure_ascii).

const hexDigits = "0123456789abcdef"

// appendPyRepr appends Python's repr() of the value n.
func appendPyRepr(b []byte, n *node) []byte {
	switch n.kind {
	case KindString:
		return appendPyReprString(b, n.str)
	case KindNull:
		return append(b, "None"...)
	case KindBool:
		if n.str == "true" {
			return append(b, "True"...)
		}
		return append(b, "False"...)
	case KindInt:
		return append(b, pyIntText(n.str)...)
	case KindFloat:
		return append(b, pyFloatRepr(parseFloatLiteral(n.str))...)
	case KindArray:
		b = append(b, '[')
		for i := range n.elems {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendPyRepr(b, &n.elems[i])
		}
		return append(b, ']')
	case KindObject:
		b = append(b, '{')
		for i := range n.elems {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendPyReprString(b, n.keys[i])
			b = append(b, ": "...)
			b = appendPyRepr(b, &n.elems[i])
		}
		return append(b, '}')
	}
	return b
}

// appendPyReprString appends Python's repr() of a str.
func appendPyReprString(b []byte, s string) []byte {
	quote := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		quote = '"'
	}
	b = append(b, quote)
	for _, r := range s {
		switch {
		case r == rune(quote) || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\t':
			b = append(b, `\t`...)
		case r == '\n':
			b = append(b, `\n`...)
		case r == '\r':
			b = append(b, `\r`...)
		case r < ' ' || r == 0x7f:
			b = append(b, '\\', 'x', hexDigits[r>>4], hexDigits[r&0xf])
		case r < 0x7f:
			b = append(b, byte(r))
		case unicode.IsPrint(r):
			b = utf8.AppendRune(b, r)
		case r <= 0xff:
			b = append(b, '\\', 'x', hexDigits[r>>4], hexDigits[r&0xf])
		case r <= 0xffff:
			b = append(b, '\\', 'u')
			b = appendHex(b, uint32(r), 4)
		default:
			b = append(b, '\\', 'U')
			b = appendHex(b, uint32(r), 8)
		}
	}
	return append(b, quote)
}

func appendHex(b []byte, v uint32, width int) []byte {
	for shift := (width - 1) * 4; shift >= 0; shift -= 4 {
		b = append(b, hexDigits[(v>>uint(shift))&0xf])
	}
	return b
}

// appendPyJSONValue appends json.dumps() of v. An absent value is written
// as null (the reference reads optional members with dict.get).
func appendPyJSONValue(b []byte, v Value) []byte {
	switch v.kind {
	case KindAbsent, KindNull:
		return append(b, "null"...)
	case KindBool:
		if v.text == "True" {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case KindInt:
		return append(b, v.text...)
	case KindFloat:
		return appendPyJSONFloat(b, v.text)
	case KindString:
		return appendPyJSONString(b, v.text)
	}
	return appendPyJSON(b, v.tree)
}

// appendPyJSON appends json.dumps() of the parsed value n.
func appendPyJSON(b []byte, n *node) []byte {
	switch n.kind {
	case KindArray:
		b = append(b, '[')
		for i := range n.elems {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendPyJSON(b, &n.elems[i])
		}
		return append(b, ']')
	case KindObject:
		b = append(b, '{')
		for i := range n.elems {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendPyJSONString(b, n.keys[i])
			b = append(b, ": "...)
			b = appendPyJSON(b, &n.elems[i])
		}
		return append(b, '}')
	}
	return appendPyJSONValue(b, valueOf(n))
}

// appendPyJSONFloat writes a float whose repr() is text; json.dumps spells
// the special values NaN, Infinity and -Infinity.
func appendPyJSONFloat(b []byte, text string) []byte {
	switch text {
	case "nan":
		return append(b, "NaN"...)
	case "inf":
		return append(b, "Infinity"...)
	case "-inf":
		return append(b, "-Infinity"...)
	}
	return append(b, text...)
}

// appendPyJSONString writes s as json.dumps does with ensure_ascii: every
// character outside printable ASCII is a \u escape (UTF-16 surrogate pairs
// above U+FFFF), with lower-case hex digits.
func appendPyJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= ' ' && c <= '~' {
			switch c {
			case '"':
				b = append(b, '\\', '"')
			case '\\':
				b = append(b, '\\', '\\')
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		if c < utf8.RuneSelf {
			switch c {
			case '\n':
				b = append(b, `\n`...)
			case '\r':
				b = append(b, `\r`...)
			case '\t':
				b = append(b, `\t`...)
			case '\b':
				b = append(b, `\b`...)
			case '\f':
				b = append(b, `\f`...)
			default:
				b = append(b, `\u00`...)
				b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		i += w
		if r > 0xffff {
			r -= 0x10000
			b = append(b, '\\', 'u')
			b = appendHex(b, uint32(0xd800+(r>>10)), 4)
			b = append(b, '\\', 'u')
			b = appendHex(b, uint32(0xdc00+(r&0x3ff)), 4)
			continue
		}
		b = append(b, '\\', 'u')
		b = appendHex(b, uint32(r), 4)
	}
	return append(b, '"')
}
