package admin

import (
	"encoding/json"
	"fmt"

	"github.com/balrog-go/balrog/blobs"
)

// Balrog keeps blobs as Python dicts: json.loads keeps the key order of the
// stored text, edits replace existing keys in place and append new ones,
// and the blob is stored back as json.dumps(blob) (", " and ": "
// separators, ensure_ascii, insertion order). Views that edit a stored blob
// therefore work on blobs.Ordered rather than Go maps, whose encoding sorts
// the keys: the stored order shows wherever a blob is echoed unsorted (the
// Python repr in validation errors, the single-locale GET).

// parseOrderedObject parses JSON text that must hold an object.
func parseOrderedObject(data []byte) (*blobs.Ordered, error) {
	o, err := blobs.ParseOrdered(data)
	if err != nil {
		return nil, err
	}
	if o.Kind() != blobs.KindObject {
		return nil, fmt.Errorf("not a JSON object")
	}
	return o, nil
}

// orderedValue converts a value decoded by readBody (json.Number numbers)
// into an Ordered value; nil stays nil.
func orderedValue(v any) *blobs.Ordered {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	o, err := blobs.ParseOrdered(b)
	if err != nil {
		return nil
	}
	return o
}

// releaseJSON renders a stored blob as GET /releases/{name} does:
// json.dumps(blob, sort_keys=True), with indent=4 and separators (",", ": ")
// when pretty. Text that does not parse is returned as it is.
func releaseJSON(data []byte, pretty bool) []byte {
	o, err := blobs.ParseOrdered(data)
	if err != nil {
		return data
	}
	opts := blobs.PyJSONOptions{SortKeys: true}
	if pretty {
		opts.Indent = 4
	}
	return o.AppendPyJSON(nil, opts)
}
