package blobs

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/balrog-go/balrog/rules"
)

// This file holds the matchers that V9 updateLine conditions share with
// rule matching (public.md §4.4.1–§4.4.3), written against the reference's
// auslib.util.rulematching and comparison modules.

// matchChannel is the channel matcher: the pattern matches the query
// channel or its fallback channel.
func matchChannel(pattern, channel string) bool {
	return matchChannelGlob(pattern, channel) || matchChannelGlob(pattern, rules.FallbackChannel(channel))
}

// matchChannelGlob is the reference's matchRegex: a pattern ending in "*"
// (at least three characters long) is a prefix test, anything else must be
// equal. The reference builds the regular expression ^prefix.*$, so the
// text after the prefix may hold a newline only as its last character.
func matchChannelGlob(pattern, s string) bool {
	if !strings.HasSuffix(pattern, "*") {
		return pattern == s
	}
	if len(pattern) < 3 {
		return false
	}
	prefix := pattern[:len(pattern)-1]
	if !strings.HasPrefix(s, prefix) {
		return false
	}
	rest := s[len(prefix):]
	i := strings.IndexByte(rest, '\n')
	return i < 0 || i == len(rest)-1
}

// compareOp is a comparison operator of a rule value.
type compareOp uint8

const (
	opEq compareOp = iota
	opGlobEq
	opGe
	opGt
	opLt
	opLe
)

// isWordRune is Python's \w for str patterns.
func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r)
}

// getOp splits a rule value into its operator and operand like the
// reference's get_op. ok is false when no operator is recognised (the
// reference then fails with a TypeError, HTTP 500).
func getOp(pattern string) (op compareOp, operand string, ok bool) {
	if strings.HasSuffix(pattern, "*") {
		return opGlobEq, pattern, true
	}
	if r, _ := utf8.DecodeRuneInString(pattern); pattern != "" && isWordRune(r) {
		return opEq, pattern, true
	}
	for _, o := range [4]struct {
		text string
		op   compareOp
	}{{">=", opGe}, {">", opGt}, {"<", opLt}, {"<=", opLe}} {
		if !strings.HasPrefix(pattern, o.text) {
			continue
		}
		rest := pattern[len(o.text):]
		end := 0
		for end < len(rest) {
			r, w := utf8.DecodeRuneInString(rest[end:])
			if r != '.' && !isWordRune(r) {
				break
			}
			end += w
		}
		if end > 0 {
			return o.op, rest[:end], true
		}
	}
	return 0, "", false
}

// apply applies op to a three-way comparison result.
func (op compareOp) apply(c int) bool {
	switch op {
	case opGe:
		return c >= 0
	case opGt:
		return c > 0
	case opLt:
		return c < 0
	case opLe:
		return c <= 0
	}
	return c == 0
}

// matchVersionList is the version matcher with MozillaVersion: the
// comma-separated rule value matches when one piece does.
func matchVersionList(ruleValue, queryVersion string) (bool, error) {
	var qv rules.MozillaVersion
	parsed := false
	for rest, more := ruleValue, true; more; {
		var piece string
		piece, rest, more = strings.Cut(rest, ",")
		op, operand, ok := getOp(piece)
		if !ok {
			return false, fmt.Errorf("blobs: version condition %q has no known operator", piece)
		}
		if !parsed {
			var err error
			if qv, err = rules.ParseMozillaVersion(queryVersion); err != nil {
				return false, err
			}
			parsed = true
		}
		ov, err := rules.ParseMozillaVersion(operand)
		if err != nil {
			return false, err
		}
		var m bool
		switch op {
		case opGlobEq:
			m = qv.Equal(ov) || ov.Equal(qv)
		case opEq:
			m = qv.Equal(ov)
		default:
			m = op.apply(qv.Compare(ov))
		}
		if m {
			return true, nil
		}
	}
	return false, nil
}

// matchBuildID is the build ID matcher: a plain string comparison with the
// operator of the rule value.
func matchBuildID(ruleValue, buildID string) (bool, error) {
	op, operand, ok := getOp(ruleValue)
	if !ok {
		return false, fmt.Errorf("blobs: buildID condition %q has no known operator", ruleValue)
	}
	if op == opGlobEq {
		op = opEq
	}
	return op.apply(strings.Compare(buildID, operand)), nil
}
