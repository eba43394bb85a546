package blobs

import (
	"math"
	"math/big"
	"slices"
	"strings"
)

// Ordered is a JSON value as Python's json.loads gives it, for code that
// edits a blob and stores it back the way Balrog does: objects keep their
// keys in document order (a repeated key keeps its first position and its
// last value), Set and Update follow dict semantics (an existing key is
// replaced in place, a new key is appended), and PyJSON writes the text
// json.dumps would. Number literals are kept as written and only normalised
// on output, as Python's int and float would print them.
//
// An Ordered is a mutable tree; values set into it are not copied, so a
// value must not be set into two trees that are then edited separately
// (Clone it).
type Ordered struct {
	kind Kind
	// text is the decoded string, the number literal, or "true"/"false".
	text string
	// keys are the keys of an object, parallel to elems; elems also holds
	// the elements of an array.
	keys  []string
	elems []*Ordered
}

// ParseOrdered parses one JSON document the way Python's json.loads does
// (see node), keeping object key order.
func ParseOrdered(data []byte) (*Ordered, error) {
	n, err := parseJSON(data)
	if err != nil {
		return nil, err
	}
	return orderedOf(&n), nil
}

func orderedOf(n *node) *Ordered {
	o := &Ordered{kind: n.kind, text: n.str}
	switch n.kind {
	case KindObject:
		o.keys = slices.Clone(n.keys)
		fallthrough
	case KindArray:
		o.elems = make([]*Ordered, len(n.elems))
		for i := range n.elems {
			o.elems[i] = orderedOf(&n.elems[i])
		}
	}
	return o
}

// toNode converts o back to the parser's tree.
func (o *Ordered) toNode() node {
	n := node{kind: o.kind, str: o.text}
	switch o.kind {
	case KindObject:
		n.keys = slices.Clone(o.keys)
		fallthrough
	case KindArray:
		n.elems = make([]node, len(o.elems))
		for i, e := range o.elems {
			n.elems[i] = e.toNode()
		}
	}
	return n
}

// NewOrderedObject returns an empty object.
func NewOrderedObject() *Ordered { return &Ordered{kind: KindObject} }

// NewOrderedString returns the string s.
func NewOrderedString(s string) *Ordered { return &Ordered{kind: KindString, text: s} }

// Kind returns the JSON kind of o.
func (o *Ordered) Kind() Kind { return o.kind }

// Len returns the number of members of an object or array, else 0.
func (o *Ordered) Len() int { return len(o.elems) }

// Keys returns the keys of an object in order (nil for other kinds).
func (o *Ordered) Keys() []string { return slices.Clone(o.keys) }

// Elems returns the elements of an array in order (nil for other kinds).
func (o *Ordered) Elems() []*Ordered {
	if o.kind != KindArray {
		return nil
	}
	return slices.Clone(o.elems)
}

func (o *Ordered) index(key string) int {
	if o.kind != KindObject {
		return -1
	}
	return slices.Index(o.keys, key)
}

// Get returns the value of key in an object, or nil when o is not an object
// or has no such key.
func (o *Ordered) Get(key string) *Ordered {
	if i := o.index(key); i >= 0 {
		return o.elems[i]
	}
	return nil
}

// Has reports whether the object o has key (`key in d`).
func (o *Ordered) Has(key string) bool { return o.index(key) >= 0 }

// Set is Python's d[key] = v on an object: an existing key keeps its
// position and takes v, a new key is appended. It does nothing when o is
// not an object.
func (o *Ordered) Set(key string, v *Ordered) {
	if o.kind != KindObject {
		return
	}
	if i := o.index(key); i >= 0 {
		o.elems[i] = v
		return
	}
	o.keys = append(o.keys, key)
	o.elems = append(o.elems, v)
}

// Update is Python's d.update(src) for two objects: each key of src, in
// src's order, is Set into o.
func (o *Ordered) Update(src *Ordered) {
	if src.kind != KindObject {
		return
	}
	for i, k := range src.keys {
		o.Set(k, src.elems[i])
	}
}

// Clone returns a deep copy of o.
func (o *Ordered) Clone() *Ordered {
	c := &Ordered{kind: o.kind, text: o.text, keys: slices.Clone(o.keys)}
	if o.elems != nil {
		c.elems = make([]*Ordered, len(o.elems))
		for i, e := range o.elems {
			c.elems[i] = e.Clone()
		}
	}
	return c
}

// scalar returns o as a Value (o must not be an array or object).
func (o *Ordered) scalar() Value {
	return valueOf(&node{kind: o.kind, str: o.text})
}

// Truthy reports Python truthiness (bool(v)).
func (o *Ordered) Truthy() bool {
	switch o.kind {
	case KindArray, KindObject:
		return len(o.elems) > 0
	case KindFloat:
		f := parseFloatLiteral(o.text)
		return f != 0 // NaN is true
	}
	return o.scalar().Truthy()
}

