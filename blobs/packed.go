package blobs

import (
	"encoding/binary"
	"errors"
	"strings"
)

// The locale objects of a large app-release blob (100 platforms × 100
// locales) are nearly all of its text, and a request reads one of them.
// Parse keeps them as text, to be parsed on first use; Compact then
// replaces that text with a packed form: a compact encoding of the JSON
// value in which object keys and short strings are references into a
// per-blob table of distinct strings and lower-case hex strings (hash
// values) are stored as bytes. It holds about a third of the text's bytes,
// and the blob's text is freed.

// Tags of the packed encoding. Objects and arrays end with packEnd.
const (
	packNull byte = iota
	packTrue
	packFalse
	packInt    // varint length, number literal
	packFloat  // varint length, number literal (incl. NaN, ±Infinity)
	packString // varint length, text
	packRef    // varint index into the table
	packHex    // varint byte count, bytes: a lower-case hex string
	packArray  // values, packEnd
	packObject // (varint key index+1, value)*, varint 0
	packEnd
)

// packMaxRef is the longest string value kept in the table; longer ones
// (URLs, mostly unique) are stored inline.
const packMaxRef = 64

// packMinHex is the shortest hex string stored as bytes.
const packMinHex = 16

// packTable is the per-blob table of distinct keys and short strings. It is
// filled while the blob is parsed and read-only afterwards.
type packTable struct {
	strs  []string
	index map[string]uint32
}

func newPackTable() *packTable { return &packTable{index: map[string]uint32{}} }

// ref returns the index of s, adding a copy of it when new.
func (t *packTable) ref(s string) uint32 {
	if i, ok := t.index[s]; ok {
		return i
	}
	i := uint32(len(t.strs))
	s = strings.Clone(s)
	t.strs = append(t.strs, s)
	t.index[s] = i
	return i
}

// seal drops the build index; the table is read-only from then on.
func (t *packTable) seal() {
	if t != nil {
		t.index = nil
	}
}

func isLowerHex(s string) bool {
	if len(s) < packMinHex || len(s)%2 != 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func unhex(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return c - 'a' + 10
}

func (t *packTable) appendString(dst []byte, s string) []byte {
	switch {
	case isLowerHex(s):
		dst = append(dst, packHex)
		dst = binary.AppendUvarint(dst, uint64(len(s)/2))
		for i := 0; i < len(s); i += 2 {
			dst = append(dst, unhex(s[i])<<4|unhex(s[i+1]))
		}
	case len(s) <= packMaxRef:
		dst = append(dst, packRef)
		dst = binary.AppendUvarint(dst, uint64(t.ref(s)))
	default:
		dst = append(dst, packString)
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		dst = append(dst, s...)
	}
	return dst
}

// packValue reads one JSON value at p.i, accepting exactly what value
// accepts with the same errors, and appends its packed form to dst.
func (p *jsonParser) packValue(dst []byte, depth int, t *packTable) ([]byte, error) {
	if depth > maxDepth {
		return nil, p.errorf("nesting too deep")
	}
	if p.i >= len(p.s) {
		return nil, p.errorf("unexpected end of input")
	}
	switch p.s[p.i] {
	case '{':
		return p.packObject(dst, depth, t)
	case '[':
		return p.packArray(dst, depth, t)
	case '"':
		s, err := p.string()
		if err != nil {
			return nil, err
		}
		return t.appendString(dst, s), nil
	}
	var lit string
	tag := packFloat
	switch c := p.s[p.i]; {
	case c == 't' && p.literal("true"):
		return append(dst, packTrue), nil
	case c == 'f' && p.literal("false"):
		return append(dst, packFalse), nil
	case c == 'n' && p.literal("null"):
		return append(dst, packNull), nil
	case c == 'N' && p.literal("NaN"):
		lit = "NaN"
	case c == 'I' && p.literal("Infinity"):
		lit = "Infinity"
	case c == '-' && p.literal("-Infinity"):
		lit = "-Infinity"
	case c == '-' || ('0' <= c && c <= '9'):
		n, err := p.number()
		if err != nil {
			return nil, err
		}
		if lit = n.str; n.kind == KindInt {
			tag = packInt
		}
	default:
		return nil, p.errorf("unexpected character %q", c)
	}
	dst = append(dst, tag)
	dst = binary.AppendUvarint(dst, uint64(len(lit)))
	return append(dst, lit...), nil
}

func (p *jsonParser) packObject(dst []byte, depth int, t *packTable) ([]byte, error) {
	dst = append(dst, packObject)
	err := p.members(func(key string) error {
		dst = binary.AppendUvarint(dst, uint64(t.ref(key))+1)
		var err error
		dst, err = p.packValue(dst, depth+1, t)
		return err
	})
	if err != nil {
		return nil, err
	}
	return append(dst, 0), nil
}

func (p *jsonParser) packArray(dst []byte, depth int, t *packTable) ([]byte, error) {
	dst = append(dst, packArray)
	err := p.elements(func() error {
		var err error
		dst, err = p.packValue(dst, depth+1, t)
		return err
	})
	if err != nil {
		return nil, err
	}
	return append(dst, packEnd), nil
}

// errPacked reports a packed value that does not decode; packValue never
// writes one.
var errPacked = errors.New("blobs: corrupt packed value")

// unpacker decodes a packed value into the node parseJSON would have made
// of its text.
type unpacker struct {
	s string
	i int
	t *packTable
}

// unpack decodes the packed form s made with table t.
func unpack(s string, t *packTable) (node, error) {
	u := unpacker{s: s, t: t}
	n, err := u.value()
	if err == nil && u.i != len(u.s) {
		err = errPacked
	}
	return n, err
}

// uvarint reads a varint as binary.AppendUvarint writes it.
func (u *unpacker) uvarint() (int, error) {
	var v uint64
	for shift := 0; u.i < len(u.s) && shift < 63; shift += 7 {
		c := u.s[u.i]
		u.i++
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			if v > 1<<31 {
				return 0, errPacked
			}
			return int(v), nil
		}
	}
	return 0, errPacked
}

