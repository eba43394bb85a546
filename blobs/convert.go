package blobs

import "fmt"

// This file holds helpers that turn parsed JSON nodes into the typed blob
// structures. The reference works on plain dicts and only fails when it
// touches a value of the wrong type, so structural problems below the top
// level are recorded (as a *typeError) and reported when rendering reaches
// them, not when the blob is parsed.

// typeError describes a part of a blob whose JSON type the reference cannot
// work with; using that part is a server error.
type typeError struct {
	blob string
	path string
	want string
}

func (e *typeError) Error() string {
	return fmt.Sprintf("blobs: %s: %s is not %s", e.blob, e.path, e.want)
}

// valueMap converts an object of scalars into a map of Values. ok is false
// when n is present but not an object.
func valueMap(n *node) (m map[string]Value, ok bool) {
	if n == nil {
		return nil, true
	}
	if n.kind != KindObject {
		return nil, false
	}
	m = make(map[string]Value, len(n.keys))
	for i, k := range n.keys {
		m[k] = valueOf(&n.elems[i])
	}
	return m, true
}

// stringList converts an array of strings. ok is false when n is present
// but not an array of strings.
func stringList(n *node) (list []string, ok bool) {
	if n == nil {
		return nil, true
	}
	if n.kind != KindArray {
		return nil, false
	}
	list = make([]string, len(n.elems))
	for i := range n.elems {
		if n.elems[i].kind != KindString {
			return nil, false
		}
		list[i] = n.elems[i].str
	}
	return list, true
}

// valueList converts an array into Values.
func valueList(n *node) []Value {
	list := make([]Value, len(n.elems))
	for i := range n.elems {
		list[i] = valueOf(&n.elems[i])
	}
	return list
}

// stringOf returns the text of a string value, or a typeError.
func (v Value) stringOf(blob, path string) (string, error) {
	if v.kind != KindString {
		if v.kind == KindAbsent {
			return "", fmt.Errorf("blobs: %s: %s is missing", blob, path)
		}
		return "", &typeError{blob: blob, path: path, want: "a string"}
	}
	return v.text, nil
}

// required returns the Value or an error when the key is missing (the
// reference's KeyError).
func (v Value) required(blob, path string) (Value, error) {
	if v.kind == KindAbsent {
		return v, fmt.Errorf("blobs: %s: %s is missing", blob, path)
	}
	return v, nil
}
