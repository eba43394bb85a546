package blobs

import (
	"encoding/binary"
	"errors"
	"strings"
	"unsafe"
)

// The locale objects of a large app-release blob (100 platforms × 100
// locales) are nearly all of its text, and a request reads one of them.
// Parse packs them as it reads them, in the same pass that validates them:
// a compact encoding of the JSON value in which object keys and short
// strings are references into a per-blob table of distinct strings and
// lower-case hex strings (hash values) are stored as bytes. It holds less
// than half of the text's bytes, and a locale is decoded and parsed on
// first use (locales.go). The blob's text itself is not kept.

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
	// recent caches index lookups by a cheap hash of the string: a locale
	// object repeats the same few keys and values thousands of times.
	recent *[packRecent]packRecentRef
}

// packRecent is the size of packTable.recent, a power of two.
const packRecent = 64

// packRecentRef is a cached lookup: i is s's index plus one (0: empty).
type packRecentRef struct {
	s string
	i uint32
}

func newPackTable() *packTable {
	return &packTable{index: map[string]uint32{}, recent: new([packRecent]packRecentRef)}
}

// recentSlot hashes s's length and its first and last (up to) eight
// bytes into a slot of packTable.recent.
func recentSlot(s string) int {
	var head, tail uint64
	if n := len(s); n >= 8 {
		head, tail = le64(s[:8]), le64(s[n-8:])
	} else {
		for i := 0; i < n; i++ {
			head |= uint64(s[i]) << (8 * i)
		}
	}
	h := (head*0x9e3779b97f4a7c15 ^ tail*0xc2b2ae3d27d4eb4f) + uint64(len(s))*0x165667b19e3779f9
	return int(h >> (64 - 6))
}

// ref returns the index of s, adding a copy of it when new.
func (t *packTable) ref(s string) uint32 {
	slot := &t.recent[recentSlot(s)]
	if slot.i != 0 && slot.s == s {
		return slot.i - 1
	}
	i, ok := t.index[s]
	if !ok {
		i = uint32(len(t.strs))
		s = strings.Clone(s)
		t.strs = append(t.strs, s)
		t.index[s] = i
	}
	*slot = packRecentRef{t.strs[i], i + 1}
	return i
}

// seal drops the build index; the table is read-only from then on.
func (t *packTable) seal() {
	if t != nil {
		t.index, t.recent = nil, nil
	}
}

