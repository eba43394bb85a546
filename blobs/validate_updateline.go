package blobs

// The custom JSON-Schema formats "version" and "buildID" (admin.md §0.2,
// auslib/util/jsonschema_validators.py) and V9's updateLine overlap check
// (admin.md §5.2 step 2, ReleaseBlobV9.validate).

import (
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/balrog-go/balrog/rules"
)

// valOp is a comparison operator of a rule-style value (Balrog's get_op).
type valOp uint8

const (
	valOpEq   valOp = iota // no operator
	valOpGlob              // ends with "*": equality tested both ways
	valOpGE
	valOpGT
	valOpLT
	valOpLE
)

func valIsWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r)
}

// valGetOp is Balrog's get_op: a value ending with "*" is a glob; a value
// starting with a word character has no operator; otherwise one of >=, >, <,
// <= (tried in that order) must be followed by at least one word character or
// dot, and the operand is that run (the rest of the string is ignored, as
// re.match does). ok is false when nothing matches.
func valGetOp(pattern string) (op valOp, operand string, ok bool) {
	if strings.HasSuffix(pattern, "*") {
		return valOpGlob, pattern, true
	}
	if r, _ := utf8.DecodeRuneInString(pattern); pattern != "" && valIsWordRune(r) {
		return valOpEq, pattern, true
	}
	for _, o := range []struct {
		s  string
		op valOp
	}{{">=", valOpGE}, {">", valOpGT}, {"<", valOpLT}, {"<=", valOpLE}} {
		if !strings.HasPrefix(pattern, o.s) {
			continue
		}
		rest := pattern[len(o.s):]
		end := 0
		for end < len(rest) {
			r, w := utf8.DecodeRuneInString(rest[end:])
			if r != '.' && !valIsWordRune(r) {
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

// valHasOperator is Balrog's has_operator.
func valHasOperator(v string) bool { return strings.HasPrefix(v, "<") || strings.HasPrefix(v, ">") }

// valStripOperator is Balrog's strip_operator (lstrip("<>=")).
func valStripOperator(v string) string { return strings.TrimLeft(v, "<>=") }

// valCheckVersionFormat is the "version" format: empty is fine; otherwise
// every comma-separated element needs a recognisable operator (or none) and
// a valid Mozilla version, and a list (more than one element) may only hold
// plain versions — no comparisons, no globs.
func valCheckVersionFormat(s string) string {
	if s == "" {
		return ""
	}
	parts := strings.Split(s, ",")
	for _, p := range parts {
		op, operand, ok := valGetOp(p)
		if !ok {
			return fmt.Sprintf("invalid version %s: no operator or version found in %s", valQuote(s), valQuote(p))
		}
		if len(parts) > 1 && op != valOpEq {
			return fmt.Sprintf("invalid version %s: comparisons and globs are not allowed in a list of versions", valQuote(s))
		}
		if _, err := rules.ParseMozillaVersion(operand); err != nil {
			return fmt.Sprintf("invalid version %s: cannot parse %s as a Mozilla version", valQuote(s), valQuote(operand))
		}
	}
	return ""
}

// valCheckBuildIDFormat is the "buildID" format: empty is fine; otherwise an
// optional operator followed by an integer (Python int() syntax).
func valCheckBuildIDFormat(s string) string {
	if s == "" {
		return ""
	}
	if _, _, ok := valGetOp(s); !ok {
		return fmt.Sprintf("invalid buildID %s: no operator or value found", valQuote(s))
	}
	if _, ok := valPyInt(valStripOperator(s)); !ok {
		return fmt.Sprintf("invalid buildID %s: must be an integer, optionally preceded by <, <=, > or >=", valQuote(s))
	}
	return ""
}

// valPyInt parses s like Python's int(s): surrounding whitespace, one sign,
// decimal digits of any script and single underscores between digits.
func valPyInt(s string) (*big.Int, bool) {
	s = strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f) })
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	var digits strings.Builder
	prevDigit := false
	for _, r := range s {
		switch {
		case r == '_' && prevDigit:
			prevDigit = false
		case unicode.Is(unicode.Nd, r):
			digits.WriteByte(byte('0' + valDigitValue(r)))
			prevDigit = true
		default:
			return nil, false
		}
	}
	if !prevDigit {
		return nil, false
	}
	n, ok := new(big.Int).SetString(digits.String(), 10)
	if ok && neg {
		n.Neg(n)
	}
	return n, ok
}

// valDigitValue is the value of a decimal digit of any script: Unicode
// assigns them in runs of ten starting at zero.
func valDigitValue(r rune) int {
	start := r
	for start > 0 && unicode.Is(unicode.Nd, start-1) {
		start--
	}
	return int(r-start) % 10
}

// ---------------------------------------------------------------------------
// Matching, as Balrog's rule matching does it (auslib/util/rulematching.py).

// valMatchVersion is matchVersion(rule, query): query matches one of the
// comma-separated elements of rule.
func valMatchVersion(rule, query string) (bool, error) {
	q, err := rules.ParseMozillaVersion(query)
	if err != nil {
		return false, err
	}
	for _, r := range strings.Split(rule, ",") {
		op, operand, ok := valGetOp(r)
		if !ok {
			return false, fmt.Errorf("no operator or version found in %q", r)
		}
		o, err := rules.ParseMozillaVersion(operand)
		if err != nil {
			return false, err
		}
		var m bool
		switch op {
		case valOpGlob:
			m = q.Equal(o) || o.Equal(q)
		case valOpEq:
			m = q.Equal(o)
		case valOpGE:
			m = q.Compare(o) >= 0
		case valOpGT:
			m = q.Compare(o) > 0
		case valOpLT:
			m = q.Compare(o) < 0
		case valOpLE:
			m = q.Compare(o) <= 0
		}
		if m {
			return true, nil
		}
	}
	return false, nil
}

// valMatchBuildID is matchBuildID(rule, query): a string comparison, as in
// Balrog (buildIDs of equal length compare like numbers).
func valMatchBuildID(rule, query string) bool {
	op, operand, ok := valGetOp(rule)
	if !ok {
		return false
	}
	switch op {
	case valOpGE:
		return query >= operand
	case valOpGT:
		return query > operand
	case valOpLT:
		return query < operand
	case valOpLE:
		return query <= operand
	default:
		return query == operand
	}
}

// valMatchChannel is matchChannel(rule, query, fallback): rule equals query
// or fallback, or rule ends with "*", has at least three characters, and the
// other side starts with rule without its final "*".
func valMatchChannel(rule, query, fallback string) bool {
	match := func(bar string) bool {
		if strings.HasSuffix(rule, "*") {
			return utf8.RuneCountInString(rule) >= 3 && strings.HasPrefix(bar, rule[:len(rule)-1])
		}
		return rule == bar
	}
	return match(query) || match(fallback)
}

// valVersionParts is get_version_parts: every dot-separated part must be an
// integer.
func valVersionParts(v string) ([]*big.Int, error) {
	var parts []*big.Int
	for _, p := range strings.Split(v, ".") {
		n, ok := valPyInt(p)
		if !ok {
			return nil, fmt.Errorf("%q is not a plain dotted version", v)
		}
		parts = append(parts, n)
	}
	return parts, nil
}

func valJoinParts(parts []*big.Int) string {
	s := make([]string, len(parts))
	for i, p := range parts {
		s[i] = p.String()
	}
	return strings.Join(s, ".")
}

// valIncrementVersion adds one to the last part.
func valIncrementVersion(v string) (string, error) {
	parts, err := valVersionParts(v)
	if err != nil {
		return "", err
	}
	last := parts[len(parts)-1]
	last.Add(last, big.NewInt(1))
	return valJoinParts(parts), nil
}

// valDecrementVersion subtracts one from the last part, turning trailing 0
// parts into 999 ("50.0" → "49.999"), like Balrog's decrement_version.
func valDecrementVersion(v string) (string, error) {
	parts, err := valVersionParts(v)
	if err != nil {
		return "", err
	}
	for i := len(parts) - 1; i >= 0; i-- {
		if parts[i].Sign() == 0 {
			if i == 0 {
				return "", fmt.Errorf("%q cannot be decremented: all parts are 0", v)
			}
			parts[i].SetInt64(999)
			continue
		}
		parts[i].Sub(parts[i], big.NewInt(1))
		break
	}
	return valJoinParts(parts), nil
}

// valComparable returns the "closest" concrete value a comparison allows:
// the operand of <= / >=, the previous value for <, the next for > (Balrog's
// heuristic in ReleaseBlobV9.validate).
func valComparable(v string, step func(string, int) (string, error)) (string, error) {
	switch {
	case strings.Contains(v, "="):
		return valStripOperator(v), nil
	case strings.HasPrefix(v, "<"):
		return step(valStripOperator(v), -1)
	case strings.HasPrefix(v, ">"):
		return step(valStripOperator(v), +1)
	}
	return "", fmt.Errorf("no comparison in %q", v)
}

// valVersionsOverlap decides whether some version can match both for.versions
// values a and b.
func valVersionsOverlap(a, b string) (bool, error) {
	if a == b {
		return true, nil
	}
	ha, hb := valHasOperator(a), valHasOperator(b)
	switch {
	case ha && !hb:
		return valMatchVersionAny(a, b)
	case hb && !ha:
		return valMatchVersionAny(b, a)
	case !ha && !hb:
		// Two different exact versions (or lists, or globs). Balrog crashes
		// here (it looks for a comparison in both); they overlap iff one
		// matches the other.
		for _, x := range strings.Split(a, ",") {
			m, err := valMatchVersionAny(x, b)
			if err != nil || m {
				return m, err
			}
			if m, err = valMatchVersionAny(b, x); err != nil || m {
				return m, err
			}
		}
		return false, nil
	}
	step := func(v string, dir int) (string, error) {
		if dir < 0 {
			return valDecrementVersion(v)
		}
		return valIncrementVersion(v)
	}
	ca, err := valComparable(a, step)
	if err != nil {
		return false, err
	}
	cb, err := valComparable(b, step)
	if err != nil {
		return false, err
	}
	if m, err := valMatchVersion(a, cb); err != nil || m {
		return m, err
	}
	return valMatchVersion(b, ca)
}

// valMatchVersionAny is valMatchVersion for a query that may be a
// comma-separated list (Balrog would fail to parse it): any element matching
// counts.
func valMatchVersionAny(rule, query string) (bool, error) {
	for _, q := range strings.Split(query, ",") {
		m, err := valMatchVersion(rule, q)
		if err != nil || m {
			return m, err
		}
	}
	return false, nil
}

// valBuildIDsOverlap decides whether some buildID can match both
// for.buildIDs values a and b. Like Balrog, comparisons are string
// comparisons.
func valBuildIDsOverlap(a, b string) (bool, error) {
	if a == b {
		return true, nil
	}
	ha, hb := valHasOperator(a), valHasOperator(b)
	switch {
	case ha && !hb:
		return valMatchBuildID(a, b), nil
	case hb && !ha:
		return valMatchBuildID(b, a), nil
	case !ha && !hb:
		return false, nil
	}
	step := func(v string, dir int) (string, error) {
		n, ok := valPyInt(v)
		if !ok {
			return "", fmt.Errorf("%q is not an integer", v)
		}
		return n.Add(n, big.NewInt(int64(dir))).String(), nil
	}
	ca, err := valComparable(a, step)
	if err != nil {
		return false, err
	}
	cb, err := valComparable(b, step)
	if err != nil {
		return false, err
	}
	return valMatchBuildID(a, cb) || valMatchBuildID(b, ca), nil
}

// valChannelsOverlap: equal, or one matches the other (with its trailing "*"
// removed, and its fallback channel) in either direction.
func valChannelsOverlap(a, b string) bool {
	if a == b {
		return true
	}
	ta, tb := strings.TrimRight(a, "*"), strings.TrimRight(b, "*")
	return valMatchChannel(a, tb, rules.FallbackChannel(tb)) || valMatchChannel(b, ta, rules.FallbackChannel(ta))
}

// valCheckUpdateLine rejects V9 blobs where one update request could match
// two updateLine groups that set the same field (public.md §6.4.5). For each
// condition present in both groups some pair of values must overlap; a
// condition missing from either group matches everything. Groups equal to
// each other never conflict (Balrog skips them). Values that cannot be
// compared are reported instead of crashing as Balrog does.
func valCheckUpdateLine(root *valNode) *ValidationError {
	ul, ok := root.get("updateLine")
	if !ok || ul.kind != valArray {
		return nil
	}
	conflicting := map[string]bool{}
	var errs []string
	for i := 0; i < len(ul.arr); i++ {
		for j := i + 1; j < len(ul.arr); j++ {
			g1, g2 := ul.arr[i], ul.arr[j]
			if valEqual(g1, g2) {
				continue
			}
			dupes := valSharedKeys(valField(g1, "fields"), valField(g2, "fields"))
			if len(dupes) == 0 {
				continue
			}
			for1, for2 := valField(g1, "for"), valField(g2, "for")
			overlap := true
			for _, cond := range []string{"channels", "locales", "versions", "buildIDs"} {
				l1, ok1 := for1.get(cond)
				l2, ok2 := for2.get(cond)
				if !ok1 || !ok2 {
					continue
				}
				m, err := valCondOverlap(cond, valStrings(l1), valStrings(l2))
				if err != nil {
					errs = append(errs, fmt.Sprintf("updateLine[%d].for.%s and updateLine[%d].for.%s: cannot tell whether they overlap: %v", i, cond, j, cond, err))
					overlap = false
					break
				}
				if !m {
					overlap = false
					break
				}
			}
			if overlap {
				for _, f := range dupes {
					conflicting[f] = true
				}
				errs = append(errs, fmt.Sprintf("updateLine[%d] and updateLine[%d]: both set %s and one request can match both groups",
					i, j, strings.Join(dupes, ", ")))
			}
		}
	}
	if len(errs) == 0 {
		return nil
	}
	msg := "Cannot compare updateLine conditions"
	if len(conflicting) > 0 {
		fields := make([]string, 0, len(conflicting))
		for f := range conflicting {
			fields = append(fields, f)
		}
		sort.Strings(fields)
		msg = "Multiple values found for updateLine items: " + strings.Join(fields, ", ")
	}
	return &ValidationError{Kind: ValidationInvalidBlob, Message: msg, Errors: errs}
}

func valCondOverlap(cond string, l1, l2 []string) (bool, error) {
	for _, a := range l1 {
		for _, b := range l2 {
			var m bool
			var err error
			switch cond {
			case "channels":
				m = valChannelsOverlap(a, b)
			case "locales":
				m = a == b
			case "versions":
				m, err = valVersionsOverlap(a, b)
			case "buildIDs":
				m, err = valBuildIDsOverlap(a, b)
			}
			if err != nil || m {
				return m, err
			}
		}
	}
	return false, nil
}

// valField returns obj[key] or an empty object.
func valField(n *valNode, key string) *valNode {
	if v, ok := n.get(key); ok && v.kind == valObject {
		return v
	}
	return &valNode{kind: valObject}
}

func valStrings(n *valNode) []string {
	var out []string
	for _, v := range n.arr {
		if v.kind == valString {
			out = append(out, v.str)
		}
	}
	return out
}

// valSharedKeys returns the keys of both objects, sorted.
func valSharedKeys(a, b *valNode) []string {
	var out []string
	for _, k := range a.keys {
		if _, ok := b.obj[k]; ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// valEqual is Python's == on decoded JSON: numbers by value, objects
// regardless of key order, arrays element by element.
func valEqual(a, b *valNode) bool {
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case valNull:
		return true
	case valBool:
		return a.b == b.b
	case valString:
		return a.str == b.str
	case valNumber:
		// Integers exactly (Python ints are unbounded), anything else as
		// float64 (Python floats).
		x, ok1 := new(big.Int).SetString(a.str, 10)
		y, ok2 := new(big.Int).SetString(b.str, 10)
		if ok1 && ok2 {
			return x.Cmp(y) == 0
		}
		f, err1 := strconv.ParseFloat(a.str, 64)
		g, err2 := strconv.ParseFloat(b.str, 64)
		return err1 == nil && err2 == nil && f == g
	case valArray:
		if len(a.arr) != len(b.arr) {
			return false
		}
		for i := range a.arr {
			if !valEqual(a.arr[i], b.arr[i]) {
				return false
			}
		}
		return true
	default:
		if len(a.keys) != len(b.keys) {
			return false
		}
		for _, k := range a.keys {
			bv, ok := b.obj[k]
			if !ok || !valEqual(a.obj[k], bv) {
				return false
			}
		}
		return true
	}
}
