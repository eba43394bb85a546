package blobs

import (
	"errors"
	"fmt"

	"github.com/balrog-go/balrog/rules"
)

// This file renders the <patch> lines of app-release blobs (public.md §7.4):
// patch selection, the from-release check and URL resolution.

// patchKind is "complete" or "partial".
type patchKind uint8

const (
	kindComplete patchKind = iota
	kindPartial
)

// typeName is the <patch type=…> value; key is the blob key of V1/V2 and
// of the V1/V2 name tables.
func (k patchKind) typeName() string {
	if k == kindComplete {
		return "complete"
	}
	return "partial"
}

// listKey is the blob key of V3+ patch lists, unified file URLs and the V3
// name tables.
func (k patchKind) listKey() string {
	if k == kindComplete {
		return "completes"
	}
	return "partials"
}

// errNoURL is the reference's ValueError("Couldn't find fileUrl"): fatal for
// a complete, the partial is skipped.
var errNoURL = errors.New("blobs: couldn't find fileUrl")

// appendLines appends the patch lines: at most one complete and then at
// most one partial.
func (r *AppRelease) appendLines(dst []byte, rr *renderer) ([]byte, error) {
	l, err := rr.locale()
	if err != nil {
		return dst, err
	}
	p, loc, err := r.localeData(rr.q.BuildTarget, l)
	if err != nil {
		return dst, err
	}
	for _, kind := range [2]patchKind{kindComplete, kindPartial} {
		if r.SchemaVersion <= 2 {
			patch := loc.Complete
			if kind == kindPartial {
				patch = loc.Partial
			}
			if patch != nil {
				if dst, _, err = r.appendPatch(dst, rr, p, kind, patch); err != nil {
					return dst, err
				}
			}
			continue
		}
		list := loc.Completes
		if kind == kindPartial {
			list = loc.Partials
		}
		for _, patch := range list {
			var ok bool
			if dst, ok, err = r.appendPatch(dst, rr, p, kind, patch); err != nil {
				return dst, err
			}
			if ok {
				break
			}
		}
	}
	return dst, nil
}

// appendPatch appends the line of one patch if it applies to the query
// and reports whether it did.
func (r *AppRelease) appendPatch(dst []byte, rr *renderer, p *Platform, kind patchKind, patch *Patch) ([]byte, bool, error) {
	if patch.err != nil {
		return dst, false, patch.err
	}
	if !patch.From.Present() {
		return dst, false, fmt.Errorf("blobs: %s: patch has no \"from\"", r.Name.text)
	}
	if patch.From.kind != KindString || patch.From.text != "*" {
		ok, err := r.fromReleaseMatches(rr, patch.From)
		if err != nil || !ok {
			return dst, false, err
		}
	}
	url, err := r.patchURL(rr, p, kind, patch)
	if err != nil {
		if err == errNoURL && kind == kindPartial {
			return dst, false, nil
		}
		return dst, false, err
	}
	url, ok, err := rr.finishURL(url)
	if err != nil || !ok {
		return dst, false, err
	}
	hashFunction, err := r.HashFunction.required(r.Name.text, "hashFunction")
	if err != nil {
		return dst, false, err
	}
	hashValue, err := patch.HashValue.required(r.Name.text, "patch hashValue")
	if err != nil {
		return dst, false, err
	}
	size, err := patch.Filesize.required(r.Name.text, "patch filesize")
	if err != nil {
		return dst, false, err
	}
	dst = append(dst, `        <patch type="`...)
	dst = append(dst, kind.typeName()...)
	dst = append(dst, `" URL="`...)
	dst = append(dst, url...)
	dst = append(dst, `" hashFunction="`...)
	dst = append(dst, hashFunction.text...)
	dst = append(dst, `" hashValue="`...)
	dst = append(dst, hashValue.text...)
	dst = append(dst, `" size="`...)
	dst = append(dst, size.text...)
	dst = append(dst, '"')
	if (r.SchemaVersion == 8 || r.SchemaVersion == 9) && patch.BinTransInclusionProof.Present() {
		dst = appendAttr(dst, "binTransInclusionProof", patch.BinTransInclusionProof.text)
	}
	return append(dst, "/>\n"...), true, nil
}

