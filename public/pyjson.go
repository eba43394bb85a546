package public

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The /api/v1 endpoints answer with Python's json.dumps of the stored data:
// ensure_ascii escaping, ", " and ": " separators (or compact ones), and
// either the stored key order or sorted keys. pyValue keeps the stored order
// that encoding/json would lose.

// pyValue is a JSON value with object keys in document order.
type pyValue struct {
	kind   byte // 'o' object, 'a' array, 's' string, 'n' number, 'b' bool, 'z' null
	str    string
	keys   []string
	values []pyValue
}

// parsePy parses JSON text into a pyValue.
func parsePy(data []byte) (pyValue, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := parsePyValue(dec)
	if err != nil {
		return v, err
	}
	if dec.More() {
		return v, fmt.Errorf("trailing data after JSON value")
	}
	return v, nil
}

func parsePyValue(dec *json.Decoder) (pyValue, error) {
	tok, err := dec.Token()
	if err != nil {
		return pyValue{}, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			v := pyValue{kind: 'o'}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return v, err
				}
				child, err := parsePyValue(dec)
				if err != nil {
					return v, err
				}
				v.keys = append(v.keys, kt.(string))
				v.values = append(v.values, child)
			}
			_, err := dec.Token()
			return v, err
		case '[':
			v := pyValue{kind: 'a'}
			for dec.More() {
				child, err := parsePyValue(dec)
				if err != nil {
					return v, err
				}
				v.values = append(v.values, child)
			}
			_, err := dec.Token()
			return v, err
		}
	case string:
		return pyValue{kind: 's', str: t}, nil
	case json.Number:
		return pyValue{kind: 'n', str: t.String()}, nil
	case bool:
		if t {
			return pyValue{kind: 'b', str: "true"}, nil
		}
		return pyValue{kind: 'b', str: "false"}, nil
	case nil:
		return pyValue{kind: 'z'}, nil
	}
	return pyValue{}, fmt.Errorf("unexpected JSON token %v", tok)
}

// get returns the member named key of an object.
func (v pyValue) get(key string) (pyValue, bool) {
	if v.kind != 'o' {
		return pyValue{}, false
	}
	for i, k := range v.keys {
		if k == key {
			return v.values[i], true
		}
	}
	return pyValue{}, false
}

// pyStyle is how json.dumps was called.
type pyStyle struct {
	sortKeys bool
	compact  bool // separators (",", ":") instead of (", ", ": ")
	indent   int  // >0: pretty-print with this many spaces (item separator ",")
}

func appendPy(dst []byte, v pyValue, st pyStyle, depth int) []byte {
	switch v.kind {
	case 'o':
		if len(v.keys) == 0 {
			return append(dst, "{}"...)
		}
		order := make([]int, len(v.keys))
		for i := range order {
			order[i] = i
		}
		if st.sortKeys {
			sort.SliceStable(order, func(a, b int) bool { return v.keys[order[a]] < v.keys[order[b]] })
		}
		dst = append(dst, '{')
		for n, i := range order {
			dst = appendPySep(dst, st, depth+1, n > 0)
			dst = appendPyString(dst, v.keys[i])
			if st.compact {
				dst = append(dst, ':')
			} else {
				dst = append(dst, ": "...)
			}
			dst = appendPy(dst, v.values[i], st, depth+1)
		}
		dst = appendPyClose(dst, st, depth)
		return append(dst, '}')
	case 'a':
		if len(v.values) == 0 {
			return append(dst, "[]"...)
		}
		dst = append(dst, '[')
		for n, child := range v.values {
			dst = appendPySep(dst, st, depth+1, n > 0)
			dst = appendPy(dst, child, st, depth+1)
		}
		dst = appendPyClose(dst, st, depth)
		return append(dst, ']')
	case 's':
		return appendPyString(dst, v.str)
	case 'n', 'b':
		return append(dst, v.str...)
	default:
		return append(dst, "null"...)
	}
}

func appendPySep(dst []byte, st pyStyle, depth int, notFirst bool) []byte {
	if notFirst {
		dst = append(dst, ',')
		if st.indent == 0 && !st.compact {
			dst = append(dst, ' ')
		}
	}
	if st.indent > 0 {
		dst = append(dst, '\n')
		dst = append(dst, strings.Repeat(" ", st.indent*depth)...)
	}
	return dst
}

func appendPyClose(dst []byte, st pyStyle, depth int) []byte {
	if st.indent > 0 {
		dst = append(dst, '\n')
		dst = append(dst, strings.Repeat(" ", st.indent*depth)...)
	}
	return dst
}

// appendPyString writes s as json.dumps does with ensure_ascii.
func appendPyString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case '"':
				dst = append(dst, `\"`...)
			case '\\':
				dst = append(dst, `\\`...)
			case '\n':
				dst = append(dst, `\n`...)
			case '\r':
				dst = append(dst, `\r`...)
			case '\t':
				dst = append(dst, `\t`...)
			case '\b':
				dst = append(dst, `\b`...)
			case '\f':
				dst = append(dst, `\f`...)
			default:
				if c < 0x20 {
					dst = append(dst, `\u00`...)
					dst = append(dst, hex[c>>4], hex[c&0xf])
				} else {
					dst = append(dst, c)
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r >= 0x10000 {
			r -= 0x10000
			dst = appendU(dst, 0xd800+(r>>10))
			r = 0xdc00 + r&0x3ff
		}
		dst = appendU(dst, r)
	}
	return append(dst, '"')
}

func appendU(dst []byte, r rune) []byte {
	dst = append(dst, `\u`...)
	s := strconv.FormatInt(int64(r), 16)
	for n := len(s); n < 4; n++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

// pyOf converts a Go value (maps, slices, strings, numbers, bools, nil,
// pointers to them) into a pyValue with sorted object keys.
func pyOf(x any) pyValue {
	switch t := x.(type) {
	case nil:
		return pyValue{kind: 'z'}
	case pyValue:
		return t
	case string:
		return pyValue{kind: 's', str: t}
	case *string:
		if t == nil {
			return pyValue{kind: 'z'}
		}
		return pyValue{kind: 's', str: *t}
	case int:
		return pyValue{kind: 'n', str: strconv.Itoa(t)}
	case int64:
		return pyValue{kind: 'n', str: strconv.FormatInt(t, 10)}
	case *int:
		if t == nil {
			return pyValue{kind: 'z'}
		}
		return pyValue{kind: 'n', str: strconv.Itoa(*t)}
	case bool:
		return pyValue{kind: 'b', str: strconv.FormatBool(t)}
	case *bool:
		if t == nil {
			return pyValue{kind: 'z'}
		}
		return pyValue{kind: 'b', str: strconv.FormatBool(*t)}
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		v := pyValue{kind: 'o', keys: keys}
		for _, k := range keys {
			v.values = append(v.values, pyOf(t[k]))
		}
		return v
	case []any:
		v := pyValue{kind: 'a', values: make([]pyValue, 0, len(t))}
		for _, e := range t {
			v.values = append(v.values, pyOf(e))
		}
		return v
	case []string:
		v := pyValue{kind: 'a', values: make([]pyValue, 0, len(t))}
		for _, e := range t {
			v.values = append(v.values, pyOf(e))
		}
		return v
	case []int:
		v := pyValue{kind: 'a', values: make([]pyValue, 0, len(t))}
		for _, e := range t {
			v.values = append(v.values, pyOf(e))
		}
		return v
	}
	return pyValue{kind: 's', str: fmt.Sprint(x)}
}
