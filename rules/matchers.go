package rules

import "strings"

// This file holds the column matchers of public.md §4.4, precompiled from a
// rule's values once when an Index is built.

// UsesLooseVersion reports whether rule version comparisons for product use
// LooseVersion (Guardian and FirefoxVPN) rather than MozillaVersion.
func UsesLooseVersion(product string) bool {
	return product == "Guardian" || product == "FirefoxVPN"
}

// channelKind says how a rule's channel column matches.
type channelKind int8

const (
	chanAny   channelKind = iota // null: matches every channel
	chanExact                    // plain value: equality
	chanGlob                     // "abc*": prefix test
	chanNever                    // "*", "a*": globs shorter than 3 characters
)

// globMatch is the reference's anchored `^<prefix>.*$` test: x starts with
// prefix and the rest has no newline except, possibly, a final one (`.`
// does not match "\n" and `$` also matches before a final newline).
func globMatch(prefix, x string) bool {
	if !strings.HasPrefix(x, prefix) {
		return false
	}
	rest := x[len(prefix):]
	i := strings.IndexByte(rest, '\n')
	return i < 0 || i == len(rest)-1
}

// versionPiece is one comma-separated piece of a rule's version column,
// with its operand parsed in advance for both version classes.
type versionPiece struct {
	op       cmpOp
	operand  string
	moz      MozillaVersion
	mozErr   error
	loose    LooseVersion
	looseErr error
}

func compileVersion(v string) []versionPiece {
	parts := strings.Split(v, ",")
	pieces := make([]versionPiece, 0, len(parts))
	for _, s := range parts {
		op, operand := getOp(s)
		p := versionPiece{op: op, operand: operand}
		if op != opInvalid {
			p.moz, p.mozErr = ParseMozillaVersion(operand)
			p.loose, p.looseErr = ParseLooseVersion(operand)
		}
		pieces = append(pieces, p)
	}
	return pieces
}

// queryVersion parses the query's version lazily, at most once per
// evaluation, with the class that the query's product selects.
type queryVersion struct {
	raw    string
	loose  bool
	parsed bool
	moz    MozillaVersion
	lv     LooseVersion
	err    error
}

func (qv *queryVersion) parse() error {
	if !qv.parsed {
		qv.parsed = true
		if qv.loose {
			qv.lv, qv.err = ParseLooseVersion(qv.raw)
		} else {
			qv.moz, qv.err = ParseMozillaVersion(qv.raw)
		}
	}
	return qv.err
}

// matchVersion applies §4.4.2: the rule matches when any piece compares
// true. Parse failures are returned (query version first, then the operand)
// when a piece is reached, as in the reference; pieces with an unknown
// operator never match.
func matchVersion(pieces []versionPiece, qv *queryVersion) (bool, error) {
	for i := range pieces {
		p := &pieces[i]
		if p.op == opInvalid {
			continue
		}
		if err := qv.parse(); err != nil {
			return false, err
		}
		if qv.loose {
			if p.looseErr != nil {
				return false, p.looseErr
			}
			c, err := qv.lv.Compare(p.loose)
			if err != nil {
				return false, err
			}
			if applyCmp(p.op, c) {
				return true, nil
			}
			continue
		}
		if p.mozErr != nil {
			return false, p.mozErr
		}
		var ok bool
		switch p.op {
		case opEq:
			ok = qv.moz.Equal(p.moz)
		case opEitherEq:
			ok = qv.moz.Equal(p.moz) || p.moz.Equal(qv.moz)
		default:
			ok = applyCmp(p.op, qv.moz.Compare(p.moz))
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}

// memoryMatcher is a precompiled memory column (§4.4.4).
type memoryMatcher struct {
	op    cmpOp
	value int64
	valid bool // false: the operand is not an integer, never matches
}

func compileMemory(v string) memoryMatcher {
	op, operand := getOp(v)
	if op == opInvalid {
		return memoryMatcher{}
	}
	n, ok := parsePyInt(operand)
	return memoryMatcher{op: op, value: n, valid: ok}
}

func (m *memoryMatcher) match(q *int) bool {
	if q == nil {
		return true
	}
	if !m.valid {
		return false
	}
	v := int64(*q)
	c := 0
	switch {
	case v < m.value:
		c = -1
	case v > m.value:
		c = 1
	}
	return applyCmp(m.op, c)
}

// compileOSVersion splits an osVersion rule into alternatives (",") of
// trimmed terms ("&&").
func compileOSVersion(v string) [][]string {
	alts := strings.Split(v, ",")
	out := make([][]string, len(alts))
	for i, a := range alts {
		terms := strings.Split(a, "&&")
		for j, t := range terms {
			terms[j] = strings.TrimFunc(t, isPySpace)
		}
		out[i] = terms
	}
	return out
}

// matchOSVersion applies §4.4.5: some alternative has every term as a
// substring of the query value.
func matchOSVersion(alts [][]string, q string) bool {
	for _, terms := range alts {
		ok := true
		for _, t := range terms {
			if !strings.Contains(q, t) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// matchCSV applies §4.4.6: some piece equals the query value.
func matchCSV(pieces []string, q string) bool {
	for _, p := range pieces {
		if p == q {
			return true
		}
	}
	return false
}

// matchBool applies the tri-state table of §4.4.7.
func matchBool(rule, q *bool) bool {
	return rule == nil || (q != nil && *rule == *q)
}
