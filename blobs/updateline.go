package blobs

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// This file renders the <update> line of V9 blobs (public.md §7.3.3).

// UpdateLineGroup is one group of V9's "updateLine": when every condition
// of For holds, Fields are set on the <update> line.
type UpdateLineGroup struct {
	For    []UpdateCondition
	Fields []UpdateField

	err       error // the group or its "for" is unusable
	fieldsErr error // "fields" is missing or not an object
}

// UpdateCondition is one key of a group's "for" object: "channels",
// "locales", "versions" or "buildIDs" (any other key never holds), with its
// list of values.
type UpdateCondition struct {
	Key    string
	Values Value
}

// UpdateField is one attribute set by a group.
type UpdateField struct {
	Name  string
	Value Value
}

// v9Attr is one attribute of a V9 <update> line while it is assembled.
type v9Attr struct {
	name  string
	value Value
}

// setAttr sets an attribute of a V9 <update> line; a later set replaces
// the value of an earlier one.
func setAttr(attrs []v9Attr, name string, v Value) []v9Attr {
	for i := range attrs {
		if attrs[i].name == name {
			attrs[i].value = v
			return attrs
		}
	}
	return append(attrs, v9Attr{name, v})
}

// sortAttrs sorts attributes by name in code-point order (insertion sort:
// there are only a handful).
func sortAttrs(attrs []v9Attr) {
	for i := 1; i < len(attrs); i++ {
		for j := i; j > 0 && attrs[j].name < attrs[j-1].name; j-- {
			attrs[j], attrs[j-1] = attrs[j-1], attrs[j]
		}
	}
}

func (r *AppRelease) appendV9Header(dst []byte, rr *renderer) ([]byte, error) {
	t := rr.q.BuildTarget
	l, err := rr.locale()
	if err != nil {
		return dst, err
	}
	app, err := r.param(t, l, locAppVersion, r.AppVersion)
	if err != nil {
		return dst, err
	}
	display, err := r.param(t, l, locDisplayVersion, r.DisplayVersion)
	if err != nil {
		return dst, err
	}
	bid, err := r.buildID(t, l)
	if err != nil {
		return dst, err
	}
	var storage [16]v9Attr
	attrs := storage[:0]
	attrs = setAttr(attrs, "appVersion", app)
	attrs = setAttr(attrs, "displayVersion", display)
	attrs = setAttr(attrs, "buildID", bid)
	attrs = setAttr(attrs, "type", StringValue(rr.ut))
	if err := r.badKey("updateLine"); err != nil {
		return dst, err
	}
	for i := range r.UpdateLine {
		g := &r.UpdateLine[i]
		if g.err != nil {
			return dst, g.err
		}
		// Every condition is evaluated (the reference does not stop at the
		// first failing one, which matters for the errors they raise).
		all := true
		for _, c := range g.For {
			ok, err := r.conditionHolds(c, rr)
			if err != nil {
				return dst, err
			}
			all = all && ok
		}
		if !all {
			continue
		}
		if g.fieldsErr != nil {
			return dst, g.fieldsErr
		}
		for _, f := range g.Fields {
			attrs = setAttr(attrs, f.Name, f.Value)
		}
	}
	sortAttrs(attrs)
	dst = append(dst, "    <update"...)
	for _, a := range attrs {
		switch a.name {
		case "openURL", "notificationURL", "alertURL", "detailsURL":
			if dst, err = r.appendURLAttr(dst, rr, a.name, a.value, a.name, l); err != nil {
				return dst, err
			}
			continue
		}
		dst = appendAttr(dst, a.name, a.value.xmlText(true))
	}
	return append(dst, '>'), nil
}

// conditionHolds evaluates one condition of an updateLine group.
func (r *AppRelease) conditionHolds(c UpdateCondition, rr *renderer) (bool, error) {
	if c.Key == "locales" {
		l, err := rr.locale()
		if err != nil {
			return false, err
		}
		return r.containsLocale(c.Values, l)
	}
	var match func(v Value) (bool, error)
	switch c.Key {
	case "channels":
		match = func(v Value) (bool, error) {
			if v.kind == KindNull {
				return true, nil
			}
			s, err := v.stringOf(r.Name.text, "updateLine channel")
			if err != nil {
				return false, err
			}
			return matchChannel(s, rr.q.Channel), nil
		}
	case "versions":
		match = func(v Value) (bool, error) {
			if v.kind == KindNull {
				return true, nil
			}
			s, err := v.stringOf(r.Name.text, "updateLine version")
			if err != nil {
				return false, err
			}
			return matchVersionList(s, rr.q.Version)
		}
	case "buildIDs":
		bid, err := rr.buildID()
		if err != nil {
			return false, err
		}
		match = func(v Value) (bool, error) {
			if v.kind == KindNull {
				return true, nil
			}
			s, err := v.stringOf(r.Name.text, "updateLine buildID")
			if err != nil {
				return false, err
			}
			return matchBuildID(s, bid)
		}
	default:
		return false, nil
	}
	return anyItem(r.Name.text, c.Values, match)
}

// anyItem reports whether match holds for one of the items Python's
// iteration over v yields (elements of an array, keys of an object,
// characters of a string), stopping at the first match or error. Any other
// value is not iterable (a server error).
func anyItem(blob string, v Value, match func(Value) (bool, error)) (bool, error) {
	switch v.kind {
	case KindArray:
		for i := range v.tree.elems {
			if ok, err := match(valueOf(&v.tree.elems[i])); ok || err != nil {
				return ok, err
			}
		}
		return false, nil
	case KindObject:
		for _, k := range v.tree.keys {
			if ok, err := match(StringValue(k)); ok || err != nil {
				return ok, err
			}
		}
		return false, nil
	case KindString:
		for i := 0; i < len(v.text); {
			_, w := utf8.DecodeRuneInString(v.text[i:])
			if ok, err := match(StringValue(v.text[i : i+w])); ok || err != nil {
				return ok, err
			}
			i += w
		}
		return false, nil
	}
	return false, &typeError{blob: blob, path: "a list", want: "iterable"}
}

// iterateValue returns what Python's iteration over v yields: the elements
// of an array, the keys of an object, the characters of a string; any other
// value is not iterable (a server error).
func iterateValue(blob string, v Value) ([]Value, error) {
	switch v.kind {
	case KindArray:
		return valueList(v.tree), nil
	case KindObject:
		items := make([]Value, len(v.tree.keys))
		for i, k := range v.tree.keys {
			items[i] = StringValue(k)
		}
		return items, nil
	case KindString:
		items := make([]Value, 0, len(v.text))
		for i := 0; i < len(v.text); {
			_, w := utf8.DecodeRuneInString(v.text[i:])
			items = append(items, StringValue(v.text[i:i+w]))
			i += w
		}
		return items, nil
	}
	return nil, &typeError{blob: blob, path: "a list", want: "iterable"}
}

// containsLocale is Python's `locale in values`.
func (r *AppRelease) containsLocale(values Value, locale string) (bool, error) {
	switch values.kind {
	case KindArray:
		for i := range values.tree.elems {
			e := &values.tree.elems[i]
			if e.kind == KindString && e.str == locale {
				return true, nil
			}
		}
		return false, nil
	case KindObject:
		return slices.Contains(values.tree.keys, locale), nil
	case KindString:
		return strings.Contains(values.text, locale), nil
	}
	return false, fmt.Errorf("blobs: %s: updateLine locales is not a list", r.Name.text)
}
