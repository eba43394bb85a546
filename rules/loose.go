package rules

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// LooseVersion is a parsed version of the products Guardian and FirefoxVPN
// (public.md §5.3): a list of integer and text components.
type LooseVersion struct {
	comps []looseComp
}

// looseComp is one component of a LooseVersion: an integer (canonical
// decimal string) or a piece of text.
type looseComp struct {
	num   string
	text  string
	isNum bool
}

// ErrLooseVersionEmpty is returned by ParseLooseVersion for the empty
// string, which the reference cannot compare (it crashes, HTTP 500).
var ErrLooseVersionEmpty = errors.New("rules: empty loose version")

// ErrLooseVersionMixed is returned by LooseVersion.Compare when the first
// differing components are an integer and a text; the reference raises a
// TypeError there (HTTP 500).
var ErrLooseVersionMixed = errors.New("rules: loose version compares an integer with text")

// ParseLooseVersion splits s into maximal runs of decimal digits and of
// lowercase ASCII letters; dots separate and are dropped, any other text
// between those runs is kept as a text component. It never fails except for
// the empty string.
func ParseLooseVersion(s string) (LooseVersion, error) {
	if s == "" {
		return LooseVersion{}, ErrLooseVersionEmpty
	}
	var v LooseVersion
	other := -1 // start of a pending run of "other" text
	flush := func(end int) {
		if other >= 0 && end > other {
			v.comps = append(v.comps, looseComp{text: s[other:end]})
		}
		other = -1
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '.':
			flush(i)
			i++
		case 'a' <= c && c <= 'z':
			flush(i)
			j := i
			for j < len(s) && 'a' <= s[j] && s[j] <= 'z' {
				j++
			}
			v.comps = append(v.comps, looseComp{text: s[i:j]})
			i = j
		default:
			if _, _, ok := digitAt(s, i); ok {
				flush(i)
				end, ascii := scanDigits(s, i)
				v.comps = append(v.comps, looseComp{num: canonDigits(s[i:end], ascii), isNum: true})
				i = end
				continue
			}
			if other < 0 {
				other = i
			}
			if c < utf8.RuneSelf {
				i++
			} else {
				_, w := utf8.DecodeRuneInString(s[i:])
				i += w
			}
		}
	}
	flush(len(s))
	return v, nil
}

// String renders the components joined by dots; it is meant for debugging.
func (v LooseVersion) String() string {
	parts := make([]string, len(v.comps))
	for i, c := range v.comps {
		if c.isNum {
			parts[i] = c.num
		} else {
			parts[i] = c.text
		}
	}
	return strings.Join(parts, ".")
}

// numeric reports whether every component is an integer: two such
// versions always compare without error.
func (v LooseVersion) numeric() bool {
	for _, c := range v.comps {
		if !c.isNum {
			return false
		}
	}
	return true
}

// Compare compares the component lists lexicographically (a list that is a
// prefix of the other is smaller). It returns ErrLooseVersionMixed when the
// first differing components are an integer and a text.
func (v LooseVersion) Compare(o LooseVersion) (int, error) {
	n := min(len(v.comps), len(o.comps))
	for i := 0; i < n; i++ {
		a, b := v.comps[i], o.comps[i]
		switch {
		case a.isNum && b.isNum:
			if c := cmpNum(a.num, b.num); c != 0 {
				return c, nil
			}
		case !a.isNum && !b.isNum:
			if c := strings.Compare(a.text, b.text); c != 0 {
				return c, nil
			}
		default:
			return 0, ErrLooseVersionMixed
		}
	}
	switch {
	case len(v.comps) < len(o.comps):
		return -1, nil
	case len(v.comps) > len(o.comps):
		return 1, nil
	}
	return 0, nil
}
