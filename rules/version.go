package rules

import "strings"

// MozillaVersion is a parsed Mozilla application version (public.md §5.1):
// a (major, minor, patch) triple plus an optional pre-release, or a glob
// version such as "80.*" or "80.0.*" (§5.2). The zero value is not a valid
// version; obtain values from ParseMozillaVersion.
type MozillaVersion struct {
	// nums holds canonical decimal strings; a concrete version uses all three
	// (patch "0" when missing), a glob only the first n.
	nums [3]string
	n    int8
	// tag is the first letter of the pre-release tag, 0 when there is none.
	// The reference keeps only that letter: "3.6.3plugin1" compares and
	// prints as "3.6.3p1".
	tag    byte
	tagNum string
	// glob is the original text of a glob version, "" for concrete ones.
	glob string
}

func invalidVersion(s string) error {
	return &BadInputError{Message: "Version number " + s + " is invalid."}
}

// ParseMozillaVersion parses s with the reference's MozillaVersion rules:
// "ancient" four-part versions whose third part is dropped, "modern" versions
// (major ≤ 4) with any alphabetic pre-release tag, "post-modern" versions
// (major > 4) that only allow an aN tag, and glob versions (major > 4). The
// error is a *BadInputError "Version number <s> is invalid.".
func ParseMozillaVersion(s string) (MozillaVersion, error) {
	dots := strings.Count(s, ".")
	if dots != 1 && dots != 2 {
		v, ok := parseAncient(stripFinalNewline(s))
		if !ok {
			return MozillaVersion{}, invalidVersion(s)
		}
		return v, nil
	}
	first := s[:strings.IndexByte(s, '.')]
	end, ascii := scanDigits(first, 0)
	if first == "" || end != len(first) {
		// int() of the first part fails, or it succeeds on text that the
		// anchored regular expressions reject anyway.
		return MozillaVersion{}, invalidVersion(s)
	}
	if numGreater4(canonDigits(first, ascii)) {
		if strings.HasSuffix(s, ".*") {
			v, ok := parseGlob(s)
			if !ok {
				return MozillaVersion{}, invalidVersion(s)
			}
			return v, nil
		}
		v, ok := parseModern(stripFinalNewline(s), true)
		if !ok {
			return MozillaVersion{}, invalidVersion(s)
		}
		return v, nil
	}
	v, ok := parseModern(stripFinalNewline(s), false)
	if !ok {
		return MozillaVersion{}, invalidVersion(s)
	}
	return v, nil
}

// readNum reads a non-empty digit run at i and returns it canonicalised.
func readNum(s string, i int) (num string, end int, ok bool) {
	end, ascii := scanDigits(s, i)
	if end == i {
		return "", i, false
	}
	return canonDigits(s[i:end], ascii), end, true
}

// parsePre parses an optional pre-release suffix at i, which must run to the
// end of s: `a(\d+)` when postModern, `[a-zA-Z]+(\d+)` otherwise.
func parsePre(s string, i int, postModern bool, v *MozillaVersion) bool {
	if i == len(s) {
		return true
	}
	j := i
	for j < len(s) && (('a' <= s[j] && s[j] <= 'z') || ('A' <= s[j] && s[j] <= 'Z')) {
		j++
	}
	if j == i || (postModern && (j != i+1 || s[i] != 'a')) {
		return false
	}
	num, end, ok := readNum(s, j)
	if !ok || end != len(s) {
		return false
	}
	v.tag, v.tagNum = s[i], num
	return true
}

// parseModern matches `^(\d+)\.(\d+)(\.(\d+))?<pre>$`.
func parseModern(s string, postModern bool) (MozillaVersion, bool) {
	var v MozillaVersion
	v.n = 3
	var ok bool
	i := 0
	if v.nums[0], i, ok = readNum(s, i); !ok || i == len(s) || s[i] != '.' {
		return v, false
	}
	if v.nums[1], i, ok = readNum(s, i+1); !ok {
		return v, false
	}
	v.nums[2] = "0"
	if i < len(s) && s[i] == '.' {
		if v.nums[2], i, ok = readNum(s, i+1); !ok {
			return v, false
		}
	}
	return v, parsePre(s, i, postModern, &v)
}

// parseAncient matches `^(\d+)\.(\d+)\.\d(\.(\d+))([a-zA-Z]+(\d+))?$`; the
// single-digit third part is dropped.
func parseAncient(s string) (MozillaVersion, bool) {
	var v MozillaVersion
	v.n = 3
	var ok bool
	i := 0
	if v.nums[0], i, ok = readNum(s, i); !ok || i == len(s) || s[i] != '.' {
		return v, false
	}
	if v.nums[1], i, ok = readNum(s, i+1); !ok || i == len(s) || s[i] != '.' {
		return v, false
	}
	i++
	if i >= len(s) {
		return v, false
	}
	_, w, isDigit := digitAt(s, i)
	if !isDigit {
		return v, false
	}
	i += w
	if i == len(s) || s[i] != '.' {
		return v, false
	}
	if v.nums[2], i, ok = readNum(s, i+1); !ok {
		return v, false
	}
	return v, parsePre(s, i, false, &v)
}

