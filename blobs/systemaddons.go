package blobs

import (
	"sort"

	"github.com/balrog-go/balrog/rules"
)

// SystemAddons is a system add-ons blob (schema_version 5000, public.md
// §6.4.9, §7.7).
type SystemAddons struct {
	Common
	// HashFunction is "hashFunction".
	HashFunction Value
	// Uninstall is "uninstall"; when truthy the <addons> wrapper is always
	// rendered.
	Uninstall Value
	// Addons maps an add-on id to its data; nil when "addons" is absent
	// or null.
	Addons map[string]*Addon

	addonIDs   []string // sorted by code point
	addonsNull bool     // "addons" is null: no lines, but the header fails
	err        error    // "addons" or one of its add-ons is unusable
}

// Addon is one add-on of a system add-ons blob.
type Addon struct {
	// Version is "version".
	Version Value
	// Platforms maps a build target (or "default") to its data; nil when
	// the add-on has none.
	Platforms map[string]*AddonPlatform
}

// AddonPlatform is one platform entry of an add-on.
type AddonPlatform struct {
	// Alias, when present, names the platform entry to use instead.
	Alias Value
	// FileURL, HashValue and Filesize are "fileUrl", "hashValue" and
	// "filesize".
	FileURL, HashValue, Filesize Value

	err error // the entry is not an object
}

func parseSystemAddons(c Common, root *node) (*SystemAddons, error) {
	s := &SystemAddons{
		Common:       c,
		HashFunction: valueOf(root.get("hashFunction")),
		Uninstall:    valueOf(root.get("uninstall")),
	}
	addons := root.get("addons")
	switch {
	case addons == nil:
		return s, nil
	case addons.kind == KindNull:
		s.addonsNull = true
		return s, nil
	case addons.kind != KindObject:
		s.err = &typeError{blob: c.Name.text, path: "addons", want: "an object"}
		return s, nil
	}
	s.Addons = make(map[string]*Addon, len(addons.keys))
	for i, id := range addons.keys {
		an := &addons.elems[i]
		if an.kind != KindObject {
			s.err = &typeError{blob: c.Name.text, path: "addons." + id, want: "an object"}
			return s, nil
		}
		a := &Addon{Version: valueOf(an.get("version"))}
		if pn := an.get("platforms"); pn != nil {
			if pn.kind != KindObject {
				s.err = &typeError{blob: c.Name.text, path: "addons." + id + ".platforms", want: "an object"}
				return s, nil
			}
			a.Platforms = make(map[string]*AddonPlatform, len(pn.keys))
			for j, key := range pn.keys {
				e := &pn.elems[j]
				if e.kind != KindObject {
					a.Platforms[key] = &AddonPlatform{err: &typeError{blob: c.Name.text, path: "addons." + id + ".platforms." + key, want: "an object"}}
					continue
				}
				a.Platforms[key] = &AddonPlatform{
					Alias:     valueOf(e.get("alias")),
					FileURL:   valueOf(e.get("fileUrl")),
					HashValue: valueOf(e.get("hashValue")),
					Filesize:  valueOf(e.get("filesize")),
				}
			}
		}
		s.Addons[id] = a
		s.addonIDs = append(s.addonIDs, id)
	}
	sort.Strings(s.addonIDs)
	return s, nil
}

// ShouldServe always answers Yes: the client decides what to install.
func (s *SystemAddons) ShouldServe(*rules.Query) (Decision, error) { return Yes, nil }

// addonEntry returns the platform entry add-on a uses for build target t
// (t's alias target, t, or "default"); ok is false when it has neither t
// nor "default".
func (s *SystemAddons) addonEntry(id string, a *Addon, t string) (*AddonPlatform, bool, error) {
	key := "default"
	if p, ok := a.Platforms[t]; ok {
		if p.err != nil {
			return nil, false, p.err
		}
		key = t
		switch p.Alias.kind {
		case KindAbsent:
		case KindString:
			key = p.Alias.text
		case KindArray, KindObject:
			return nil, false, &typeError{blob: s.Name.text, path: "addons." + id + ".platforms." + t + ".alias", want: "hashable"}
		default:
			return nil, false, &typeError{blob: s.Name.text, path: "addons." + id + ".platforms." + t + ".alias", want: "a platform name"}
		}
	} else if _, ok := a.Platforms["default"]; !ok {
		return nil, false, nil
	}
	p, ok := a.Platforms[key]
	if !ok {
		// The reference dereferences None here (HTTP 500).
		return nil, false, &typeError{blob: s.Name.text, path: "addons." + id + ".platforms." + key, want: "present"}
	}
	if p.err != nil {
		return nil, false, p.err
	}
	return p, true, nil
}

// forEachAllowed calls fn for every add-on offered for the query, in id
// order, until fn returns false.
func (s *SystemAddons) forEachAllowed(rr *renderer, fn func(id string, a *Addon, p *AddonPlatform, url string) (bool, error)) error {
	if s.err != nil {
		return s.err
	}
	for _, id := range s.addonIDs {
		a := s.Addons[id]
		p, ok, err := s.addonEntry(id, a, rr.q.BuildTarget)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		url, err := p.FileURL.stringOf(s.Name.text, "addons."+id+" fileUrl")
		if err != nil {
			return err
		}
		allowed, err := rr.env.Allowlist.Allowed(url, rr.q.Product)
		if err != nil {
			return err
		}
		if !allowed {
			continue
		}
		if more, err := fn(id, a, p, url); err != nil || !more {
			return err
		}
	}
	return nil
}

// wrapped reports whether the <addons> wrapper is rendered: "uninstall" is
// truthy or at least one add-on is offered.
func (s *SystemAddons) wrapped(rr *renderer) (bool, error) {
	if s.Uninstall.Truthy() {
		return true, nil
	}
	if s.addonsNull {
		return false, &typeError{blob: s.Name.text, path: "addons", want: "iterable"}
	}
	found := false
	err := s.forEachAllowed(rr, func(string, *Addon, *AddonPlatform, string) (bool, error) {
		found = true
		return false, nil
	})
	return found, err
}

func (s *SystemAddons) appendHeader(dst []byte, rr *renderer) ([]byte, error) {
	ok, err := s.wrapped(rr)
	if ok {
		dst = append(dst, "    <addons>"...)
	}
	return dst, err
}

func (s *SystemAddons) appendFooter(dst []byte, rr *renderer) ([]byte, error) {
	ok, err := s.wrapped(rr)
	if ok {
		dst = append(dst, "    </addons>"...)
	}
	return dst, err
}

// appendLines appends one <addon …/> line per offered add-on.
func (s *SystemAddons) appendLines(dst []byte, rr *renderer) ([]byte, error) {
	if s.Addons == nil && s.err == nil {
		return dst, nil
	}
	err := s.forEachAllowed(rr, func(id string, a *Addon, p *AddonPlatform, url string) (bool, error) {
		var fields [4]Value
		for i, f := range [4]struct {
			v    Value
			what string
		}{{s.HashFunction, "hashFunction"}, {p.HashValue, "hashValue"}, {p.Filesize, "filesize"}, {a.Version, "version"}} {
			var err error
			if fields[i], err = f.v.required(s.Name.text, "addons."+id+" "+f.what); err != nil {
				return false, err
			}
		}
		dst = appendAddonLine(dst, id, url, fields)
		dst = append(dst, "/>\n"...)
		return true, nil
	})
	return dst, err
}
