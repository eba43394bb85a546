package blobs

import "fmt"

// setBad records that the top-level key cannot be used.
func (r *AppRelease) setBad(key, want string) {
	if r.bad == nil {
		r.bad = map[string]error{}
	}
	r.bad[key] = &typeError{blob: r.Name.text, path: key, want: want}
}

// badKey returns the recorded error for a top-level key, if any.
func (r *AppRelease) badKey(key string) error {
	return r.bad[key]
}

func (r *AppRelease) parseSeparatedURLs(root *node) {
	if m, ok := valueMap(root.get("fileUrls")); ok {
		r.SeparatedURLs = m
	} else {
		r.setBad("fileUrls", "an object")
	}
	nested := r.SchemaVersion == 3
	r.FtpFilenames = r.parseNameTable("ftpFilenames", root.get("ftpFilenames"), nested)
	r.BouncerProducts = r.parseNameTable("bouncerProducts", root.get("bouncerProducts"), nested)
}

func (r *AppRelease) parseNameTable(key string, n *node, nested bool) NameTable {
	var t NameTable
	if n == nil {
		return t
	}
	if n.kind != KindObject {
		t.err = &typeError{blob: r.Name.text, path: key, want: "an object"}
		return t
	}
	if !nested {
		t.Flat, _ = valueMap(n)
		return t
	}
	t.Nested = make(map[string]map[string]Value, len(n.keys))
	for i, kind := range n.keys {
		m, ok := valueMap(&n.elems[i])
		if !ok {
			t.err = &typeError{blob: r.Name.text, path: key + "." + kind, want: "an object"}
			continue
		}
		t.Nested[kind] = m
	}
	return t
}

func (r *AppRelease) parseUnifiedURLs(n *node) {
	if n == nil {
		return
	}
	if n.kind != KindObject {
		r.setBad("fileUrls", "an object")
		return
	}
	r.UnifiedURLs = make(map[string]*ChannelURLs, len(n.keys))
	for i, channel := range n.keys {
		b := &n.elems[i]
		c := &ChannelURLs{}
		r.UnifiedURLs[channel] = c
		switch {
		case !valueOf(b).Truthy():
			c.empty = true
		case b.kind != KindObject:
			c.err = &typeError{blob: r.Name.text, path: "fileUrls." + channel, want: "an object"}
		default:
			var ok bool
			if c.Completes, ok = valueMap(b.get("completes")); !ok {
				c.completesErr = &typeError{blob: r.Name.text, path: "fileUrls." + channel + ".completes", want: "an object"}
			}
			if c.Partials, ok = valueMap(b.get("partials")); !ok {
				c.partialsErr = &typeError{blob: r.Name.text, path: "fileUrls." + channel + ".partials", want: "an object"}
			}
		}
	}
}

func (r *AppRelease) parsePlatforms(n *node, packed []*packedLocales, deferred *deferredText) {
	if n == nil {
		r.noPlatforms = true
		return
	}
	if n.kind != KindObject {
		r.setBad("platforms", "an object")
		return
	}
	r.Platforms = make(map[string]*Platform, len(n.keys))
	indexes := map[string]map[string]int32{}
	for i, key := range n.keys {
		r.Platforms[key] = r.parsePlatform(key, &n.elems[i], packed, deferred, indexes)
	}
	// Precompute the alias sets of §7.4.3: for each platform, the keys
	// whose alias names it.
	for key, p := range r.Platforms {
		if p.err != nil && r.brokenPlatform == nil {
			r.brokenPlatform = p.err
		}
		if p.err == nil && p.Alias.kind == KindString {
			if r.aliasesOf == nil {
				r.aliasesOf = map[string][]string{}
			}
			r.aliasesOf[p.Alias.text] = append(r.aliasesOf[p.Alias.text], key)
		}
	}
}

func (r *AppRelease) parsePlatform(key string, n *node, packed []*packedLocales, deferred *deferredText, indexes map[string]map[string]int32) *Platform {
	p := &Platform{key: key}
	if n.kind != KindObject {
		p.err = &typeError{blob: r.Name.text, path: "platforms." + key, want: "an object"}
		return p
	}
	p.Alias = valueOf(n.get("alias"))
	p.BuildID = valueOf(n.get("buildID"))
	p.OSFTP = valueOf(n.get("OS_FTP"))
	p.OSBouncer = valueOf(n.get("OS_BOUNCER"))
	locales := n.get("locales")
	if locales == nil {
		return p
	}
	if locales.kind == kindDeferredObject {
		i := 2 * locales.ref
		p.deferred = &deferredLocales{text: deferred.text, start: deferred.spans[i], end: deferred.spans[i+1]}
		return p
	}
	if locales.kind != KindObject {
		p.localesErr = &typeError{blob: r.Name.text, path: "platforms." + key + ".locales", want: "an object"}
		return p
	}
	p.locales = r.newPlatformLocales(key, locales, packed, indexes)
	return p
}

