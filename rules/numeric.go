package rules

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file holds the small number-handling helpers shared by the version
// parsers and the matchers. The reference is written in Python, whose regular
// expressions treat every Unicode decimal digit (category Nd) as `\d` and
// whose int() accepts those digits too, so the helpers do the same. Numbers
// are kept as canonical ASCII digit strings (no leading zeros) so that values
// of any size compare exactly, as Python's unbounded integers do.

// isDigitByte reports whether b is an ASCII decimal digit.
func isDigitByte(b byte) bool { return '0' <= b && b <= '9' }

// digitAt reports whether s has a decimal digit (any script) at byte offset i
// and returns its value and encoded width.
func digitAt(s string, i int) (val int, width int, ok bool) {
	b := s[i]
	if b < utf8.RuneSelf {
		if isDigitByte(b) {
			return int(b - '0'), 1, true
		}
		return 0, 1, false
	}
	r, w := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError || !unicode.Is(unicode.Nd, r) {
		return 0, w, false
	}
	return ndValue(r), w, true
}

// ndValue returns the digit value of a rune of category Nd. Unicode assigns
// decimal digits in contiguous runs that start at zero, so the value is the
// distance to the start of the run modulo ten.
func ndValue(r rune) int {
	start := r
	for start > 0 && unicode.Is(unicode.Nd, start-1) {
		start--
	}
	return int(r-start) % 10
}

// scanDigits returns the end offset of the run of decimal digits starting at
// byte offset i, and whether the run is pure ASCII.
func scanDigits(s string, i int) (end int, ascii bool) {
	ascii = true
	for i < len(s) {
		if isDigitByte(s[i]) {
			i++
			continue
		}
		if s[i] < utf8.RuneSelf {
			break
		}
		_, w, ok := digitAt(s, i)
		if !ok {
			break
		}
		ascii = false
		i += w
	}
	return i, ascii
}

// canonDigits turns a run of decimal digits into the canonical ASCII form of
// its integer value: no leading zeros, "0" for zero. Pure ASCII input is
// sliced, not copied.
func canonDigits(run string, ascii bool) string {
	if !ascii {
		var b strings.Builder
		for i := 0; i < len(run); {
			v, w, _ := digitAt(run, i)
			b.WriteByte(byte('0' + v))
			i += w
		}
		run = b.String()
	}
	i := 0
	for i < len(run)-1 && run[i] == '0' {
		i++
	}
	if run == "" {
		return "0"
	}
	return run[i:]
}

// cmpNum compares two canonical digit strings numerically.
func cmpNum(a, b string) int {
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

// numGreater4 reports whether the canonical digit string n is > 4.
func numGreater4(n string) bool {
	return len(n) > 1 || n[0] > '4'
}

// isPySpace reports whether r is whitespace for Python's str.isspace/int().
func isPySpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// parsePyInt parses s the way Python's int(s) does for base 10: surrounding
// whitespace, one sign, digits of any script, and single underscores between
// digits are accepted. Values outside the int64 range are clamped to it.
func parsePyInt(s string) (int64, bool) {
	s = strings.TrimFunc(s, isPySpace)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "" {
		return 0, false
	}
	var v uint64
	overflow := false
	prevDigit := false
	for i := 0; i < len(s); {
		if s[i] == '_' {
			if !prevDigit {
				return 0, false
			}
			prevDigit = false
			i++
			continue
		}
		d, w, ok := digitAt(s, i)
		if !ok {
			return 0, false
		}
		if v > (math.MaxUint64-9)/10 {
			overflow = true
		} else {
			v = v*10 + uint64(d)
		}
		prevDigit = true
		i += w
	}
	if !prevDigit {
		return 0, false
	}
	if overflow || v > math.MaxInt64 {
		if neg {
			return math.MinInt64, true
		}
		return math.MaxInt64, true
	}
	if neg {
		return -int64(v), true
	}
	return int64(v), true
}

// stripFinalNewline removes one trailing "\n": Python's `$` also matches just
// before a newline that ends the string.
func stripFinalNewline(s string) string {
	if n := len(s); n > 0 && s[n-1] == '\n' {
		return s[:n-1]
	}
	return s
}
