package blobs

import (
	"fmt"
	"math/bits"
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
	// ref is, for a kindPackedObject node, the index of its span in the
	// lazy parser's packBuilder.
	ref uint32
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
	// packed into it; second is the builder of the second half of a
	// "platforms" object read in parallel (split.go).
	lazy, second *packBuilder
	// clone copies every string made, so that nothing made refers to the
	// text (Parse does not keep its input); keys holds one copy of each
	// object key (the same hundred locale codes recur in every platform).
	clone bool
	keys  map[string]string
	// localesLen is how many locales the last "locales" object had.
	localesLen int
	// skim selects ParseDeferred's first reading, which only locates the
	// "locales" objects of an app-release blob: deferred holds the start
	// and end of each, in the order they were read (deferred.go).
	skim     bool
	deferred []uint32
	// inOrder keeps the lazy parser to one goroutine.
	inOrder bool
	// hints holds recent object keys, by member position and first byte,
	// that were written without escapes: a key whose text is the same is
	// that key (thousands of locale objects repeat the same few keys).
	hints [64]string
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
	var o objectNode
	if role == roleLocales && p.localesLen > 0 {
		// Platforms mostly have the same locales: room for as many as
		// the last one had saves growing the object member by member.
		o.n.keys, o.n.elems = make([]string, 0, p.localesLen), make([]node, 0, p.localesLen)
	}
	err := p.members(p.memberInto(&o, depth, role))
	if err != nil {
		return node{}, err
	}
	if role == roleLocales {
		p.localesLen = len(o.n.keys)
	}
	return o.node(), nil
}

// memberInto returns the members callback that reads a member's value,
// found at depth+1 in an object of role role, into o.
func (p *jsonParser) memberInto(o *objectNode, depth int, role lazyRole) func(key string) error {
	return func(key string) error {
		if p.clone {
			key = p.cloneKey(key)
		}
		v, err := p.valueRole(depth+1, childRole(role, key))
		if err != nil {
			return err
		}
		o.set(key, v)
		return nil
	}
}

// objectNode builds an object node as Python's dict is built: a repeated
// key keeps its first position and takes the last value.
type objectNode struct {
	n     node
	index map[string]int // built for large objects to find repeated keys
}

func (o *objectNode) set(key string, v node) {
	n := &o.n
	pos := -1
	if o.index != nil {
		if j, ok := o.index[key]; ok {
			pos = j
		}
	} else {
		pos = n.index(key)
	}
	if pos >= 0 {
		n.elems[pos] = v
		return
	}
	n.keys = append(n.keys, key)
	n.elems = append(n.elems, v)
	if o.index != nil {
		o.index[key] = len(n.keys) - 1
	} else if len(n.keys) > 16 {
		o.index = make(map[string]int, 2*len(n.keys))
		for j, k := range n.keys {
			o.index[k] = j
		}
	}
}

// node returns the object built.
func (o *objectNode) node() node {
	o.n.kind = KindObject
	return o.n
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
	return p.membersFrom(fn)
}

// membersFrom reads the members of an object from p.i, where a member
// starts (after the '{' or a ','), to the end of the object.
func (p *jsonParser) membersFrom(fn func(key string) error) error {
	for m := 0; ; m++ {
		p.skipSpace()
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return p.errorf("expected object key")
		}
		key, err := p.key(m)
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

// key reads the key at p.i, the object's member m, as string does.
func (p *jsonParser) key(m int) (string, error) {
	start := p.i
	slot := 0
	if start+1 < len(p.s) {
		slot = (m*31 + int(p.s[start+1])) & (len(p.hints) - 1)
		if h := p.hints[slot]; h != "" {
			if end := start + 1 + len(h); end < len(p.s) && p.s[end] == '"' && p.s[start+1:end] == h {
				p.i = end + 1
				return h, nil
			}
		}
	}
	key, err := p.string()
	if err == nil && p.i-start == len(key)+2 && key != "" {
		p.hints[slot] = key // written without escapes
	}
	return key, err
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
	p.i = specialByte(p.s, p.i)
	if p.i >= len(p.s) {
		return "", p.errorf("unterminated string")
	}
	switch c := p.s[p.i]; {
	case c == '"':
		s := p.s[start:p.i]
		p.i++
		return s, nil
	case c < 0x20:
		return "", p.errorf("control character in string")
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

// kindPackedObject marks a node whose value is an object that was packed
// (packed.go) rather than parsed: ref is the index of its span in the
// packBuilder. Only parseJSONLazy makes them, for the locale objects of an
// app-release blob (platforms.*.locales.*).
const kindPackedObject Kind = 255

// kindDeferredObject marks a node whose value is an object that was only
// located, not read (ParseDeferred's first reading): ref is the index of
// its span in the parser's deferred list.
const kindDeferredObject Kind = 254

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
// values of platforms.*.locales.* are packed as they are read (packing
// accepts exactly what parsing does, with the same errors) and kept as
// kindPackedObject nodes; with split, a large "platforms" object is read by
// two goroutines (split.go). It returns the builders the nodes refer to (a
// node's ref names its builder). Nothing made refers to data.
func parseJSONLazy(data []byte, split bool) (node, []*packBuilder, error) {
	// The text is read in place, not copied: every string made is a copy.
	p := jsonParser{s: unsafe.String(unsafe.SliceData(data), len(data)), lazy: newPackBuilder(0, len(data)), clone: true, inOrder: !split}
	builders := []*packBuilder{p.lazy}
	p.skipSpace()
	n, err := p.valueRole(0, roleRoot)
	if p.second != nil {
		builders = append(builders, p.second)
	}
	if err == nil {
		if p.skipSpace(); p.i != len(p.s) {
			err = p.errorf("extra data")
		}
	}
	if err != nil {
		releaseAll(builders)
		return node{}, nil, err
	}
	return n, builders, nil
}

// valueRole is value for the lazy parser.
func (p *jsonParser) valueRole(depth int, role lazyRole) (node, error) {
	if role == roleNone || (p.lazy == nil && !p.skim) {
		return p.value(depth)
	}
	if depth > maxDepth {
		return node{}, p.errorf("nesting too deep")
	}
	if p.i >= len(p.s) || p.s[p.i] != '{' {
		return p.value(depth)
	}
	switch role {
	case roleLocales:
		if p.skim {
			return p.deferObject()
		}
	case roleLocales + 1:
		return p.lazy.add(p, depth)
	case rolePlatforms:
		if p.lazy != nil && !p.inOrder && p.second == nil && len(p.s)-p.i >= splitMin {
			return p.splitPlatforms(depth)
		}
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

// specialByte returns the index of the first quote, backslash or control
// character at or after i, or len(s) (or more, when i is). It reads eight
// bytes at a time: hash values and URLs are long runs of plain bytes. The
// lowest byte the word test flags is always one of them (a false one can
// only follow a true one).
func specialByte(s string, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(s); i += 8 {
		w := le64(s[i : i+8])
		quote, backslash := w^(ones*'"'), w^(ones*'\\')
		// A zero byte in quote or backslash, or a byte below 0x20 in w.
		if m := ((quote-ones)&^quote | (backslash-ones)&^backslash | (w-ones*0x20)&^w) & highs; m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' || c < 0x20 {
			return i
		}
	}
	return i
}

// le64 reads the eight bytes of w as a little-endian word (one load: w's
// length is known).
func le64(w string) uint64 {
	_ = w[7]
	return uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
		uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
}
