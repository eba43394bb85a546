package blobs

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// node is one value of a parsed JSON document. The parser below is written
// for this package rather than using encoding/json because blobs must be read
// the way Python's json.loads reads them: object keys are matched exactly
// (encoding/json folds case when filling structs), key order is kept (Python
// dicts are ordered, and str() of a dict prints in that order), a repeated key
// keeps its first position but takes the last value, number literals are kept
// as written, and the literals NaN, Infinity and -Infinity are accepted.
type node struct {
	kind Kind
	// str is the decoded text of a string, the literal of a number, or
	// "true"/"false" for a boolean.
	str string
	// elems holds the elements of an array or the values of an object.
	elems []node
	// keys holds the keys of an object, parallel to elems.
	keys []string
}

// get returns the value of key in an object node, or nil.
func (n *node) get(key string) *node {
	for i := range n.keys {
		if n.keys[i] == key {
			return &n.elems[i]
		}
	}
	return nil
}

// maxDepth bounds nesting so that hostile input cannot exhaust the stack.
const maxDepth = 1000

// parseJSON parses one JSON document (surrounded by optional whitespace).
func parseJSON(data []byte) (node, error) {
	p := jsonParser{s: string(data)}
	p.skipSpace()
	n, err := p.value(0)
	if err != nil {
		return node{}, err
	}
	p.skipSpace()
	if p.i != len(p.s) {
		return node{}, p.errorf("extra data")
	}
	return n, nil
}

type jsonParser struct {
	s string
	i int
	// lazy selects parseJSONLazy's handling of locale objects, which are
	// kept as text (sawRaw records one).
	lazy, sawRaw bool
	// clone copies every string made, so that nothing made refers to the
	// text (which a lazily parsed blob frees once compacted); keys holds
	// one copy of each object key (the same hundred locale codes recur in
	// every platform).
	clone bool
	keys  map[string]string
}

// cloneKey returns the one copy of key.
func (p *jsonParser) cloneKey(key string) string {
	if k, ok := p.keys[key]; ok {
		return k
	}
	if p.keys == nil {
		p.keys = map[string]string{}
	}
	k := strings.Clone(key)
	p.keys[k] = k
	return k
}

func (p *jsonParser) errorf(format string, args ...any) error {
	return fmt.Errorf("blobs: invalid JSON at offset %d: %s", p.i, fmt.Sprintf(format, args...))
}

func (p *jsonParser) skipSpace() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) literal(word string) bool {
	if len(p.s)-p.i >= len(word) && p.s[p.i:p.i+len(word)] == word {
		p.i += len(word)
		return true
	}
	return false
}

func (p *jsonParser) value(depth int) (node, error) {
	if depth > maxDepth {
		return node{}, p.errorf("nesting too deep")
	}
	if p.i >= len(p.s) {
		return node{}, p.errorf("unexpected end of input")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		s, err := p.string()
		if p.clone {
			s = strings.Clone(s)
		}
		return node{kind: KindString, str: s}, err
	case c == 't' && p.literal("true"):
		return node{kind: KindBool, str: "true"}, nil
	case c == 'f' && p.literal("false"):
		return node{kind: KindBool, str: "false"}, nil
	case c == 'n' && p.literal("null"):
		return node{kind: KindNull}, nil
	case c == 'N' && p.literal("NaN"):
		return node{kind: KindFloat, str: "NaN"}, nil
	case c == 'I' && p.literal("Infinity"):
		return node{kind: KindFloat, str: "Infinity"}, nil
	case c == '-' && p.literal("-Infinity"):
		return node{kind: KindFloat, str: "-Infinity"}, nil
	case c == '-' || ('0' <= c && c <= '9'):
		n, err := p.number()
		if p.clone {
			n.str = strings.Clone(n.str)
		}
		return n, err
	}
	return node{}, p.errorf("unexpected character %q", p.s[p.i])
}

func (p *jsonParser) object(depth int) (node, error) { return p.objectRole(depth, roleNone) }

// objectRole is object; role places it in an app-release document for the
// lazy parser.
func (p *jsonParser) objectRole(depth int, role lazyRole) (node, error) {
	n := node{kind: KindObject}
	var index map[string]int // built for large objects to find repeated keys
	err := p.members(func(key string) error {
		if p.clone {
			key = p.cloneKey(key)
		}
		v, err := p.valueRole(depth+1, childRole(role, key))
		if err != nil {
			return err
		}
		pos := -1
		if index != nil {
			if j, ok := index[key]; ok {
				pos = j
			}
		} else {
			pos = n.index(key)
		}
		if pos >= 0 {
			n.elems[pos] = v
			return nil
		}
		n.keys = append(n.keys, key)
		n.elems = append(n.elems, v)
		if index != nil {
			index[key] = len(n.keys) - 1
		} else if len(n.keys) > 16 {
			index = make(map[string]int, 2*len(n.keys))
			for j, k := range n.keys {
				index[k] = j
			}
		}
		return nil
	})
	if err != nil {
		return node{}, err
	}
	return n, nil
}

