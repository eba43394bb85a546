package blobs

import (
	"fmt"

	"github.com/balrog-go/balrog/rules"
)

// This file holds the platform and locale lookups of app-release blobs
// (public.md §6.2) and their should-serve decision (§6.3).

// noneValue is what a missing parameter renders as.
var noneValue = Value{kind: KindNull, text: "None"}

// resolved is the result of resolving a build target's alias.
type resolved struct {
	name string    // the platform key used (the alias text when aliased)
	p    *Platform // nil when no platform has that key
}

// resolve returns the platform that build target t uses. A t that is not a
// key of "platforms" is a client error: "Can't find platform '%s' <t>".
func (r *AppRelease) resolve(t string) (resolved, error) {
	if err := r.badKey("platforms"); err != nil {
		return resolved{}, err
	}
	p, ok := r.Platforms[t]
	if !ok {
		return resolved{}, badInput("Can't find platform '%s' " + t)
	}
	if p.err != nil {
		return resolved{}, p.err
	}
	switch p.Alias.kind {
	case KindAbsent:
		return resolved{name: t, p: p}, nil
	case KindString:
		return resolved{name: p.Alias.text, p: r.Platforms[p.Alias.text]}, nil
	case KindArray, KindObject:
		return resolved{}, &typeError{blob: r.Name.text, path: "platforms." + t + ".alias", want: "hashable"}
	}
	// A null or numeric alias names no platform (keys are strings).
	return resolved{name: p.Alias.text}, nil
}

// locale returns locale l of a resolved platform (ok is false when the
// platform or the locale is missing), or the error of a platform entry or
// locale table that is not an object.
func (r *AppRelease) resolvedLocale(res resolved, l string) (loc *Locale, ok bool, err error) {
	if res.p == nil {
		return nil, false, nil
	}
	if res.p.err != nil {
		return nil, false, res.p.err
	}
	if res.p.localesErr != nil {
		return nil, false, res.p.localesErr
	}
	return r.locale(res.p, l)
}

// buildID returns the build ID of build target t and locale l: the locale's
// "buildID" if it has one, else the platform's.
func (r *AppRelease) buildID(t, l string) (Value, error) {
	res, err := r.resolve(t)
	if err != nil {
		return Value{}, err
	}
	loc, ok, err := r.resolvedLocale(res, l)
	if err != nil {
		return Value{}, err
	}
	if !ok {
		return Value{}, badInput(fmt.Sprintf("No such locale '%s' in platform '%s'", l, res.name))
	}
	if loc.err != nil {
		return Value{}, loc.err
	}
	if loc.BuildID.Present() {
		return loc.BuildID, nil
	}
	if !res.p.BuildID.Present() {
		return Value{}, badInput(fmt.Sprintf("No buildID for platform '%s'", res.name))
	}
	return res.p.BuildID, nil
}

// param is the locale-or-top-level lookup: the locale's value when the
// resolved platform has the locale and the locale has the key, else the
// top-level value, else None.
func (r *AppRelease) param(t, l string, fromLocale func(*Locale) Value, top Value) (Value, error) {
	if res, err := r.resolve(t); err == nil && res.p != nil {
		loc, ok, err := r.resolvedLocale(res, l)
		if err != nil {
			return Value{}, err
		}
		if ok {
			if loc.err != nil {
				return Value{}, loc.err
			}
			if v := fromLocale(loc); v.Present() {
				return v, nil
			}
		}
	} else if err != nil && !isBadInput(err) {
		return Value{}, err
	}
	if top.Present() {
		return top, nil
	}
	return noneValue, nil
}

// Accessors of the locale-level version parameters.
func locAppv(l *Locale) Value            { return l.Appv }
func locExtv(l *Locale) Value            { return l.Extv }
func locAppVersion(l *Locale) Value      { return l.AppVersion }
func locDisplayVersion(l *Locale) Value  { return l.DisplayVersion }
func locPlatformVersion(l *Locale) Value { return l.PlatformVersion }

// applicationVersion is the version used for should-serve and pins: extv
// for V1, appVersion for V2+.
func (r *AppRelease) applicationVersion(t, l string) (Value, error) {
	if r.SchemaVersion == 1 {
		return r.param(t, l, locExtv, r.Extv)
	}
	return r.param(t, l, locAppVersion, r.AppVersion)
}

