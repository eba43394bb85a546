package admin

import (
	"errors"
	"fmt"

	"github.com/balrog-go/balrog/blobs"
)

// The v1 3-way merge of admin.md §5.3: a v1 release write whose
// data_version is stale is merged with the writes made since (Balrog's
// merge_dicts / merge_lists in auslib.blobs.base). ancestor is the blob at
// the writer's data_version (from releases_history), tip the blob now
// stored, incoming the blob the writer wants stored.

// errMergeConflict is a merge Balrog refuses (its ValueError "Cannot merge
// blobs: …"); the write then fails with the original OutdatedDataError.
type errMergeConflict struct{ msg string }

func (e *errMergeConflict) Error() string { return e.msg }

// pyType is Python's type() of a decoded JSON value, for the type checks of
// merge_dicts and merge_lists (bool is a type of its own, a subclass of
// int).
type pyType uint8

const (
	tyNone pyType = iota
	tyBool
	tyInt
	tyFloat
	tyStr
	tyList
	tyDict
)

func typeOf(v *blobs.Ordered) pyType {
	if v == nil {
		return tyNone
	}
	switch v.Kind() {
	case blobs.KindBool:
		return tyBool
	case blobs.KindInt:
		return tyInt
	case blobs.KindFloat:
		return tyFloat
	case blobs.KindString:
		return tyStr
	case blobs.KindArray:
		return tyList
	case blobs.KindObject:
		return tyDict
	}
	return tyNone
}

// isInstance is Python's isinstance(v, t) for JSON values: a bool is also
// an int.
func isInstance(v *blobs.Ordered, t pyType) bool {
	vt := typeOf(v)
	return vt == t || (vt == tyBool && t == tyInt)
}

// mergeBlobs merges three blobs (JSON objects) and returns the merged blob
// as Balrog stores it (json.dumps: ", " and ": " separators, ensure_ascii).
//
// Balrog builds the result as a new dict filled while iterating over a
// Python set of the keys, so its key order is the set's (string hashes are
// randomised per process: no fixed order to reproduce). Here the keys of
// every object come in first-seen order over ancestor, tip and incoming,
// like the elements of merged lists: the stored keys keep their place and
// new keys follow, as dict assignment would have put them.
func mergeBlobs(ancestor, tip, incoming *blobs.Ordered) ([]byte, error) {
	for _, o := range []*blobs.Ordered{ancestor, tip, incoming} {
		if o == nil || o.Kind() != blobs.KindObject {
			return nil, errors.New("merge: blob is not a JSON object")
		}
	}
	return mergeDicts(nil, ancestor, tip, incoming)
}

// emptyDict is the {} of d.get(key, {}).
var emptyDict = blobs.NewOrderedObject()

// mergeDicts appends the merge of three objects to b.
func mergeDicts(b []byte, a, l, r *blobs.Ordered) ([]byte, error) {
	dicts := [3]*blobs.Ordered{a, l, r}
	var keys []string
	seen := map[string]bool{}
	for _, d := range dicts {
		for _, k := range d.Keys() {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	b = append(b, '{')
	for i, key := range keys {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = blobs.NewOrderedString(key).AppendPyJSON(b, blobs.PyJSONOptions{})
		b = append(b, ": "...)
		// vals are the key's values, nil where absent (a null value is
		// present, of Kind KindNull).
		var vals [3]*blobs.Ordered
		types := map[pyType]bool{}
		anyDict, anyList := false, false
		for j, d := range dicts {
			v := d.Get(key)
			vals[j] = v
			if t := typeOf(v); t != tyNone {
				types[t] = true
				anyDict = anyDict || t == tyDict
				anyList = anyList || t == tyList
			}
		}
		if len(types) > 1 {
			return nil, &errMergeConflict{fmt.Sprintf("Cannot merge blobs: type mismatch for '%s'", key)}
		}
		var err error
		switch {
		case anyDict:
			// merge_dicts(*[d.get(key, {}) for d in dicts]): a key holding
			// null passes None, on which Balrog fails (AttributeError, a
			// 500).
			var sub [3]*blobs.Ordered
			for j, v := range vals {
				switch {
				case v == nil:
					sub[j] = emptyDict
				case v.Kind() != blobs.KindObject:
					return nil, fmt.Errorf("merge: %q is null on one side and an object on another", key)
				default:
					sub[j] = v
				}
			}
			b, err = mergeDicts(b, sub[0], sub[1], sub[2])
			if err != nil {
				return nil, err
			}
		case anyList:
			var lists [][]*blobs.Ordered
			for _, v := range vals {
				switch {
				case v == nil:
				case v.Kind() != blobs.KindArray:
					return nil, fmt.Errorf("merge: %q is null on one side and a list on another", key)
				default:
					lists = append(lists, v.Elems())
				}
			}
			b = appendList(b, mergeLists(lists...))
		default:
			v, err := mergeScalar(key, vals[0], vals[1], vals[2])
			if err != nil {
				return nil, err
			}
			b = v.AppendPyJSON(b, blobs.PyJSONOptions{})
		}
	}
	return append(b, '}'), nil
}

// mergeScalar is merge_dicts on a key whose values are neither dicts nor
// lists (nil: the key is absent from that blob).
func mergeScalar(key string, a, l, r *blobs.Ordered) (*blobs.Ordered, error) {
	both := &errMergeConflict{fmt.Sprintf("Cannot merge blobs: left and right are both changing '%s'", key)}
	if a != nil {
		if l != nil && r != nil && !a.Equal(l) && !a.Equal(r) {
			return nil, both
		}
		switch {
		case l != nil && !a.Equal(l):
			return l, nil
		case r != nil && !a.Equal(r):
			return r, nil
		}
		return a, nil
	}
	if l != nil && r != nil && !l.Equal(r) {
		return nil, both
	}
	if l != nil {
		return l, nil
	}
	return r, nil
}

// mergeLists is Balrog's merge_lists: the lists as sets, in first-seen
// order; an item equal to one already kept is added again only when it is
// not an instance of the kept item's type (1 after True is kept, True
// after 1 is not).
func mergeLists(lists ...[]*blobs.Ordered) []*blobs.Ordered {
	var out []*blobs.Ordered
	for _, list := range lists {
		for _, item := range list {
			found := -1
			for j, kept := range out {
				if kept.Equal(item) {
					found = j
					break
				}
			}
			if found < 0 || !isInstance(item, typeOf(out[found])) {
				out = append(out, item)
			}
		}
	}
	return out
}

func appendList(b []byte, items []*blobs.Ordered) []byte {
	b = append(b, '[')
	for i, it := range items {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = it.AppendPyJSON(b, blobs.PyJSONOptions{})
	}
	return append(b, ']')
}