func (p *jsonParser) array(depth int) (node, error) {
	n := node{kind: KindArray, elems: []node{}}
	err := p.elements(func() error {
		v, err := p.value(depth + 1)
		n.elems = append(n.elems, v)
		return err
	})
	if err != nil {
		return node{}, err
	}
	return n, nil
}

// members reads the object at p.i: for each member it reads the key and
// calls fn with p at the value, which fn must read. Every reader of objects
// (parse, skip, pack) goes through it, so they accept the same documents
// with the same errors.
func (p *jsonParser) members(fn func(key string) error) error {
	p.i++ // '{'
	p.skipSpace()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return nil
	}
	for {
		p.skipSpace()
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return p.errorf("expected object key")
		}
		key, err := p.string()
		if err != nil {
			return err
		}
		p.skipSpace()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return p.errorf("expected ':'")
		}
		p.i++
		p.skipSpace()
		if err := fn(key); err != nil {
			return err
		}
		p.skipSpace()
		if p.i >= len(p.s) {
			return p.errorf("unterminated object")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return nil
		default:
			return p.errorf("expected ',' or '}'")
		}
	}
}

// elements reads the array at p.i, calling fn with p at each element,
// which fn must read; like members, it is the one reader of arrays.
func (p *jsonParser) elements(fn func() error) error {
	p.i++ // '['
	p.skipSpace()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		return nil
	}
	for {
		p.skipSpace()
		if err := fn(); err != nil {
			return err
		}
		p.skipSpace()
		if p.i >= len(p.s) {
			return p.errorf("unterminated array")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return nil
		default:
			return p.errorf("expected ',' or ']'")
		}
	}
}

// number scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)? and keeps the
// literal. A literal with a fraction or an exponent is a float, as in Python.
func (p *jsonParser) number() (node, error) {
	start := p.i
	if p.s[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		j := p.i
		for p.i < len(p.s) && '0' <= p.s[p.i] && p.s[p.i] <= '9' {
			p.i++
		}
		return p.i - j
	}
	if p.i < len(p.s) && p.s[p.i] == '0' {
		p.i++
	} else if digits() == 0 {
		return node{}, p.errorf("invalid number")
	}
	kind := KindInt
	if p.i < len(p.s) && p.s[p.i] == '.' {
		save := p.i
		p.i++
		if digits() == 0 {
			// Python stops the number before a lone '.', which then fails
			// as extra data; report it here.
			p.i = save
			return node{}, p.errorf("invalid number")
		}
		kind = KindFloat
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		save := p.i
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			p.i = save
			return node{}, p.errorf("invalid number")
		}
		kind = KindFloat
	}
	return node{kind: kind, str: p.s[start:p.i]}, nil
}

// string decodes a JSON string starting at the opening quote. Strings
// without escapes are returned as substrings of the input.
func (p *jsonParser) string() (string, error) {
	p.i++ // opening quote
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '"' {
			s := p.s[start:p.i]
			p.i++
			return s, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", p.errorf("control character in string")
		}
		p.i++
	}
	if p.i >= len(p.s) {
		return "", p.errorf("unterminated string")
	}
	buf := []byte(p.s[start:p.i])
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return string(buf), nil
		case c < 0x20:
			return "", p.errorf("control character in string")
		case c != '\\':
			buf = append(buf, c)
			p.i++
			continue
		}
		p.i++
		if p.i >= len(p.s) {
			break
		}
		e := p.s[p.i]
		p.i++
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", p.errorf("invalid \\u escape in string")
			}
			if utf16.IsSurrogate(r) {
				// A high surrogate followed by an escaped low surrogate
				// forms one character; a lone surrogate cannot be held
				// in UTF-8 and becomes U+FFFD.
				save := p.i
				if r < 0xdc00 && p.literal(`\u`) {
					if r2, ok := p.hex4(); ok && 0xdc00 <= r2 && r2 < 0xe000 {
						r = utf16.DecodeRune(r, r2)
					} else {
						p.i = save
						r = utf8.RuneError
					}
				} else {
					p.i = save
					r = utf8.RuneError
				}
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return "", p.errorf("invalid escape in string")
		}
	}
	return "", p.errorf("unterminated string")
}

func (p *jsonParser) hex4() (rune, bool) {
	if len(p.s)-p.i < 4 {
		return 0, false
	}
	v, err := strconv.ParseUint(p.s[p.i:p.i+4], 16, 32)
	if err != nil {
		return 0, false
	}
	p.i += 4
	return rune(v), true
}

// kindRawObject marks a node whose value is an object that was validated
// but not parsed: str holds its JSON text. Only parseJSONLazy makes them,
// for the locale objects of an app-release blob (platforms.*.locales.*).
const kindRawObject Kind = 255

// lazyRole is where the lazy parser is in an app-release document.
type lazyRole uint8