// localeData returns the locale object of build target t and locale l
// (the reference's getLocaleData).
func (r *AppRelease) localeData(t, l string) (*Platform, *Locale, error) {
	p, err := r.platformData(t)
	if err != nil {
		return nil, nil, err
	}
	if p.localesErr != nil {
		return nil, nil, p.localesErr
	}
	loc, ok, err := r.locale(p, l)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, badInput("Can't find locale '%s' in '%s' " + l + " " + t)
	}
	if loc.err != nil {
		return nil, nil, loc.err
	}
	return p, loc, nil
}

// platformData returns the platform entry that build target t uses.
func (r *AppRelease) platformData(t string) (*Platform, error) {
	res, err := r.resolve(t)
	if err != nil {
		return nil, err
	}
	if res.p == nil {
		return nil, badInput("Can't find platform '%s' " + res.name)
	}
	if res.p.err != nil {
		return nil, res.p.err
	}
	return res.p, nil
}

// ShouldServe implements public.md §6.3 for app-release blobs.
func (r *AppRelease) ShouldServe(q *rules.Query) (Decision, error) {
	return r.shouldServe(q, nil)
}

// ExplainServe is ShouldServe with the reason for its decision.
func (r *AppRelease) ExplainServe(q *rules.Query) (Decision, string, error) {
	var why string
	d, err := r.shouldServe(q, &why)
	return d, why, err
}

// shouldServe decides; when why is not nil it also says why.
func (r *AppRelease) shouldServe(q *rules.Query, why *string) (Decision, error) {
	if q.BuildID == nil || q.Locale == nil {
		if why != nil {
			*why = fmt.Sprintf("the query has no build ID or locale (JSON route)")
		}
		return No, nil
	}
	t, l := q.BuildTarget, *q.Locale
	rvValue, err := r.applicationVersion(t, l)
	if err != nil {
		return No, err
	}
	if !rvValue.Truthy() {
		if why != nil {
			*why = fmt.Sprintf("the release has no application version for %s/%s", t, l)
		}
		return No, nil
	}
	rvText, err := rvValue.stringOf(r.Name.text, "application version")
	if err != nil {
		return No, err
	}
	rv, err := rules.ParseMozillaVersion(rvText)
	if err != nil {
		return No, err
	}
	qv, err := rules.ParseMozillaVersion(q.Version)
	if err != nil {
		return No, err
	}
	if qv.Compare(rv) > 0 {
		if why != nil {
			*why = fmt.Sprintf("client version %s is newer than the release's %s", q.Version, rvText)
		}
		return No, nil
	}
	if rv.Equal(qv) {
		bid, err := r.buildID(t, l)
		if err != nil {
			return No, err
		}
		// The reference compares strings; for a numeric build ID (which
		// makes it crash) the decimal text is compared (Q4).
		switch bid.kind {
		case KindString, KindInt:
		default:
			return No, &typeError{blob: r.Name.text, path: "buildID of " + t + "/" + l, want: "a string"}
		}
		if *q.BuildID >= bid.text {
			if why != nil {
				*why = fmt.Sprintf("same version %s and client build ID %s is not older than the release's %s", rvText, *q.BuildID, bid.text)
			}
			return No, nil
		}
	}
	if err := r.badKey("platforms"); err != nil {
		return No, err
	}
	if r.noPlatforms {
		return No, fmt.Errorf("blobs: %s: platforms is missing", r.Name.text)
	}
	if _, ok := r.Platforms[t]; !ok {
		if why != nil {
			*why = fmt.Sprintf("the release has no platform %s", t)
		}
		return No, nil
	}
	if q.Pin != nil {
		pin, err := rules.ParsePin(*q.Pin)
		if err != nil {
			return No, err
		}
		if pin.IsNewer(rv) {
			if why != nil {
				*why = fmt.Sprintf("release version %s is newer than the client's pin %s: the pin table decides", rvText, *q.Pin)
			}
			return Maybe, nil
		}
	}
	if why != nil {
		*why = fmt.Sprintf("release version %s is an update for client %s (build %s)", rvText, q.Version, *q.BuildID)
	}
	return Yes, nil
}