// bytes returns the next n bytes.
func (u *unpacker) bytes(n int) (string, error) {
	if n > len(u.s)-u.i {
		return "", errPacked
	}
	s := u.s[u.i : u.i+n]
	u.i += n
	return s, nil
}

func (u *unpacker) ref() (string, error) {
	i, err := u.uvarint()
	if err != nil || i >= len(u.t.strs) {
		return "", errPacked
	}
	return u.t.strs[i], nil
}

func (u *unpacker) value() (node, error) {
	if u.i >= len(u.s) {
		return node{}, errPacked
	}
	tag := u.s[u.i]
	u.i++
	switch tag {
	case packNull:
		return node{kind: KindNull}, nil
	case packTrue:
		return node{kind: KindBool, str: "true"}, nil
	case packFalse:
		return node{kind: KindBool, str: "false"}, nil
	case packInt, packFloat, packString:
		n, err := u.uvarint()
		if err != nil {
			return node{}, err
		}
		s, err := u.bytes(n)
		kind := KindString
		switch tag {
		case packInt:
			kind = KindInt
		case packFloat:
			kind = KindFloat
		}
		return node{kind: kind, str: s}, err
	case packRef:
		s, err := u.ref()
		return node{kind: KindString, str: s}, err
	case packHex:
		n, err := u.uvarint()
		if err != nil {
			return node{}, err
		}
		b, err := u.bytes(n)
		if err != nil {
			return node{}, err
		}
		const digits = "0123456789abcdef"
		h := make([]byte, 2*len(b))
		for i := 0; i < len(b); i++ {
			h[2*i], h[2*i+1] = digits[b[i]>>4], digits[b[i]&15]
		}
		return node{kind: KindString, str: string(h)}, nil
	case packArray:
		n := node{kind: KindArray, elems: []node{}}
		for {
			if u.i < len(u.s) && u.s[u.i] == packEnd {
				u.i++
				return n, nil
			}
			v, err := u.value()
			if err != nil {
				return node{}, err
			}
			n.elems = append(n.elems, v)
		}
	case packObject:
		return u.object()
	}
	return node{}, errPacked
}

// object decodes an object as objectRole parses one: a repeated key keeps
// its first position and takes the last value.
func (u *unpacker) object() (node, error) {
	n := node{kind: KindObject}
	for {
		k, err := u.uvarint()
		if err != nil || k > len(u.t.strs) {
			return node{}, errPacked
		}
		if k == 0 {
			return n, nil
		}
		key := u.t.strs[k-1]
		v, err := u.value()
		if err != nil {
			return node{}, err
		}
		if pos := n.index(key); pos >= 0 {
			n.elems[pos] = v
			continue
		}
		n.keys = append(n.keys, key)
		n.elems = append(n.elems, v)
	}
}

// index returns the position of key in an object node, or -1.
func (n *node) index(key string) int {
	for i := range n.keys {
		if n.keys[i] == key {
			return i
		}
	}
	return -1
}

// Compact replaces the JSON text of the blob's unparsed locales with their
// packed form, one string per platform, so that the blob's text can be
// freed; a locale parsed meanwhile keeps its parse. It is safe while the
// blob serves requests (readers see either form), and a second call does
// nothing. It returns the bytes of text replaced and of their packed form.
func (r *AppRelease) Compact() (text, packed int) {
	type swap struct {
		pl        *platformLocales
		old, next *localeTexts
	}
	var (
		swaps   []swap
		scratch []byte
	)
	table := newPackTable()
	for _, p := range r.Platforms {
		if p.locales == nil {
			continue
		}
		next, old, t, n, buf := p.locales.pack(table, scratch)
		scratch = buf
		if next != nil {
			swaps = append(swaps, swap{p.locales, old, next})
			text += t
			packed += n
		}
	}
	// The table is complete before any platform refers to it.
	table.seal()
	for _, s := range swaps {
		s.pl.texts.CompareAndSwap(s.old, s.next)
	}
	return text, packed
}