const (
	roleNone      lazyRole = iota
	roleRoot               // the document's root object
	rolePlatforms          // the root's "platforms" object
	rolePlatform           // one value of "platforms"
	roleLocales            // a platform's "locales" object
)

// parseJSONLazy parses a document like parseJSON, except that the object
// values of platforms.*.locales.* are only validated and kept as
// kindRawObject nodes referencing data's memory, which must not change
// afterwards; nothing else refers to it. raw reports whether any such node
// was made.
func parseJSONLazy(data []byte) (n node, raw bool, err error) {
	// The locale texts refer to data itself, not a copy: a 10 MB blob is
	// copied once less (Parse's callers hand over their bytes).
	p := jsonParser{s: unsafe.String(unsafe.SliceData(data), len(data)), lazy: true, clone: true}
	p.skipSpace()
	n, err = p.valueRole(0, roleRoot)
	if err != nil {
		return node{}, false, err
	}
	p.skipSpace()
	if p.i != len(p.s) {
		return node{}, false, p.errorf("extra data")
	}
	return n, p.sawRaw, nil
}

// parseRawObject parses the text of a kindRawObject node found at depth
// (it was validated when it was skipped, so it cannot fail). Its strings
// are copies: the node outlives the text.
func parseRawObject(s string, depth int) (node, error) {
	p := jsonParser{s: s, clone: true}
	return p.value(depth)
}

// valueRole is value for the lazy parser.
func (p *jsonParser) valueRole(depth int, role lazyRole) (node, error) {
	if role == roleNone || !p.lazy {
		return p.value(depth)
	}
	if depth > maxDepth {
		return node{}, p.errorf("nesting too deep")
	}
	if p.i >= len(p.s) || p.s[p.i] != '{' {
		return p.value(depth)
	}
	if role == roleLocales+1 {
		start := p.i
		if err := p.skipValue(depth); err != nil {
			return node{}, err
		}
		p.sawRaw = true
		return node{kind: kindRawObject, str: p.s[start:p.i]}, nil
	}
	return p.objectRole(depth, role)
}

// childRole is the role of the value of key in an object of role role.
func childRole(role lazyRole, key string) lazyRole {
	switch role {
	case roleRoot:
		if key == "platforms" {
			return rolePlatforms
		}
	case rolePlatforms:
		return rolePlatform
	case rolePlatform:
		if key == "locales" {
			return roleLocales
		}
	case roleLocales:
		return roleLocales + 1
	}
	return roleNone
}

// skipValue validates one value without building it; it accepts exactly
// what value accepts and fails with the same errors.
func (p *jsonParser) skipValue(depth int) error {
	if depth > maxDepth {
		return p.errorf("nesting too deep")
	}
	if p.i >= len(p.s) {
		return p.errorf("unexpected end of input")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.skipObject(depth)
	case c == '[':
		return p.skipArray(depth)
	case c == '"':
		return p.skipString()
	case c == 't' && p.literal("true"),
		c == 'f' && p.literal("false"),
		c == 'n' && p.literal("null"),
		c == 'N' && p.literal("NaN"),
		c == 'I' && p.literal("Infinity"),
		c == '-' && p.literal("-Infinity"):
		return nil
	case c == '-' || ('0' <= c && c <= '9'):
		_, err := p.number()
		return err
	}
	return p.errorf("unexpected character %q", p.s[p.i])
}

func (p *jsonParser) skipObject(depth int) error {
	return p.members(func(string) error { return p.skipValue(depth + 1) })
}

func (p *jsonParser) skipArray(depth int) error {
	return p.elements(func() error { return p.skipValue(depth + 1) })
}

// skipString validates a string like string does, without decoding it. A
// surrogate pair's second escape is valid on its own, so it need not be
// treated apart.
func (p *jsonParser) skipString() error {
	p.i++ // opening quote
	for p.i < len(p.s) {
		p.i = plainRun(p.s, p.i)
		if p.i >= len(p.s) {
			break
		}
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return nil
		case c < 0x20:
			return p.errorf("control character in string")
		case c != '\\':
			p.i++
			continue
		}
		p.i++
		if p.i >= len(p.s) {
			break
		}
		e := p.s[p.i]
		p.i++
		switch e {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		case 'u':
			if _, ok := p.hex4(); !ok {
				return p.errorf("invalid \\u escape in string")
			}
		default:
			return p.errorf("invalid escape in string")
		}
	}
	return p.errorf("unterminated string")
}

// plainRun returns the first index at or after i, rounded down to a word,
// whose 8-byte word holds a quote, a backslash or a control character: the
// bytes before it need no look (hash values and URLs are long runs of them).
func plainRun(s string, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		quote, backslash := w^(ones*'"'), w^(ones*'\\')
		// A zero byte in quote or backslash, or a byte below 0x20 in w.
		special := (quote-ones)&^quote | (backslash-ones)&^backslash | (w-ones*0x20)&^w
		if special&highs != 0 {
			return i
		}
	}
	return i
}
