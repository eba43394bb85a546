package blobs

import (
	"math"
	"strconv"
	"strings"
)

// Kind is the JSON type of a Value.
type Kind uint8

// The kinds of JSON values. KindAbsent marks a key that is not in the blob,
// which the reference distinguishes from an explicit null.
const (
	KindAbsent Kind = iota
	KindNull
	KindBool
	KindInt
	KindFloat
	KindString
	KindArray
	KindObject
)

// Value is one value of a blob as the reference sees it after json.loads: it
// remembers its JSON kind and the text Python's str() prints for it, which is
// what goes into the XML. Values are immutable.
//
// The text is: strings verbatim; integers in decimal; floats in Python repr
// form ("12345.0", "1e+16", "inf"); booleans "True"/"False"; null "None";
// arrays and objects in Python repr form ("['a', 1]", "{'k': None}").
type Value struct {
	kind Kind
	// text is the str() text (for strings, the string itself).
	text string
	// tree keeps arrays and objects for JSON output.
	tree *node
}

// valueOf converts a parsed node into a Value; a nil node is absent.
func valueOf(n *node) Value {
	if n == nil {
		return Value{}
	}
	switch n.kind {
	case KindString:
		return Value{kind: KindString, text: n.str}
	case KindNull:
		return Value{kind: KindNull, text: "None"}
	case KindBool:
		if n.str == "true" {
			return Value{kind: KindBool, text: "True"}
		}
		return Value{kind: KindBool, text: "False"}
	case KindInt:
		return Value{kind: KindInt, text: pyIntText(n.str)}
	case KindFloat:
		return Value{kind: KindFloat, text: pyFloatRepr(parseFloatLiteral(n.str))}
	}
	var b []byte
	b = appendPyRepr(b, n)
	return Value{kind: n.kind, text: string(b), tree: n}
}

// StringValue returns a Value holding the string s.
func StringValue(s string) Value { return Value{kind: KindString, text: s} }

// Kind returns the JSON kind of v (KindAbsent when the key was missing).
func (v Value) Kind() Kind { return v.kind }

// Present reports whether the key existed in the blob (null counts).
func (v Value) Present() bool { return v.kind != KindAbsent }

// IsString reports whether v is a JSON string.
func (v Value) IsString() bool { return v.kind == KindString }

// String returns the text Python's str() gives for v; "" when absent.
func (v Value) String() string { return v.text }

// Truthy reports Python truthiness: false for absent, null, false, 0, 0.0,
// "" and empty arrays and objects.
func (v Value) Truthy() bool {
	switch v.kind {
	case KindBool:
		return v.text == "True"
	case KindInt:
		return v.text != "0"
	case KindFloat:
		return v.text != "0.0" && v.text != "-0.0"
	case KindString:
		return v.text != ""
	case KindArray, KindObject:
		return len(v.tree.elems) > 0
	}
	return false
}

// xmlText is the text used in XML attributes: str(), except that booleans
// are lower-cased ("true"/"false") where the reference does so.
func (v Value) xmlText(lowerBool bool) string {
	if lowerBool && v.kind == KindBool {
		if v.text == "True" {
			return "true"
		}
		return "false"
	}
	return v.text
}

// pyIntText turns a JSON integer literal into Python's str() of the int,
// which differs only for "-0".
func pyIntText(lit string) string {
	if lit == "-0" {
		return "0"
	}
	return lit
}

// parseFloatLiteral converts a JSON float literal like Python's float().
func parseFloatLiteral(lit string) float64 {
	switch lit {
	case "NaN":
		return math.NaN()
	case "Infinity":
		return math.Inf(1)
	case "-Infinity":
		return math.Inf(-1)
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil {
		// Out of range: ParseFloat returns ±Inf or ±0 with an error, which
		// is what Python's float() gives too.
		return f
	}
	return f
}

// pyFloatRepr formats f like Python's repr(float): the shortest digits that
// round-trip, in fixed notation when the decimal exponent is in [-4, 16),
// otherwise in exponent notation with at least two exponent digits.
func pyFloatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // "-d.ddde±XX"
	neg := false
	if e[0] == '-' {
		neg = true
		e = e[1:]
	}
	ePos := strings.IndexByte(e, 'e')
	mant, exp := e[:ePos], e[ePos+1:]
	digits := strings.Replace(mant, ".", "", 1)
	x, _ := strconv.Atoi(exp)
	decpt := x + 1
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	if -4 < decpt && decpt <= 16 {
		switch {
		case decpt <= 0:
			b.WriteString("0.")
			b.WriteString(strings.Repeat("0", -decpt))
			b.WriteString(digits)
		case decpt >= len(digits):
			b.WriteString(digits)
			b.WriteString(strings.Repeat("0", decpt-len(digits)))
			b.WriteString(".0")
		default:
			b.WriteString(digits[:decpt])
			b.WriteByte('.')
			b.WriteString(digits[decpt:])
		}
		return b.String()
	}
	b.WriteByte(digits[0])
	if len(digits) > 1 {
		b.WriteByte('.')
		b.WriteString(digits[1:])
	}
	b.WriteByte('e')
	if x < 0 {
		b.WriteByte('-')
		x = -x
	} else {
		b.WriteByte('+')
	}
	if x < 10 {
		b.WriteByte('0')
	}
	b.WriteString(strconv.Itoa(x))
	return b.String()
}