// String returns Python's str() of o: strings verbatim, other values as
// repr() prints them.
func (o *Ordered) String() string {
	switch o.kind {
	case KindArray, KindObject:
		return o.Repr()
	}
	return o.scalar().String()
}

// Repr returns Python's repr() of o.
func (o *Ordered) Repr() string {
	n := o.toNode()
	return string(appendPyRepr(nil, &n))
}

// Equal is Python's == on the decoded values: numbers (and booleans, which
// are ints in Python) compare by value, objects by their key sets whatever
// the order.
func (o *Ordered) Equal(p *Ordered) bool {
	if o == nil || p == nil {
		return o == p
	}
	on, pn := o.isNumber(), p.isNumber()
	if on || pn {
		return on && pn && numEqual(o, p)
	}
	if o.kind != p.kind || len(o.elems) != len(p.elems) {
		return false
	}
	switch o.kind {
	case KindString:
		return o.text == p.text
	case KindArray:
		for i := range o.elems {
			if !o.elems[i].Equal(p.elems[i]) {
				return false
			}
		}
	case KindObject:
		for i, k := range o.keys {
			if !o.elems[i].Equal(p.Get(k)) {
				return false
			}
		}
	}
	return true
}

func (o *Ordered) isNumber() bool {
	return o.kind == KindInt || o.kind == KindFloat || o.kind == KindBool
}

// intOf returns an int or bool as a big.Int.
func (o *Ordered) intOf() *big.Int {
	switch o.kind {
	case KindBool:
		if o.text == "true" {
			return big.NewInt(1)
		}
		return big.NewInt(0)
	}
	i, _ := new(big.Int).SetString(o.text, 10)
	if i == nil {
		i = new(big.Int)
	}
	return i
}

func numEqual(a, b *Ordered) bool {
	if a.kind != KindFloat && b.kind != KindFloat {
		return a.intOf().Cmp(b.intOf()) == 0
	}
	if a.kind == KindFloat && b.kind == KindFloat {
		return parseFloatLiteral(a.text) == parseFloatLiteral(b.text)
	}
	if b.kind == KindFloat {
		a, b = b, a
	}
	// a is a float, b an int: Python compares them exactly.
	f := parseFloatLiteral(a.text)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return false
	}
	bf, _ := new(big.Float).SetInt(b.intOf()).Float64()
	if bf != f {
		return false
	}
	fi, _ := new(big.Float).SetFloat64(f).Int(nil)
	return fi.Cmp(b.intOf()) == 0
}

// PyJSONOptions are the json.dumps arguments PyJSON supports.
type PyJSONOptions struct {
	// SortKeys is sort_keys=True.
	SortKeys bool
	// Indent > 0 is indent=Indent with separators (",", ": "); otherwise
	// the output is on one line with the default separators (", ", ": ").
	Indent int
}

// PyJSON returns json.dumps(o) with default settings: ", " and ": "
// separators, ensure_ascii, keys in insertion order — the text Balrog
// stores in the releases table.
func (o *Ordered) PyJSON() []byte { return o.AppendPyJSON(nil, PyJSONOptions{}) }

// AppendPyJSON appends json.dumps(o, ...) with the given options.
func (o *Ordered) AppendPyJSON(b []byte, opts PyJSONOptions) []byte {
	return o.appendPyJSON(b, opts, 0)
}

func (o *Ordered) appendPyJSON(b []byte, opts PyJSONOptions, depth int) []byte {
	switch o.kind {
	case KindArray, KindObject:
	default:
		return appendPyJSONValue(b, o.scalar())
	}
	open, close := byte('['), byte(']')
	if o.kind == KindObject {
		open, close = '{', '}'
	}
	if len(o.elems) == 0 {
		return append(b, open, close)
	}
	order := make([]int, len(o.elems))
	for i := range order {
		order[i] = i
	}
	if o.kind == KindObject && opts.SortKeys {
		slices.SortStableFunc(order, func(i, j int) int { return strings.Compare(o.keys[i], o.keys[j]) })
	}
	b = append(b, open)
	for n, i := range order {
		if n > 0 {
			if opts.Indent > 0 {
				b = append(b, ',')
			} else {
				b = append(b, ", "...)
			}
		}
		if opts.Indent > 0 {
			b = appendNewline(b, opts.Indent*(depth+1))
		}
		if o.kind == KindObject {
			b = appendPyJSONString(b, o.keys[i])
			b = append(b, ": "...)
		}
		b = o.elems[i].appendPyJSON(b, opts, depth+1)
	}
	if opts.Indent > 0 {
		b = appendNewline(b, opts.Indent*depth)
	}
	return append(b, close)
}

func appendNewline(b []byte, spaces int) []byte {
	b = append(b, '\n')
	for range spaces {
		b = append(b, ' ')
	}
	return b
}
