package blobs

import (
	"fmt"
	"sort"

	"github.com/balrog-go/balrog/rules"
)

// GMP is a Gecko Media Plugin blob (schema_version 1000, public.md §6.4.8,
// §7.6).
type GMP struct {
	Common
	// HashFunction is "hashFunction".
	HashFunction Value
	// Vendors maps a vendor (add-on id) to its data.
	Vendors map[string]*GMPVendor

	vendorNames []string // sorted by code point
	err         error    // "vendors" missing or unusable
}

// GMPVendor is one vendor of a GMP blob.
type GMPVendor struct {
	// Version is "version".
	Version Value
	// Platforms maps a build target (or "default") to its data.
	Platforms map[string]*GMPPlatform
}

// GMPPlatform is one platform entry of a GMP vendor.
type GMPPlatform struct {
	// Alias, when present, names the platform entry to use instead.
	Alias Value
	// FileURL, HashValue and Filesize are "fileUrl", "hashValue" and
	// "filesize".
	FileURL, HashValue, Filesize Value
	// MirrorURLs is "mirrorUrls" (absent when the key is missing).
	MirrorURLs Value

	err error // the entry is not an object
}

func parseGMP(c Common, root *node) (*GMP, error) {
	g := &GMP{Common: c, HashFunction: valueOf(root.get("hashFunction"))}
	vendors := root.get("vendors")
	if vendors == nil || vendors.kind != KindObject {
		g.err = &typeError{blob: c.Name.text, path: "vendors", want: "an object"}
		return g, nil
	}
	g.Vendors = make(map[string]*GMPVendor, len(vendors.keys))
	for i, name := range vendors.keys {
		vn := &vendors.elems[i]
		var platforms *node
		if vn.kind == KindObject {
			platforms = vn.get("platforms")
		}
		if platforms == nil || platforms.kind != KindObject {
			// Listing the vendors for any platform fails on this one.
			g.err = &typeError{blob: c.Name.text, path: "vendors." + name + ".platforms", want: "an object"}
			return g, nil
		}
		v := &GMPVendor{Version: valueOf(vn.get("version")), Platforms: make(map[string]*GMPPlatform, len(platforms.keys))}
		for j, key := range platforms.keys {
			pn := &platforms.elems[j]
			if pn.kind != KindObject {
				v.Platforms[key] = &GMPPlatform{err: &typeError{blob: c.Name.text, path: "vendors." + name + ".platforms." + key, want: "an object"}}
				continue
			}
			v.Platforms[key] = &GMPPlatform{
				Alias:      valueOf(pn.get("alias")),
				FileURL:    valueOf(pn.get("fileUrl")),
				HashValue:  valueOf(pn.get("hashValue")),
				Filesize:   valueOf(pn.get("filesize")),
				MirrorURLs: valueOf(pn.get("mirrorUrls")),
			}
		}
		g.Vendors[name] = v
		g.vendorNames = append(g.vendorNames, name)
	}
	sort.Strings(g.vendorNames)
	return g, nil
}

// ShouldServe always answers Yes: the client decides what to install.
func (g *GMP) ShouldServe(*rules.Query) (Decision, error) { return Yes, nil }

func (g *GMP) appendHeader(dst []byte, _ *renderer) ([]byte, error) {
	return append(dst, "    <addons>"...), nil
}

func (g *GMP) appendFooter(dst []byte, _ *renderer) ([]byte, error) {
	return append(dst, "    </addons>"...), nil
}

// platformFor returns the entry vendor v uses for build target t: t's alias
// target, t itself, or "default". ok is false when the vendor has neither t
// nor "default".
func (g *GMP) platformFor(name string, v *GMPVendor, t string) (*GMPPlatform, bool, error) {
	key := "default"
	if p, ok := v.Platforms[t]; ok {
		if p.err != nil {
			return nil, false, p.err
		}
		key = t
		switch p.Alias.kind {
		case KindAbsent:
		case KindArray, KindObject:
			return nil, false, &typeError{blob: g.Name.text, path: "vendors." + name + ".platforms." + t + ".alias", want: "hashable"}
		default:
			key = p.Alias.text
			if p.Alias.kind != KindString {
				return nil, false, badInput(fmt.Sprintf("No platform '%%s' in vendor '%%s' %s %s", key, name))
			}
		}
	} else if _, ok := v.Platforms["default"]; !ok {
		return nil, false, nil
	}
	p, ok := v.Platforms[key]
	if !ok {
		return nil, false, badInput(fmt.Sprintf("No platform '%%s' in vendor '%%s' %s %s", key, name))
	}
	if p.err != nil {
		return nil, false, p.err
	}
	return p, true, nil
}

// appendLines appends one <addon> line (or block with mirrors) per vendor
// that has the build target or a default, in vendor order.
func (g *GMP) appendLines(dst []byte, rr *renderer) ([]byte, error) {
	if g.err != nil {
		return dst, g.err
	}
	for _, name := range g.vendorNames {
		v := g.Vendors[name]
		p, ok, err := g.platformFor(name, v, rr.q.BuildTarget)
		if err != nil {
			return dst, err
		}
		if !ok {
			continue
		}
		url, err := p.FileURL.stringOf(g.Name.text, "vendors."+name+" fileUrl")
		if err != nil {
			return dst, err
		}
		if allowed, err := rr.env.Allowlist.Allowed(url, rr.q.Product); err != nil || !allowed {
			if err != nil {
				return dst, err
			}
			continue
		}
		var mirrorStorage [8]string
		mirrors := mirrorStorage[:0]
		if p.MirrorURLs.Present() {
			items, err := iterateValue(g.Name.text, p.MirrorURLs)
			if err != nil {
				return dst, err
			}
			for _, m := range items {
				mu, err := m.stringOf(g.Name.text, "mirrorUrls entry")
				if err != nil {
					return dst, err
				}
				allowed, err := rr.env.Allowlist.Allowed(mu, rr.q.Product)
				if err != nil {
					return dst, err
				}
				if allowed {
					mirrors = append(mirrors, mu)
				}
			}
		}
		var fields [4]Value
		for i, f := range [4]struct {
			v    Value
			what string
		}{{g.HashFunction, "hashFunction"}, {p.HashValue, "hashValue"}, {p.Filesize, "filesize"}, {v.Version, "version"}} {
			if fields[i], err = f.v.required(g.Name.text, "vendors."+name+" "+f.what); err != nil {
				return dst, err
			}
		}
		dst = appendAddonLine(dst, name, url, fields)
		if len(mirrors) == 0 {
			dst = append(dst, "/>\n"...)
			continue
		}
		dst = append(dst, ">\n"...)
		for _, m := range mirrors {
			dst = append(dst, `            <mirror URL="`...)
			dst = append(dst, m...)
			dst = append(dst, "\"/>\n"...)
		}
		dst = append(dst, "        </addon>\n"...)
	}
	return dst, nil
}

// appendAddonLine appends `        <addon id=… version="…"` without the
// closing of the tag; fields are hashFunction, hashValue, size, version.
func appendAddonLine(dst []byte, id, url string, fields [4]Value) []byte {
	dst = append(dst, `        <addon id="`...)
	dst = append(dst, id...)
	dst = append(dst, `" URL="`...)
	dst = append(dst, url...)
	dst = append(dst, `" hashFunction="`...)
	dst = append(dst, fields[0].text...)
	dst = append(dst, `" hashValue="`...)
	dst = append(dst, fields[1].text...)
	dst = append(dst, `" size="`...)
	dst = append(dst, fields[2].text...)
	dst = append(dst, `" version="`...)
	dst = append(dst, fields[3].text...)
	return append(dst, '"')
}
