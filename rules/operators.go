package rules

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// cmpOp is the comparison operator of a rule value piece (public.md §4.4.2).
type cmpOp int8

const (
	// opInvalid marks a piece whose operator cannot be determined ("=1.0",
	// " 1.0", ""); the reference crashes (HTTP 500, Q8), here the piece
	// never matches.
	opInvalid cmpOp = iota
	// opEq is a bare value: equality.
	opEq
	// opEitherEq is a value ending with '*': equality tested both ways.
	opEitherEq
	opGE
	opGT
	opLT
	opLE
)

// isWordRune reports whether r is matched by Python's Unicode `\w`.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r == '_' || ('0' <= r && r <= '9') || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z')
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r)
}

// wordDotRun returns the byte length of the longest prefix of s made of
// `[\.\w]` characters.
func wordDotRun(s string) int {
	i := 0
	for i < len(s) {
		if s[i] == '.' {
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && w <= 1 || !isWordRune(r) {
			break
		}
		i += w
	}
	return i
}

// getOp splits a rule value piece into operator and operand like the
// reference's get_op: a trailing '*' means either-way equality on the whole
// piece; a leading word character means equality on the whole piece;
// otherwise ">=", ">", "<", "<=" are tried in that order, each needing at
// least one `[\.\w]` character after it, and the operand is the longest such
// run (trailing junk is ignored).
func getOp(p string) (cmpOp, string) {
	if strings.HasSuffix(p, "*") {
		return opEitherEq, p
	}
	if p == "" {
		return opInvalid, ""
	}
	if r, w := utf8.DecodeRuneInString(p); !(r == utf8.RuneError && w <= 1) && isWordRune(r) {
		return opEq, p
	}
	for _, o := range [...]struct {
		text string
		op   cmpOp
	}{{">=", opGE}, {">", opGT}, {"<", opLT}, {"<=", opLE}} {
		if strings.HasPrefix(p, o.text) {
			if n := wordDotRun(p[len(o.text):]); n > 0 {
				return o.op, p[len(o.text) : len(o.text)+n]
			}
		}
	}
	return opInvalid, ""
}

// applyCmp turns a three-way comparison result into the operator's verdict
// for the ordering operators.
func applyCmp(op cmpOp, c int) bool {
	switch op {
	case opGE:
		return c >= 0
	case opGT:
		return c > 0
	case opLT:
		return c < 0
	case opLE:
		return c <= 0
	}
	return c == 0
}

// stringCompare is the reference's string_compare (used for buildID): the
// query value against an operator piece, comparing strings by code point.
func stringCompare(value string, op cmpOp, operand string) bool {
	if op == opInvalid {
		return false
	}
	return applyCmp(op, strings.Compare(value, operand))
}