// where locates a part of a blob for error messages; it is formatted only
// when an error is reported.
type where struct {
	platform, locale, field string
	index                   int // -1 when the part is not a list element
}

func (w where) String() string {
	s := "platforms." + w.platform + ".locales." + w.locale + "." + w.field
	if w.index >= 0 {
		s += fmt.Sprintf("[%d]", w.index)
	}
	return s
}

func (r *AppRelease) parseLocale(platform, code string, n *node) *Locale {
	l := &Locale{}
	if n.kind != KindObject {
		l.err = &typeError{blob: r.Name.text, path: "platforms." + platform + ".locales." + code, want: "an object"}
		return l
	}
	get := func(key string) Value { return valueOf(n.get(key)) }
	l.BuildID = get("buildID")
	l.Appv, l.Extv = get("appv"), get("extv")
	l.AppVersion, l.DisplayVersion, l.PlatformVersion = get("appVersion"), get("displayVersion"), get("platformVersion")
	l.IsOSUpdate = get("isOSUpdate")
	w := where{platform: platform, locale: code, index: -1}
	if r.SchemaVersion <= 2 {
		w.field = "complete"
		l.Complete = r.parseSinglePatch(w, n.get("complete"))
		w.field = "partial"
		l.Partial = r.parseSinglePatch(w, n.get("partial"))
		return l
	}
	w.field = "completes"
	l.Completes = r.parsePatchList(w, n.get("completes"))
	w.field = "partials"
	l.Partials = r.parsePatchList(w, n.get("partials"))
	return l
}

// parseSinglePatch reads V1/V2 "complete"/"partial": a falsy value means
// "no patch".
func (r *AppRelease) parseSinglePatch(w where, n *node) *Patch {
	if n == nil || !valueOf(n).Truthy() {
		return nil
	}
	return r.parsePatch(w, n)
}

// parsePatchList reads V3+ "completes"/"partials". A falsy value is an empty
// list; a truthy value that is not an array cannot be iterated into patches
// and fails when used.
func (r *AppRelease) parsePatchList(w where, n *node) []*Patch {
	if n == nil {
		return nil
	}
	if n.kind != KindArray {
		if !valueOf(n).Truthy() {
			return nil
		}
		return []*Patch{{err: &typeError{blob: r.Name.text, path: w.String(), want: "an array"}}}
	}
	list := make([]*Patch, len(n.elems))
	for i := range n.elems {
		w.index = i
		list[i] = r.parsePatch(w, &n.elems[i])
	}
	return list
}

func (r *AppRelease) parsePatch(w where, n *node) *Patch {
	if n.kind != KindObject {
		return &Patch{err: &typeError{blob: r.Name.text, path: w.String(), want: "an object"}}
	}
	get := func(key string) Value { return valueOf(n.get(key)) }
	return &Patch{
		From:                   get("from"),
		Filesize:               get("filesize"),
		HashValue:              get("hashValue"),
		FileURL:                get("fileUrl"),
		BinTransInclusionProof: get("binTransInclusionProof"),
	}
}

// parseUpdateLine reads V9's "updateLine". A falsy value means no groups;
// a truthy value that is not an array fails when the <update> line is
// rendered.
func parseUpdateLine(r *AppRelease, n *node) []UpdateLineGroup {
	if n == nil {
		return nil
	}
	if n.kind != KindArray {
		if valueOf(n).Truthy() {
			r.setBad("updateLine", "an array")
		}
		return nil
	}
	groups := make([]UpdateLineGroup, len(n.elems))
	for i := range n.elems {
		g := &groups[i]
		gn := &n.elems[i]
		if gn.kind != KindObject {
			g.err = &typeError{blob: r.Name.text, path: fmt.Sprintf("updateLine[%d]", i), want: "an object"}
			continue
		}
		forNode, fieldsNode := gn.get("for"), gn.get("fields")
		if forNode == nil || forNode.kind != KindObject {
			g.err = &typeError{blob: r.Name.text, path: fmt.Sprintf("updateLine[%d].for", i), want: "an object"}
			continue
		}
		for j, key := range forNode.keys {
			g.For = append(g.For, UpdateCondition{Key: key, Values: valueOf(&forNode.elems[j])})
		}
		if fieldsNode == nil || fieldsNode.kind != KindObject {
			g.fieldsErr = &typeError{blob: r.Name.text, path: fmt.Sprintf("updateLine[%d].fields", i), want: "an object"}
			continue
		}
		for j, key := range fieldsNode.keys {
			g.Fields = append(g.Fields, UpdateField{Name: key, Value: valueOf(&fieldsNode.elems[j])})
		}
	}
	return groups
}
