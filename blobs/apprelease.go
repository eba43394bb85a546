package blobs

// AppRelease is an application release blob: schema_version 1 to 6, 8 or 9
// (public.md §6.2, §6.4.1–§6.4.5). One type covers all versions; the
// fields that a version does not use are left empty, and SchemaVersion
// selects the rendering rules.
type AppRelease struct {
	Common

	// HashFunction is "hashFunction".
	HashFunction Value

	// Top-level version parameters. The locale-or-top-level lookup
	// (public.md §6.2) uses a locale's own key first.
	Appv, Extv                                  Value // V1: "appv", "extv"
	AppVersion, DisplayVersion, PlatformVersion Value // V2+

	// DetailsURL and LicenseURL are "detailsUrl" and "licenseUrl" (rendered
	// by V1–V8; V9 ignores them).
	DetailsURL, LicenseURL Value
	// OldVersionSpecialCases is V1's "oldVersionSpecialCases".
	OldVersionSpecialCases Value

	// Optional lists the optional <update> attributes of V2–V8 that the
	// blob has, in the order the version renders them (public.md §7.3.2).
	Optional []OptionalAttr
	// UpdateLine is V9's "updateLine".
	UpdateLine []UpdateLineGroup

	// SeparatedURLs is "fileUrls" of V1–V3: channel → URL template. It is
	// nil when the key is absent.
	SeparatedURLs map[string]Value
	// FtpFilenames and BouncerProducts are the V1–V3 name tables.
	FtpFilenames, BouncerProducts NameTable
	// UnifiedURLs is "fileUrls" of V4+: channel → patch kind → from → URL.
	UnifiedURLs map[string]*ChannelURLs

	// Platforms maps a build target to its entry.
	Platforms map[string]*Platform

	// aliasesOf maps a platform key to the keys whose alias names it.
	aliasesOf map[string][]string
	// bad records a top-level key of the wrong type; using it fails.
	bad map[string]error
	// noPlatforms is set when the blob has no "platforms" key.
	noPlatforms bool
	// brokenPlatform is the error of the first platform entry that is not
	// an object (computing an alias set fails on it).
	brokenPlatform error
}

// OptionalAttr is one optional attribute of a V2–V8 <update> line.
type OptionalAttr struct {
	Name  string
	Value Value
	// Localized attributes have %LOCALE%/%locale% substituted.
	Localized bool
}

// NameTable is "ftpFilenames" or "bouncerProducts" (V1–V3).
type NameTable struct {
	// Flat maps a patch kind ("complete", "partial") to a name (V1, V2).
	Flat map[string]Value
	// Nested maps a patch kind ("completes", "partials") and a from-release
	// to a name (V3).
	Nested map[string]map[string]Value

	err error
}

// ChannelURLs is one channel block of V4+ unified "fileUrls".
type ChannelURLs struct {
	// Completes and Partials map a from-release name ("*" for completes)
	// to a URL template.
	Completes, Partials map[string]Value

	// empty marks a falsy block, which the lookup skips.
	empty bool
	// err marks a block that cannot be read.
	err, completesErr, partialsErr error
}

// Platform is one entry of "platforms".
type Platform struct {
	// Alias is "alias": when present the build target uses that platform.
	Alias Value
	// BuildID, OSFTP and OSBouncer are "buildID", "OS_FTP", "OS_BOUNCER".
	BuildID, OSFTP, OSBouncer Value
	// locales are the platform's locales, parsed on first use
	// (locales.go); nil without a "locales" object, or when deferred
	// holds it (read through AppRelease.platformLocales).
	locales  *platformLocales
	deferred *deferredLocales
	// key is the platform's key in "platforms".
	key string

	err        error // the entry is not an object
	localesErr error // "locales" is not an object
}

// Locale is the data of one locale of one platform.
type Locale struct {
	// BuildID overrides the platform's build ID when present.
	BuildID Value
	// Version parameters that override the top-level ones.
	Appv, Extv, AppVersion, DisplayVersion, PlatformVersion Value
	// IsOSUpdate is "isOSUpdate" (V2+).
	IsOSUpdate Value
	// Complete and Partial are V1/V2's single patches (nil when falsy).
	Complete, Partial *Patch
	// Completes and Partials are the patch lists of V3+.
	Completes, Partials []*Patch

	err error
}

// Patch describes one MAR file.
type Patch struct {
	// From is "from": "*" or the name of the release the client must run.
	From Value
	// Filesize, HashValue, FileURL, BinTransInclusionProof are the keys
	// "filesize", "hashValue", "fileUrl" and "binTransInclusionProof".
	Filesize, HashValue, FileURL, BinTransInclusionProof Value

	err error
}

// optionalAttrs returns the optional <update> attributes of a V2–V8 schema
// in render order, and whether each is locale-substituted.
func optionalAttrs(schema int) (names []string, localized func(string) bool) {
	switch schema {
	case 2, 3, 4:
		names = []string{"billboardURL", "showPrompt", "showNeverForVersion", "actions", "openURL", "notificationURL", "alertURL"}
	case 5:
		names = []string{"billboardURL", "showPrompt", "showNeverForVersion", "actions", "openURL", "notificationURL", "alertURL", "promptWaitTime"}
	case 6:
		names = []string{"showPrompt", "showNeverForVersion", "actions", "openURL", "notificationURL", "alertURL", "promptWaitTime"}
	case 8:
		names = []string{"showPrompt", "showNeverForVersion", "actions", "openURL", "notificationURL", "alertURL", "promptWaitTime", "binTransMerkleRoot", "binTransCertificate", "binTransSCTList"}
	}
	localized = func(name string) bool {
		switch name {
		case "openURL", "notificationURL", "alertURL":
			return true
		case "billboardURL":
			return schema <= 5
		}
		return false
	}
	return names, localized
}

// parseAppRelease reads an app release from its root; packed holds its
// packed locale objects by builder id.
func parseAppRelease(c Common, root *node, packed []*packedLocales, deferred *deferredText) (*AppRelease, error) {
	r := &AppRelease{Common: c}
	sv := c.SchemaVersion
	top := func(key string) Value { return valueOf(root.get(key)) }
	r.HashFunction = top("hashFunction")
	if sv == 1 {
		r.Appv, r.Extv = top("appv"), top("extv")
		r.OldVersionSpecialCases = top("oldVersionSpecialCases")
	} else {
		r.AppVersion, r.DisplayVersion, r.PlatformVersion = top("appVersion"), top("displayVersion"), top("platformVersion")
	}
	if sv != 9 {
		r.DetailsURL, r.LicenseURL = top("detailsUrl"), top("licenseUrl")
	}
	names, localized := optionalAttrs(sv)
	for _, name := range names {
		if v := top(name); v.Present() {
			r.Optional = append(r.Optional, OptionalAttr{Name: name, Value: v, Localized: localized(name)})
		}
	}
	if sv == 9 {
		r.UpdateLine = parseUpdateLine(r, root.get("updateLine"))
	}
	if sv <= 3 {
		r.parseSeparatedURLs(root)
	} else {
		r.parseUnifiedURLs(root.get("fileUrls"))
	}
	r.parsePlatforms(root.get("platforms"), packed, deferred)
	return r, nil
}