// appendString appends the packed form of string s.
func (t *packTable) appendString(dst []byte, s string) []byte {
	if len(s) >= packMinHex && len(s)%2 == 0 {
		if out, ok := appendPackedHex(dst, s); ok {
			return out
		}
	}
	if len(s) <= packMaxRef {
		dst = append(dst, packRef)
		return binary.AppendUvarint(dst, uint64(t.ref(s)))
	}
	dst = append(dst, packString)
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// appendPackedHex appends s as a packHex value when it is a lower-case hex
// string of even length; ok is false (and dst unchanged) otherwise.
func appendPackedHex(dst []byte, s string) (out []byte, ok bool) {
	n := len(dst)
	dst = append(dst, packHex)
	dst = binary.AppendUvarint(dst, uint64(len(s)/2))
	dst, i := appendHexRun(dst, s, 0)
	if i != len(s) {
		return dst[:n], false
	}
	return dst, true
}

// appendHexRun decodes the longest run of lower-case hex digit pairs of s
// from i, eight digits at a time, appends the bytes and returns the index
// after the run.
func appendHexRun(dst []byte, s string, i int) ([]byte, int) {
	const ones, highs, low4 = 0x0101010101010101, 0x8080808080808080, 0x0f0f0f0f0f0f0f0f
	for ; i+8 <= len(s); i += 8 {
		w := le64(s[i : i+8])
		// With every high bit clear, adding 0x80-lo sets a byte's high
		// bit when it is >= lo, adding 0x7f-hi when it is > hi, without
		// carries between bytes.
		digit := (w + ones*(0x80-'0')) &^ (w + ones*(0x7f-'9'))
		letter := (w + ones*(0x80-'a')) &^ (w + ones*(0x7f-'f'))
		if w&highs != 0 || (digit|letter)&highs != highs {
			break
		}
		// Nibble values ('a'–'f' are 1–6 in the low bits, plus 9), then
		// each pair of nibbles into a byte, then the four bytes together.
		v := w&low4 + (letter&highs)>>7*9
		v = (v&0x00ff00ff00ff00ff)<<4 | (v>>8)&0x00ff00ff00ff00ff
		v = (v | v>>8) & 0x0000ffff0000ffff
		v = (v | v>>16) & 0xffffffff
		dst = binary.LittleEndian.AppendUint32(dst, uint32(v))
	}
	for ; i+1 < len(s); i += 2 {
		hi, lo := hexDigit(s[i]), hexDigit(s[i+1])
		if hi > 15 || lo > 15 {
			break
		}
		dst = append(dst, hi<<4|lo)
	}
	return dst, i
}

// packHexString packs the string at p.i when it is a lower-case hex string
// that packs as bytes (most of a large blob's text: hash values), in one
// pass over its text; ok is false (and p and dst unchanged) otherwise.
func (p *jsonParser) packHexString(dst []byte) (out []byte, ok bool) {
	n := len(dst)
	start := p.i + 1
	// The length, patched below, is assumed to take one byte.
	dst, end := appendHexRun(append(dst, packHex, 0), p.s, start)
	size := (end - start) / 2
	if end >= len(p.s) || p.s[end] != '"' || end-start < packMinHex || size >= 0x80 {
		return dst[:n], false
	}
	dst[n+1] = byte(size)
	p.i = end + 1
	return dst, true
}

// hexDigit returns the value of a lower-case hex digit, or 255.
func hexDigit(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return 255
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
		if out, ok := p.packHexString(dst); ok {
			return out, nil
		}
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
		// A copy: the packed text may live outside the Go heap.
		return node{kind: kind, str: strings.Clone(s)}, err
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

// packBuilder collects the packed locale objects of one blob, or of one
// half of its platforms, as the lazy parser reads them.
type packBuilder struct {
	// id is the builder's index among the blob's builders (0 or 1).
	id    uint32
	table *packTable
	buf   []byte
	// spans holds the start and end in buf of each packed object, in the
	// order they were read.
	spans []uint32
	// size is the size of the text the builder packs from.
	size int
	// mapped is the mapping buf was first cut from (offheap_linux.go),
	// until finish hands it over or release releases it.
	mapped []byte
}

// hugePage is the size of a transparent huge page on amd64 and arm64.
const hugePage = 2 << 20

// smallPack is the largest pack buffer made on the Go heap rather than
// mapped (packBuilder.add).
const smallPack = 256 << 10

// packRefBits is how many bits of a kindPackedObject node's ref index the
// spans; the bit above them is its builder's id.
const packRefBits = 31

// newPackBuilder returns builder id for a text of size bytes.
func newPackBuilder(id uint32, size int) *packBuilder {
	return &packBuilder{id: id, table: newPackTable(), size: size}
}

// add packs the object at p.i, found at depth, and returns its node.
func (b *packBuilder) add(p *jsonParser, depth int) (node, error) {
	if b.buf == nil {
		// Packed locales take less than half of their text; the pages
		// of the mapping that are not written are not made. A small
		// buffer is not worth a huge page of its own (one platform's
		// locales, deferred.go): finish copies it out of the Go heap.
		if b.size/2 < smallPack {
			b.buf = make([]byte, 0, b.size/2)
		} else if b.mapped = mapBuffer(b.size / 2); b.mapped != nil {
			b.buf = b.mapped
		} else {
			b.buf = make([]byte, 0, b.size/2)
		}
	}
	start := len(b.buf)
	buf, err := p.packValue(b.buf, depth, b.table)
	if err != nil {
		return node{}, err
	}
	b.buf = buf
	b.spans = append(b.spans, uint32(start), uint32(len(buf)))
	return node{kind: kindPackedObject, ref: b.id<<packRefBits | uint32(len(b.spans)/2-1)}, nil
}

// release releases the builder's mapping, if it has one: its packed
// objects will not be used.
func (b *packBuilder) release() {
	if b.mapped != nil {
		unmapBuffer(b.mapped)
	}
	b.mapped, b.buf = nil, nil
}

// releaseAll releases the builders of a blob whose packed objects will not
// be used.
func releaseAll(builders []*packBuilder) {
	for _, b := range builders {
		b.release()
	}
}

// finishAll finishes the builders of a blob, in id order.
func finishAll(builders []*packBuilder) []*packedLocales {
	out := make([]*packedLocales, len(builders))
	for i, b := range builders {
		out[i] = b.finish()
	}
	return out
}

// span returns the packed text of a kindPackedObject node's ref.
func span(packed []*packedLocales, ref uint32) (pk *packedLocales, start, end uint32) {
	pk = packed[ref>>packRefBits]
	i := ref & (1<<packRefBits - 1)
	return pk, pk.spans[2*i], pk.spans[2*i+1]
}

// packedLocales are the packed locale objects of a parsed blob: object
// ref is text[spans[2ref]:spans[2ref+1]], packed with table. The text may
// be outside the Go heap (offheap_linux.go): only unpack reads it, and what it
// returns is copied out.
type packedLocales struct {
	text  string
	spans []uint32
	table *packTable
}

// finish seals the table and returns what was packed, outside the Go heap
// where it can be, in memory of its own size (the builder's buffer was
// sized for the worst case).
func (b *packBuilder) finish() *packedLocales {
	b.table.seal()
	pk := &packedLocales{spans: b.spans, table: b.table}
	switch {
	case len(b.buf) == 0:
		b.release()
	case b.mapped != nil && unsafe.SliceData(b.buf) == unsafe.SliceData(b.mapped):
		pk.text = keepMapped(pk, b.mapped, len(b.buf))
		b.mapped, b.buf = nil, nil
	default: // grown out of its mapping, or never mapped
		pk.text = storeOffHeap(pk, b.buf)
		b.release()
	}
	return pk
}