// parseGlob matches `^(\d+)\.(\d+\.\*|\*)$`.
func parseGlob(s string) (MozillaVersion, bool) {
	v := MozillaVersion{glob: s}
	var ok bool
	i := 0
	if v.nums[0], i, ok = readNum(s, i); !ok || i == len(s) || s[i] != '.' {
		return v, false
	}
	i++
	v.n = 1
	if s[i:] == "*" {
		return v, true
	}
	if v.nums[1], i, ok = readNum(s, i); !ok || s[i:] != ".*" {
		return v, false
	}
	v.n = 2
	return v, true
}

// IsGlob reports whether v is a glob version ("80.*", "80.0.*").
func (v MozillaVersion) IsGlob() bool { return v.glob != "" }

// HasPrerelease reports whether v carries a pre-release tag (e.g. "70.0a1").
func (v MozillaVersion) HasPrerelease() bool { return v.tag != 0 }

// Parts returns the numeric parts as canonical decimal strings: three for a
// concrete version, one or two for a glob.
func (v MozillaVersion) Parts() []string { return append([]string(nil), v.nums[:v.n]...) }

// String returns the canonical form (§5.1): "major.minor" when the patch is
// 0, else "major.minor.patch", followed by the pre-release letter and number.
// A glob version prints as written.
func (v MozillaVersion) String() string {
	if v.glob != "" {
		return v.glob
	}
	if v.n == 0 {
		return ""
	}
	var b strings.Builder
	b.Grow(len(v.nums[0]) + len(v.nums[1]) + len(v.nums[2]) + len(v.tagNum) + 3)
	b.WriteString(v.nums[0])
	b.WriteByte('.')
	b.WriteString(v.nums[1])
	if v.nums[2] != "0" {
		b.WriteByte('.')
		b.WriteString(v.nums[2])
	}
	if v.tag != 0 {
		b.WriteByte(v.tag)
		b.WriteString(v.tagNum)
	}
	return b.String()
}

// hasPrefixParts reports whether the numeric parts of full begin with those
// of prefix (the reference's GlobVersionTuple equality).
func hasPrefixParts(full, prefix MozillaVersion) bool {
	if full.n < prefix.n {
		return false
	}
	for i := int8(0); i < prefix.n; i++ {
		if full.nums[i] != prefix.nums[i] {
			return false
		}
	}
	return true
}

// Compare orders v and o: -1, 0 or 1. Numeric parts are compared first; when
// they are equal a version without pre-release is greater than one with, and
// two pre-releases compare by (letter, number). When either side is a glob,
// the numeric parts count as equal if the glob's parts are a prefix of the
// other side's (as the reference does); otherwise tuples compare
// lexicographically, a shorter prefix being smaller.
func (v MozillaVersion) Compare(o MozillaVersion) int {
	var numEqual bool
	switch {
	case v.glob != "":
		numEqual = hasPrefixParts(o, v)
	case o.glob != "":
		numEqual = hasPrefixParts(v, o)
	default:
		numEqual = v.nums == o.nums
	}
	if !numEqual {
		n := min(v.n, o.n)
		for i := int8(0); i < n; i++ {
			if c := cmpNum(v.nums[i], o.nums[i]); c != 0 {
				return c
			}
		}
		switch {
		case v.n < o.n:
			return -1
		case v.n > o.n:
			return 1
		}
		return 0
	}
	switch {
	case v.tag == 0 && o.tag == 0:
		return 0
	case v.tag != 0 && o.tag == 0:
		return -1
	case v.tag == 0:
		return 1
	case v.tag != o.tag:
		if v.tag < o.tag {
			return -1
		}
		return 1
	}
	return cmpNum(v.tagNum, o.tagNum)
}

// Equal is the reference's `v == o` with v on the left: when v is a glob it
// is a text-prefix test of o's canonical string against v without its final
// "*"; otherwise it is Compare(o) == 0.
func (v MozillaVersion) Equal(o MozillaVersion) bool {
	if v.glob != "" {
		return strings.HasPrefix(o.String(), v.glob[:len(v.glob)-1])
	}
	return v.Compare(o) == 0
}

// MatchesGlob reports whether the query version matches the glob v
// (§5.2): equality tested in both directions, so that "80.0" matches
// "80.0.*" numerically and "80.0a1" matches "80.*" textually.
func (v MozillaVersion) MatchesGlob(query MozillaVersion) bool {
	return query.Equal(v) || v.Equal(query)
}

// FallbackChannel returns the part of c before the first "-cck-", or c
// itself when it has none (§3.3).
func FallbackChannel(c string) string {
	if i := strings.Index(c, "-cck-"); i >= 0 {
		return c[:i]
	}
	return c
}