// fromReleaseMatches is the from-release check of a partial (public.md
// §7.4.3): the release named by "from" must exist and the client must be
// running it, for the build target or one of its aliases.
func (r *AppRelease) fromReleaseMatches(rr *renderer, from Value) (bool, error) {
	var fromBlob Blob
	if from.kind == KindString && rr.env.Releases != nil {
		b, ok, err := rr.env.Releases.LookupRelease(from.text)
		if err != nil {
			return false, err
		}
		if ok {
			fromBlob = b
		}
	}
	t := rr.q.BuildTarget
	if r.brokenPlatform != nil {
		return false, r.brokenPlatform
	}
	entry, ok := r.Platforms[t]
	if !ok {
		return false, fmt.Errorf("blobs: %s: no platform %q for the alias set", r.Name.text, t)
	}
	if fromBlob == nil {
		return false, nil
	}
	fr, ok := fromBlob.(*AppRelease)
	if !ok {
		return false, fmt.Errorf("blobs: from-release %q of %s is not an app release", from.text, r.Name.text)
	}
	// The alias set: the platform t resolves to and every key aliasing
	// it. A non-string alias names no platform of the from-release.
	u, uValid := t, true
	switch entry.Alias.kind {
	case KindAbsent:
	case KindString:
		u = entry.Alias.text
	default:
		uValid = false
	}
	bid, err := rr.buildID()
	if err != nil {
		return false, err
	}
	l, err := rr.locale()
	if err != nil {
		return false, err
	}
	if ok, err := fr.runsBuild(t, l, bid); ok || err != nil {
		return ok, err
	}
	if !uValid {
		return false, nil
	}
	if ok, err := fr.runsBuild(u, l, bid); ok || err != nil {
		return ok, err
	}
	for _, k := range r.aliasesOf[u] {
		if ok, err := fr.runsBuild(k, l, bid); ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

// runsBuild reports whether build target bt exists in r and its build ID
// for locale l is exactly bid (string equality; a numeric build ID never
// matches, Q4). A lookup that fails with a client error counts as no match
// (Q5).
func (r *AppRelease) runsBuild(bt, l, bid string) (bool, error) {
	if err := r.badKey("platforms"); err != nil {
		return false, err
	}
	if r.noPlatforms {
		return false, fmt.Errorf("blobs: from-release %s: platforms is missing", r.Name.text)
	}
	if _, ok := r.Platforms[bt]; !ok {
		return false, nil
	}
	v, err := r.buildID(bt, l)
	if err != nil {
		if isBadInput(err) {
			return false, nil
		}
		return false, err
	}
	return v.kind == KindString && v.text == bid, nil
}

// patchURL resolves the download URL of a patch before force hosts and the
// allowlist (public.md §7.4.4).
func (r *AppRelease) patchURL(rr *renderer, p *Platform, kind patchKind, patch *Patch) (string, error) {
	if patch.FileURL.Present() {
		return patch.FileURL.stringOf(r.Name.text, "patch fileUrl")
	}
	if r.SchemaVersion <= 3 {
		return r.separatedURL(rr, p, kind, patch)
	}
	return r.unifiedURL(rr, p, kind, patch)
}

// osNames returns the platform's OS_FTP and OS_BOUNCER, which must be
// strings whenever a URL template is used.
func (r *AppRelease) osNames(p *Platform) (ftp, bouncer string, err error) {
	if ftp, err = p.OSFTP.stringOf(r.Name.text, "platform OS_FTP"); err != nil {
		return "", "", err
	}
	if bouncer, err = p.OSBouncer.stringOf(r.Name.text, "platform OS_BOUNCER"); err != nil {
		return "", "", err
	}
	return ftp, bouncer, nil
}

// separatedURL builds a V1–V3 URL from "fileUrls", "ftpFilenames" and
// "bouncerProducts".
func (r *AppRelease) separatedURL(rr *renderer, p *Platform, kind patchKind, patch *Patch) (string, error) {
	filename, err := r.nameFor(r.FtpFilenames, "ftpFilenames", kind, patch.From)
	if err != nil {
		return "", err
	}
	product, err := r.nameFor(r.BouncerProducts, "bouncerProducts", kind, patch.From)
	if err != nil {
		return "", err
	}
	if err := r.badKey("fileUrls"); err != nil {
		return "", err
	}
	tmpl, ok := r.SeparatedURLs[rr.q.Channel]
	if !ok {
		tmpl, ok = r.SeparatedURLs[rules.FallbackChannel(rr.q.Channel)]
	}
	if !ok {
		return "", fmt.Errorf("blobs: %s: no fileUrls entry for channel %q", r.Name.text, rr.q.Channel)
	}
	s, err := tmpl.stringOf(r.Name.text, "fileUrls entry")
	if err != nil {
		return "", err
	}
	l, err := rr.locale()
	if err != nil {
		return "", err
	}
	ftp, bouncer, err := r.osNames(p)
	if err != nil {
		return "", err
	}
	steps := [10]repl{
		{"%LOCALE%", l}, {"%OS_FTP%", ftp}, {"%FILENAME%", filename}, {"%PRODUCT%", product}, {"%OS_BOUNCER%", bouncer},
		{"%locale%", l}, {"%os_ftp%", ftp}, {"%filename%", filename}, {"%product%", product}, {"%os_bouncer%", bouncer},
	}
	if out, changed := rr.replaceChain(s, steps[:]); changed {
		return string(out), nil
	}
	return s, nil
}

// nameFor looks up a V1/V2 (by kind) or V3 (by kind and from-release)
// file name or bouncer product; a missing entry is "".
func (r *AppRelease) nameFor(t NameTable, key string, kind patchKind, from Value) (string, error) {
	if t.err != nil {
		return "", t.err
	}
	var v Value
	if r.SchemaVersion <= 2 {
		v = t.Flat[kind.typeName()]
	} else if from.kind == KindString {
		v = t.Nested[kind.listKey()][from.text]
	}
	if !v.Present() {
		return "", nil
	}
	return v.stringOf(r.Name.text, key)
}

// unifiedURL builds a V4+ URL: the first of the query channel, its fallback
// channel and "*" with a non-empty block decides.
func (r *AppRelease) unifiedURL(rr *renderer, p *Platform, kind patchKind, patch *Patch) (string, error) {
	if err := r.badKey("fileUrls"); err != nil {
		return "", err
	}
	var tmpl Value
	for _, c := range [3]string{rr.q.Channel, rules.FallbackChannel(rr.q.Channel), "*"} {
		block := r.UnifiedURLs[c]
		if block == nil || block.empty {
			continue
		}
		if block.err != nil {
			return "", block.err
		}
		m, err := block.Completes, block.completesErr
		if kind == kindPartial {
			m, err = block.Partials, block.partialsErr
		}
		if err != nil {
			return "", err
		}
		if patch.From.kind == KindString {
			tmpl = m[patch.From.text]
		}
		break
	}
	if !tmpl.Truthy() {
		return "", errNoURL
	}
	s, err := tmpl.stringOf(r.Name.text, "fileUrls entry")
	if err != nil {
		return "", err
	}
	l, err := rr.locale()
	if err != nil {
		return "", err
	}
	ftp, bouncer, err := r.osNames(p)
	if err != nil {
		return "", err
	}
	steps := [6]repl{
		{"%LOCALE%", l}, {"%OS_FTP%", ftp}, {"%OS_BOUNCER%", bouncer},
		{"%locale%", l}, {"%os_ftp%", ftp}, {"%os_bouncer%", bouncer},
	}
	if out, changed := rr.replaceChain(s, steps[:]); changed {
		return string(out), nil
	}
	return s, nil
}
