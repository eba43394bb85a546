package app

import (
	"net/textproto"
)

// canonicalKey is textproto's canonical form of a header name; the names
// update clients send come from constants, without allocating.
func canonicalKey(name []byte) string {
	switch string(name) {
	case "Host":
		return "Host"
	case "User-Agent":
		return "User-Agent"
	case "Accept":
		return "Accept"
	case "Accept-Encoding":
		return "Accept-Encoding"
	case "Accept-Language":
		return "Accept-Language"
	case "Connection":
		return "Connection"
	case "Cache-Control":
		return "Cache-Control"
	case "Pragma":
		return "Pragma"
	case "X-Forwarded-For":
		return "X-Forwarded-For"
	case "X-Forwarded-Proto":
		return "X-Forwarded-Proto"
	case "Via":
		return "Via"
	}
	return textproto.CanonicalMIMEHeaderKey(string(name))
}

// validFieldName reports whether name is a header field name (an RFC 7230
// token), as net/http requires.
func validFieldName(name []byte) bool {
	if len(name) == 0 {
		return false
	}
	for _, b := range name {
		if !tokenByte(b) {
			return false
		}
	}
	return true
}

func tokenByte(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	switch b {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// validFieldValue reports whether value holds no control byte but
// horizontal tab, as net/http requires.
func validFieldValue(value []byte) bool {
	for _, b := range value {
		if b < ' ' && b != '\t' || b == 0x7f {
			return false
		}
	}
	return true
}

// validHost reports whether a Host value has only the bytes net/http
// accepts in one (those of a URI host and port, leniently).
func validHost(h []byte) bool {
	for _, b := range h {
		switch {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
			continue
		}
		switch b {
		case '!', '$', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', ':', ';', '=', '[', ']', '_', '~':
			continue
		}
		return false
	}
	return true
}
