package blobs

import (
	"strings"

	"github.com/balrog-go/balrog/rules"
)

// This file renders the <update> line of app-release blobs V1–V8
// (public.md §7.3.1, §7.3.2); V9 is in updateline.go, the patch lines in
// patches.go.

// appendHeader appends the <update …> line.
func (r *AppRelease) appendHeader(dst []byte, rr *renderer) ([]byte, error) {
	switch r.SchemaVersion {
	case 1:
		return r.appendV1Header(dst, rr)
	case 9:
		return r.appendV9Header(dst, rr)
	}
	return r.appendV2Header(dst, rr)
}

// appendFooter appends "    </update>".
func (r *AppRelease) appendFooter(dst []byte, _ *renderer) ([]byte, error) {
	return append(dst, "    </update>"...), nil
}

// appendURLAttr appends ` name="…"` for the top-level "detailsUrl" or
// "licenseUrl" when the blob has it, locale-substituted.
func (r *AppRelease) appendURLAttr(dst []byte, rr *renderer, name string, v Value, key, locale string) ([]byte, error) {
	if !v.Present() {
		return dst, nil
	}
	s, err := v.stringOf(r.Name.text, key)
	if err != nil {
		return dst, err
	}
	dst = append(dst, ' ')
	dst = append(dst, name...)
	dst = append(dst, '=', '"')
	dst = rr.appendLocalized(dst, s, locale)
	return append(dst, '"'), nil
}

func (r *AppRelease) appendV1Header(dst []byte, rr *renderer) ([]byte, error) {
	t := rr.q.BuildTarget
	l, err := rr.locale()
	if err != nil {
		return dst, err
	}
	appv, err := r.param(t, l, locAppv, r.Appv)
	if err != nil {
		return dst, err
	}
	extv, err := r.param(t, l, locExtv, r.Extv)
	if err != nil {
		return dst, err
	}
	bid, err := r.buildID(t, l)
	if err != nil {
		return dst, err
	}
	start := len(dst)
	dst = append(dst, `    <update type="`...)
	dst = append(dst, rr.ut...)
	dst = append(dst, `" version="`...)
	dst = append(dst, appv.text...)
	dst = append(dst, `" extensionVersion="`...)
	dst = append(dst, extv.text...)
	dst = append(dst, `" buildID="`...)
	dst = append(dst, bid.text...)
	dst = append(dst, '"')
	if dst, err = r.appendURLAttr(dst, rr, "detailsURL", r.DetailsURL, "detailsUrl", l); err != nil {
		return dst, err
	}
	if dst, err = r.appendURLAttr(dst, rr, "licenseURL", r.LicenseURL, "licenseUrl", l); err != nil {
		return dst, err
	}
	dst = append(dst, '>')
	if !r.OldVersionSpecialCases.Truthy() {
		return dst, nil
	}
	line, err := oldVersionSpecialCases(string(dst[start:]), rr.q.Version, appv.text, extv.text)
	if err != nil {
		return dst, err
	}
	return append(dst[:start], line...), nil
}

// oldVersionSpecialCases edits a V1 <update> line for Firefox 2.0–3.6
// clients (bug 998721, bug 1174605) with the reference's textual
// replacements.
func oldVersionSpecialCases(line, version, appv, extv string) (string, error) {
	qv, err := rules.ParseMozillaVersion(version)
	if err != nil {
		return "", err
	}
	atLeast := func(s string) bool {
		v, _ := rules.ParseMozillaVersion(s)
		return qv.Compare(v) >= 0
	}
	switch {
	case atLeast("2.0") && !atLeast("3.5"):
		line = strings.ReplaceAll(line, `version="`+appv+`"`, `version="`+version+`"`)
		line = strings.ReplaceAll(line, `extensionVersion="`+extv+`" `, "")
	case atLeast("3.5") && !atLeast("3.6"):
		line = strings.ReplaceAll(line, `extensionVersion="`+extv+`" `, "")
	case atLeast("3.6") && !atLeast("4.0"):
		line = strings.ReplaceAll(line, `extensionVersion="`+extv+`"`, `extensionVersion="`+version+`"`)
	}
	return line, nil
}

func (r *AppRelease) appendV2Header(dst []byte, rr *renderer) ([]byte, error) {
	t := rr.q.BuildTarget
	l, err := rr.locale()
	if err != nil {
		return dst, err
	}
	display, err := r.param(t, l, locDisplayVersion, r.DisplayVersion)
	if err != nil {
		return dst, err
	}
	app, err := r.param(t, l, locAppVersion, r.AppVersion)
	if err != nil {
		return dst, err
	}
	platform, err := r.param(t, l, locPlatformVersion, r.PlatformVersion)
	if err != nil {
		return dst, err
	}
	bid, err := r.buildID(t, l)
	if err != nil {
		return dst, err
	}
	_, loc, err := r.localeData(t, l)
	if err != nil {
		return dst, err
	}
	dst = append(dst, `    <update type="`...)
	dst = append(dst, rr.ut...)
	dst = append(dst, `" displayVersion="`...)
	dst = append(dst, display.text...)
	dst = append(dst, `" appVersion="`...)
	dst = append(dst, app.text...)
	dst = append(dst, `" platformVersion="`...)
	dst = append(dst, platform.text...)
	dst = append(dst, `" buildID="`...)
	dst = append(dst, bid.text...)
	dst = append(dst, '"')
	if dst, err = r.appendURLAttr(dst, rr, "detailsURL", r.DetailsURL, "detailsUrl", l); err != nil {
		return dst, err
	}
	if dst, err = r.appendURLAttr(dst, rr, "licenseURL", r.LicenseURL, "licenseUrl", l); err != nil {
		return dst, err
	}
	if loc.IsOSUpdate.Truthy() {
		dst = append(dst, ` isOSUpdate="true"`...)
	}
	for _, a := range r.Optional {
		if !a.Localized {
			dst = appendAttr(dst, a.Name, a.Value.xmlText(true))
			continue
		}
		if dst, err = r.appendURLAttr(dst, rr, a.Name, a.Value, a.Name, l); err != nil {
			return dst, err
		}
	}
	return append(dst, '>'), nil
}
