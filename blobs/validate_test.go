package blobs

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// ---------------------------------------------------------------------------
// Allowlists.

// valTestProdAllowlist is the production admin table of schema.md §11.1
// (without the STAGING/LOCALDEV hosts).
func valTestProdAllowlist() *Allowlist {
	widevine := []string{"Widevine", "Widevine-L1"}
	a, err := NewAllowlist([]AllowlistHost{
		{Host: "download.mozilla.org", Products: []string{"Firefox", "Fennec", "Devedition", "Thunderbird", "Pinebuild"}},
		{Host: "archive.mozilla.org", Products: []string{"Firefox", "Fennec", "Devedition", "Thunderbird", "FirefoxVPN", "Pinebuild", "SystemAddons"}},
		{Host: "download.cdn.mozilla.net", Products: []string{"Firefox", "Fennec"}},
		{Host: "ciscobinary.openh264.org", Products: []string{"OpenH264"}},
		{Host: "cdmdownload.adobe.com", Products: []string{"CDM"}},
		{Host: "clients2.googleusercontent.com", Products: []string{"Widevine"}},
		{Host: "edgedl.me.gvt1.com", Products: widevine},
		{Host: "redirector.gvt1.com", Products: widevine},
		{Host: "www.google.com", Paths: []AllowlistPath{{Pattern: `/dl/release2/chrome_component/[\w\.]+/[\w\.]+\.crx3`, Products: widevine}}},
		{Host: "ftp.mozilla.org", Products: []string{"SystemAddons"}},
		{Host: "fpn.firefox.com", Products: []string{"FirefoxVPN", "Guardian"}},
		{Host: "vpn.mozilla.org", Products: []string{"FirefoxVPN", "Guardian"}},
	})
	if err != nil {
		panic(err)
	}
	return a
}

// valTestConfigAllowlist reads the allowlist of a conformance scenario's
// config.json.
func valTestConfigAllowlist(t *testing.T, path string) *Allowlist {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		DomainAllowlist json.RawMessage `json:"domain_allowlist"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	a, err := ParseAllowlist(cfg.DomainAllowlist)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

var valTestOpts = ValidateOptions{Allowlist: valTestProdAllowlist()}

// ---------------------------------------------------------------------------
// Golden inputs and mutations.

// valTestFiles maps each testdata/validate file to the product of its
// release row.
var valTestFiles = map[string]string{
	"v1.json": "Firefox", "v2.json": "Firefox", "v3.json": "Firefox", "v4.json": "Firefox",
	"v5.json": "Firefox", "v6.json": "Firefox", "v8.json": "Firefox", "v9.json": "Firefox",
	"desupport.json": "Firefox", "gmp.json": "CDM",
	"superblob-products.json": "GMP", "superblob-blobs.json": "SystemAddons",
	"systemaddons.json": "SystemAddons", "systemaddons-uninstall.json": "SystemAddons",
	"guardian.json": "Guardian",
}

func valTestLoad(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "validate", name))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// valTestEdit is a change to a decoded blob: set (or, with del, delete) the
// value at path, whose elements are object keys (string) or indexes (int).
type valTestEdit struct {
	path  []any
	value any
	del   bool
}

func valSet(value any, path ...any) valTestEdit { return valTestEdit{path: path, value: value} }
func valDel(path ...any) valTestEdit            { return valTestEdit{path: path, del: true} }

// valRaw is a value written as JSON text.
type valRaw string

func valTestApply(t *testing.T, data []byte, edits []valTestEdit) []byte {
	t.Helper()
	if len(edits) == 0 {
		return data
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	for _, e := range edits {
		v := e.value
		if r, ok := v.(valRaw); ok {
			v = json.RawMessage(r)
		}
		doc = valTestEditAt(t, doc, e.path, v, e.del)
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func valTestEditAt(t *testing.T, node any, path []any, value any, del bool) any {
	t.Helper()
	if len(path) == 0 {
		return value
	}
	switch key := path[0].(type) {
	case string:
		m, ok := node.(map[string]any)
		if !ok {
			t.Fatalf("edit: %q: not an object", key)
		}
		if len(path) == 1 && del {
			if _, ok := m[key]; !ok {
				t.Fatalf("edit: delete of missing key %q", key)
			}
			delete(m, key)
			return m
		}
		m[key] = valTestEditAt(t, m[key], path[1:], value, del)
		return m
	case int:
		a, ok := node.([]any)
		if !ok || key >= len(a) {
			t.Fatalf("edit: [%d]: not an array or out of range", key)
		}
		if len(path) == 1 && del {
			return append(a[:key], a[key+1:]...)
		}
		a[key] = valTestEditAt(t, a[key], path[1:], value, del)
		return a
	}
	t.Fatalf("edit: bad path element %v", path[0])
	return nil
}

func TestValidateGoldenInputsAreValid(t *testing.T) {
	for name, product := range valTestFiles {
		t.Run(name, func(t *testing.T) {
			if err := Validate(valTestLoad(t, name), product, valTestOpts); err != nil {
				t.Fatalf("Validate: %v", err)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// Invalid blobs.

type valTestCase struct {
	name    string
	file    string
	product string // default: valTestFiles[file]
	edits   []valTestEdit
	json    string // used instead of file+edits when set
	kind    ValidationErrorKind
	msg     string   // expected Message ("" = don't care)
	want    []string // each must be one of the errors, exactly
	wantSub []string // each must be a substring of some error
	count   int      // expected number of errors (0 = don't care)
}

func (tc valTestCase) run(t *testing.T) {
	t.Helper()
	var data []byte
	product := tc.product
	if tc.json != "" {
		data = []byte(tc.json)
	} else {
		data = valTestApply(t, valTestLoad(t, tc.file), tc.edits)
		if product == "" {
			product = valTestFiles[tc.file]
		}
	}
	err := Validate(data, product, valTestOpts)
	if err == nil {
		t.Fatalf("Validate accepted %s", data)
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %T %v is not a *ValidationError", err, err)
	}
	if tc.kind != 0 && ve.Kind != tc.kind {
		t.Errorf("Kind = %d, want %d (errors: %q)", ve.Kind, tc.kind, ve.Errors)
	}
	if tc.msg != "" && ve.Message != tc.msg {
		t.Errorf("Message = %q, want %q", ve.Message, tc.msg)
	}
	for _, w := range tc.want {
		if !slices.Contains(ve.Errors, w) {
			t.Errorf("missing error %q; got:\n  %s", w, strings.Join(ve.Errors, "\n  "))
		}
	}
	for _, w := range tc.wantSub {
		if !slices.ContainsFunc(ve.Errors, func(e string) bool { return strings.Contains(e, w) }) {
			t.Errorf("no error contains %q; got:\n  %s", w, strings.Join(ve.Errors, "\n  "))
		}
	}
	if tc.count != 0 && len(ve.Errors) != tc.count {
		t.Errorf("got %d errors, want %d:\n  %s", len(ve.Errors), tc.count, strings.Join(ve.Errors, "\n  "))
	}
}

func TestValidateSchemaVersion(t *testing.T) {
	notSet := []string{"schema_version is not set"}
	unknown := []string{"schema_version is unknown"}
	for _, tc := range []valTestCase{
		{name: "missing", json: `{"name": "x"}`, want: notSet},
		{name: "null", json: `{"name": "x", "schema_version": null}`, want: notSet},
		{name: "zero", json: `{"name": "x", "schema_version": 0}`, want: notSet},
		{name: "false", json: `{"name": "x", "schema_version": false}`, want: notSet},
		{name: "empty string", json: `{"name": "x", "schema_version": ""}`, want: notSet},
		{name: "7 has a schema file but no blob class", json: `{"name": "x", "schema_version": 7}`, want: unknown},
		{name: "666", json: `{"name": "x", "schema_version": 666}`, want: unknown},
		{name: "4.5", json: `{"name": "x", "schema_version": 4.5}`, want: unknown},
		{name: "string", json: `{"name": "x", "schema_version": "4"}`, want: unknown},
		{name: "array", json: `{"name": "x", "schema_version": [4]}`, want: unknown},
		// Python: True == 1 selects the V1 class, whose schema rejects it.
		{name: "true", json: `{"name": "x", "schema_version": true, "hashFunction": "sha512"}`,
			msg: ValidationMsgSchema, want: []string{"schema_version: expected number, got boolean"}, count: 1},
	} {
		tc.kind = ValidationInvalidBlob
		if tc.msg == "" {
			tc.msg = ValidationMsgInvalidBlob
			tc.count = 1
		}
		t.Run(tc.name, tc.run)
	}

	// 4.0 is 4 for Python.
	data := valTestApply(t, valTestLoad(t, "v4.json"), []valTestEdit{valSet(valRaw("4.0"), "schema_version")})
	if err := Validate(data, "Firefox", valTestOpts); err != nil {
		t.Errorf("schema_version 4.0: %v", err)
	}
}

func TestValidateNotJSONObject(t *testing.T) {
	for _, tc := range []valTestCase{
		{name: "syntax", json: `{"name": `, wantSub: []string{"blob: invalid JSON"}},
		{name: "trailing data", json: `{"name": "x"} {}`, wantSub: []string{"blob: invalid JSON"}},
		{name: "array", json: `[1]`, want: []string{"blob: expected object, got array"}},
	} {
		tc.kind, tc.msg, tc.count = ValidationInvalidBlob, ValidationMsgInvalidBlob, 1
		t.Run(tc.name, tc.run)
	}
}

func TestValidateAppReleaseSchema(t *testing.T) {
	const (
		w   = "WINNT_x86-msvc"
		w64 = "WINNT_x86_64-msvc"
	)
	de := func(v ...any) []any { return append([]any{"platforms", w, "locales", "de"}, v...) }
	de9 := func(v ...any) []any { return append([]any{"platforms", w64, "locales", "de"}, v...) }
	for _, tc := range []valTestCase{
		// Required keys and top-level types.
		{name: "v4 name missing", file: "v4.json", edits: []valTestEdit{valDel("name")},
			want: []string{"name: required property is missing"}, count: 1},
		{name: "v4 hashFunction missing", file: "v4.json", edits: []valTestEdit{valDel("hashFunction")},
			want: []string{"hashFunction: required property is missing"}, count: 1},
		{name: "v4 empty name", file: "v4.json", edits: []valTestEdit{valSet("", "name")},
			want: []string{"name: must not be empty"}},
		{name: "v4 long product", file: "v4.json", edits: []valTestEdit{valSet(strings.Repeat("é", 101), "product")},
			want: []string{"product: must be at most 100 characters long, got 101"}},
		{name: "v4 100 characters are fine, counted as code points", file: "v4.json",
			edits: []valTestEdit{valSet(strings.Repeat("é", 100), "product"), valSet(strings.Repeat("x", 101), "name")},
			want:  []string{"name: must be at most 100 characters long, got 101"}, count: 1},
		{name: "v4 showPrompt string", file: "v4.json", edits: []valTestEdit{valSet("true", "showPrompt")},
			want: []string{"showPrompt: expected boolean, got string"}},
		{name: "v5 promptWaitTime string", file: "v5.json", edits: []valTestEdit{valSet("60", "promptWaitTime")},
			want: []string{"promptWaitTime: expected number, got string"}},

		// Keys that another schema_version allows.
		{name: "v6 has no platformVersion", file: "v6.json", edits: []valTestEdit{valSet("56.0", "platformVersion")},
			want: []string{"platformVersion: unknown property (not allowed in a schema_version 6 blob)"}, count: 1},
		{name: "v6 has no billboardURL or licenseUrl", file: "v6.json",
			edits: []valTestEdit{valSet("x", "billboardURL"), valSet("x", "licenseUrl")}, count: 2,
			want: []string{"billboardURL: unknown property (not allowed in a schema_version 6 blob)",
				"licenseUrl: unknown property (not allowed in a schema_version 6 blob)"}},
		{name: "v4 has no promptWaitTime", file: "v4.json", edits: []valTestEdit{valSet(5, "promptWaitTime")},
			want: []string{"promptWaitTime: unknown property (not allowed in a schema_version 4 blob)"}},
		{name: "v9 has no detailsUrl", file: "v9.json", edits: []valTestEdit{valSet("x", "detailsUrl")},
			want: []string{"detailsUrl: unknown property (not allowed in a schema_version 9 blob)"}},
		{name: "v2 has no appv", file: "v2.json", edits: []valTestEdit{valSet("x", "appv")},
			want: []string{"appv: unknown property (not allowed in a schema_version 2 blob)"}},
		{name: "v1 fakePartials number", file: "v1.json", edits: []valTestEdit{valSet(1, "fakePartials")},
			want: []string{"fakePartials: expected boolean, got number"}},
		{name: "v6 locale has no platformVersion", file: "v6.json", edits: []valTestEdit{valSet("56.0", de("platformVersion")...)},
			want: []string{"platforms.WINNT_x86-msvc.locales.de.platformVersion: unknown property"}},
		{name: "v9 locale has no isOSUpdate", file: "v9.json", edits: []valTestEdit{valSet(true, de9("isOSUpdate")...)},
			want: []string{"platforms.WINNT_x86_64-msvc.locales.de.isOSUpdate: unknown property"}},

		// Patches.
		{name: "v4 filesize boolean", file: "v4.json", edits: []valTestEdit{valSet(true, de("completes", 0, "filesize")...)},
			want: []string{"platforms.WINNT_x86-msvc.locales.de.completes[0].filesize: expected a number or a string of digits, got boolean"}, count: 1},
		{name: "v3 filesize not digits", file: "v3.json",
			edits: []valTestEdit{valSet("12 MB", "platforms", "Darwin_x86_64-gcc3-u-i386-x86_64", "locales", "fr", "partials", 0, "filesize")},
			want:  []string{`platforms.Darwin_x86_64-gcc3-u-i386-x86_64.locales.fr.partials[0].filesize: expected a number or a string of digits, got "12 MB"`}},
		{name: "v4 hashValue missing", file: "v4.json", edits: []valTestEdit{valDel(de("partials", 0, "hashValue")...)},
			want: []string{"platforms.WINNT_x86-msvc.locales.de.partials[0].hashValue: required property is missing"}},
		{name: "v4 unknown patch key", file: "v4.json", edits: []valTestEdit{valSet("x", de("completes", 0, "binTransInclusionProof")...)},
			want: []string{"platforms.WINNT_x86-msvc.locales.de.completes[0].binTransInclusionProof: unknown property"}},
		{name: "v8 binTransInclusionProof required", file: "v8.json", edits: []valTestEdit{valDel(de("partials", 0, "binTransInclusionProof")...)},
			want: []string{"platforms.WINNT_x86-msvc.locales.de.partials[0].binTransInclusionProof: required property is missing"}},
		{name: "v4 completes not a list", file: "v4.json", edits: []valTestEdit{valSet(valRaw(`{"from": "*"}`), de("completes")...)},
			want: []string{"platforms.WINNT_x86-msvc.locales.de.completes: expected array, got object"}},
		{name: "v1 complete from must be *", file: "v1.json",
			edits: []valTestEdit{valSet("Firefox-5.0-build1", "platforms", w, "locales", "de", "complete", "from")},
			want:  []string{`platforms.WINNT_x86-msvc.locales.de.complete.from: must be "*", got "Firefox-5.0-build1"`}},
		{name: "v1 has no partials list", file: "v1.json", edits: []valTestEdit{valSet(valRaw(`[]`), de("partials")...)},
			want: []string{"platforms.WINNT_x86-msvc.locales.de.partials: unknown property"}},

		// Platforms.
		{name: "v4 buildID with letters", file: "v4.json", edits: []valTestEdit{valSet("2017a", "platforms", w, "buildID")},
			want: []string{`platforms.WINNT_x86-msvc.buildID: expected a number or a string of digits, got "2017a"`}},
		{name: "v4 alias not a string", file: "v4.json", edits: []valTestEdit{valSet(3, "platforms", "WINNT_x86-msvc-x86", "alias")},
			want: []string{"platforms.WINNT_x86-msvc-x86.alias: expected string, got number"}, count: 1},
		{name: "v4 platform not an object", file: "v4.json", edits: []valTestEdit{valSet("WINNT_x86-msvc", "platforms", "WINNT_x86-msvc-x86")},
			want: []string{"platforms.WINNT_x86-msvc-x86: expected object, got string"}},
		{name: "v4 unknown platform key", file: "v4.json", edits: []valTestEdit{valSet("x", "platforms", w, "OS_Bouncer")},
			want: []string{"platforms.WINNT_x86-msvc.OS_Bouncer: unknown property"}},
		{name: "v4 empty platform name", file: "v4.json", edits: []valTestEdit{valSet(valRaw(`{}`), "platforms", "")},
			want: []string{`platforms[""]: key not allowed here (keys must match ^.+$)`}},
		{name: "v4 empty locale name", file: "v4.json", edits: []valTestEdit{valSet(valRaw(`{}`), "platforms", w, "locales", "")},
			want: []string{`platforms.WINNT_x86-msvc.locales[""]: key not allowed here (keys must match ^.+$)`}},
		{name: "v4 locale not an object", file: "v4.json", edits: []valTestEdit{valSet(valRaw(`[]`), de()...)},
			want: []string{"platforms.WINNT_x86-msvc.locales.de: expected object, got array"}},

		// fileUrls.
		{name: "v4 fileUrls kind", file: "v4.json", edits: []valTestEdit{valSet(valRaw(`{"*": "http://download.mozilla.org/x"}`), "fileUrls", "*", "complete")},
			want: []string{`fileUrls["*"].complete: key not allowed here (keys must match ^(partials|completes)$)`}},
		{name: "v4 fileUrls old style", file: "v4.json", edits: []valTestEdit{valSet("http://download.mozilla.org/x", "fileUrls", "beta")},
			want: []string{`fileUrls.beta: expected object, got string`}},
		{name: "v4 fileUrls URL not a string", file: "v4.json", edits: []valTestEdit{valSet(5, "fileUrls", "*", "partials", "Firefox-54.0.1-build1")},
			want: []string{`fileUrls["*"].partials["Firefox-54.0.1-build1"]: expected string, got number`}},
		{name: "v3 fileUrls unified", file: "v3.json", edits: []valTestEdit{valSet(valRaw(`{"completes": {"*": "http://download.mozilla.org/x"}}`), "fileUrls", "release")},
			want: []string{"fileUrls.release: expected string, got object"}},
		{name: "v2 ftpFilenames plural", file: "v2.json", edits: []valTestEdit{valSet(valRaw(`{"*": "x"}`), "ftpFilenames", "completes")},
			want: []string{"ftpFilenames.completes: key not allowed here (keys must match ^(partial|complete)$)"}},
		{name: "v3 ftpFilenames", file: "v3.json", edits: []valTestEdit{valSet(1, "bouncerProducts", "partials", "Firefox-19.0-build1")},
			want: []string{`bouncerProducts.partials["Firefox-19.0-build1"]: expected string, got number`}},
		{name: "v4 has no ftpFilenames", file: "v4.json", edits: []valTestEdit{valSet(valRaw(`{}`), "ftpFilenames")},
			want: []string{"ftpFilenames: unknown property (not allowed in a schema_version 4 blob)"}},

		// Several errors are reported together, in document order.
		{name: "several", file: "v6.json", count: 3,
			edits: []valTestEdit{valSet(1, "appVersion"), valDel(de("completes", 0, "from")...), valSet("x", "foo")},
			want: []string{"appVersion: expected string, got number",
				"foo: unknown property (not allowed in a schema_version 6 blob)",
				"platforms.WINNT_x86-msvc.locales.de.completes[0].from: required property is missing"}},
	} {
		tc.kind, tc.msg = ValidationInvalidBlob, ValidationMsgSchema
		t.Run(tc.name, tc.run)
	}
}

// An entry with "alias" matches the first branch of the platform oneOf,
// which does not restrict the other keys: Balrog accepts them.
func TestValidateAliasEntryToleratesOtherKeys(t *testing.T) {
	data := valTestApply(t, valTestLoad(t, "v4.json"), []valTestEdit{
		valSet(valRaw(`{"alias": "WINNT_x86-msvc", "buildID": "junk", "anything": [1]}`), "platforms", "WINNT_x86-msvc-x86"),
	})
	if err := Validate(data, "Firefox", valTestOpts); err != nil {
		t.Fatal(err)
	}
}

// Python's `$` matches before a final newline, so Balrog's patterns accept
// "123\n" as digits and "partials\n" as a patch kind.
func TestValidatePythonDollar(t *testing.T) {
	data := valTestApply(t, valTestLoad(t, "v4.json"), []valTestEdit{
		valSet("123\n", "platforms", "WINNT_x86-msvc", "buildID"),
		valSet(valRaw(`{"*": "http://download.mozilla.org/x"}`), "fileUrls", "*", "completes\n"),
	})
	if err := Validate(data, "Firefox", valTestOpts); err != nil {
		t.Fatal(err)
	}
}

func TestValidateUpdateLineSchema(t *testing.T) {
	ul := func(v ...any) []any { return append([]any{"updateLine"}, v...) }
	for _, tc := range []valTestCase{
		{name: "not a list", edits: []valTestEdit{valSet(valRaw(`{}`), "updateLine")},
			want: []string{"updateLine: expected array, got object"}},
		{name: "unknown group key", edits: []valTestEdit{valSet(valRaw(`{}`), ul(0, "when")...)},
			want: []string{"updateLine[0].when: unknown property"}},
		{name: "unknown condition", edits: []valTestEdit{valSet(valRaw(`["x"]`), ul(1, "for", "products")...)},
			want: []string{"updateLine[1].for.products: unknown property"}},
		{name: "unknown field", edits: []valTestEdit{valSet("x", ul(0, "fields", "detailsUrl")...)},
			want: []string{"updateLine[0].fields.detailsUrl: unknown property"}},
		{name: "type enum", edits: []valTestEdit{valSet("patch", ul(0, "fields", "type")...)},
			want: []string{`updateLine[0].fields.type: must be one of "minor", "major", got "patch"`}},
		{name: "disableBITS false", edits: []valTestEdit{valSet(false, ul(2, "fields", "disableBITS")...)},
			want: []string{"updateLine[2].fields.disableBITS: must be true (leave it out instead of setting false)"}},
		{name: "disableBackgroundUpdates string", edits: []valTestEdit{valSet("true", ul(2, "fields", "disableBackgroundUpdates")...)},
			want: []string{"updateLine[2].fields.disableBackgroundUpdates: expected boolean, got string"}},
		{name: "locale not a string", edits: []valTestEdit{valSet(valRaw(`["de", 1]`), ul(1, "for", "locales")...)},
			want: []string{"updateLine[1].for.locales[1]: expected string, got number"}},
		{name: "bad version", edits: []valTestEdit{valSet(valRaw(`["<60.0", "60.0.10.0"]`), ul(1, "for", "versions")...)},
			want: []string{`updateLine[1].for.versions[1]: invalid version "60.0.10.0": cannot parse "60.0.10.0" as a Mozilla version`}},
		{name: "comparison in a version list", edits: []valTestEdit{valSet(valRaw(`["58.0,<59.0"]`), ul(3, "for", "versions")...)},
			want: []string{`updateLine[3].for.versions[0]: invalid version "58.0,<59.0": comparisons and globs are not allowed in a list of versions`}},
		{name: "bad buildID", edits: []valTestEdit{valSet(valRaw(`["<2019x"]`), ul(1, "for", "buildIDs")...)},
			wantSub: []string{`updateLine[1].for.buildIDs[0]: invalid buildID "<2019x": must be an integer`}},
	} {
		tc.file, tc.kind, tc.msg = "v9.json", ValidationInvalidBlob, ValidationMsgSchema
		t.Run(tc.name, tc.run)
	}
}

func TestValidateVersionFormat(t *testing.T) {
	for s, ok := range map[string]bool{
		"": true, "60.0": true, "<60.0": true, "<=60.0": true, ">60.0.1": true, ">=4.0b1": true,
		"60.*": true, "60.0.*": true, "60.0a1": true, "3.6.3plugin1": true, "1.5.0.12": true,
		"58.0,59.0": true, "60.0\n": true,
		"60.0b1":   false, // versions above 4 only take an "a" tag
		"60.0.0.0": true,  // "ancient" four-part form
		"60":       false, "4.*": false, "60.0.10.0": false, "=60.0": false, "<60.*": false,
		"58.0,<59.0": false, "58.*,59.0": false, "58.0,": false, "x": false, "<x": false,
	} {
		if got := valCheckVersionFormat(s) == ""; got != ok {
			t.Errorf("version %q: valid = %v, want %v (%s)", s, got, ok, valCheckVersionFormat(s))
		}
	}
}

func TestValidateBuildIDFormat(t *testing.T) {
	for s, ok := range map[string]bool{
		"": true, "20190101": true, "<20190101": true, ">=20190101": true, "<=1": true,
		"20 ": true, "2_0": true, "٣": true, // Python int() syntax
		" 20": false, // get_op needs a word character or an operator first
		"2*":  false, "=20": false, "<-5": false, "-5": false, "20x": false, "<20x": false, "x": false, "2__0": false,
	} {
		if got := valCheckBuildIDFormat(s) == ""; got != ok {
			t.Errorf("buildID %q: valid = %v, want %v (%s)", s, got, ok, valCheckBuildIDFormat(s))
		}
	}
}

func TestValidateOtherTypesSchema(t *testing.T) {
	vp := func(v ...any) []any { return append([]any{"vendors", "gmp-eme-adobe", "platforms"}, v...) }
	ap := func(v ...any) []any { return append([]any{"addons", "timecop@mozilla.com", "platforms"}, v...) }
	for _, tc := range []valTestCase{
		// Desupport.
		{name: "desupport detailsUrl missing", file: "desupport.json", edits: []valTestEdit{valDel("detailsUrl")},
			want: []string{"detailsUrl: required property is missing"}, count: 1},
		{name: "desupport unknown key", file: "desupport.json", edits: []valTestEdit{valSet("bar", "foo")},
			want: []string{"foo: unknown property (not allowed in a schema_version 50 blob)"}},
		{name: "desupport hashFunction", file: "desupport.json", edits: []valTestEdit{valSet("sha512", "hashFunction")},
			want: []string{"hashFunction: unknown property (not allowed in a schema_version 50 blob)"}},

		// GMP.
		{name: "gmp vendors missing", file: "gmp.json", edits: []valTestEdit{valDel("vendors")},
			want: []string{"vendors: required property is missing"}},
		{name: "gmp version missing", file: "gmp.json", edits: []valTestEdit{valDel("vendors", "gmp-eme-adobe", "version")},
			want: []string{"vendors.gmp-eme-adobe.version: required property is missing"}},
		{name: "gmp filesize string", file: "gmp.json", edits: []valTestEdit{valSet("3694349", vp("WINNT_x86-msvc", "filesize")...)},
			want: []string{"vendors.gmp-eme-adobe.platforms.WINNT_x86-msvc.filesize: expected number, got string"}},
		{name: "gmp fileUrl missing", file: "gmp.json", edits: []valTestEdit{valDel(vp("WINNT_x86-msvc", "fileUrl")...)},
			want: []string{"vendors.gmp-eme-adobe.platforms.WINNT_x86-msvc.fileUrl: required property is missing"}},
		{name: "gmp mirror not a string", file: "gmp.json", edits: []valTestEdit{valSet(valRaw(`["https://cdmdownload.adobe.com/m", 7]`), vp("default", "mirrorUrls")...)},
			want: []string{"vendors.gmp-eme-adobe.platforms.default.mirrorUrls[1]: expected string, got number"}},
		{name: "gmp unknown vendor key", file: "gmp.json", edits: []valTestEdit{valSet("x", "vendors", "gmp-eme-adobe", "Version")},
			want: []string{"vendors.gmp-eme-adobe.Version: unknown property"}},

		// SuperBlob.
		{name: "superblob both", file: "superblob-products.json", edits: []valTestEdit{valSet(valRaw(`["a"]`), "blobs")},
			want: []string{`blob: a SuperBlob blob has either "products" or "blobs", not both`}, count: 1},
		{name: "superblob neither", file: "superblob-products.json", edits: []valTestEdit{valDel("products"), valSet(1, "name")},
			want: []string{`blob: a SuperBlob blob needs one of "products" or "blobs"`, "name: expected string, got number"}, count: 2},
		{name: "superblob empty name", file: "superblob-blobs.json", edits: []valTestEdit{valSet(valRaw(`["a", ""]`), "blobs")},
			want: []string{"blobs[1]: must not be empty"}},
		{name: "superblob hashFunction", file: "superblob-products.json", edits: []valTestEdit{valSet("sha512", "hashFunction")},
			want: []string{"hashFunction: unknown property (not allowed in a schema_version 4000 blob)"}},

		// SystemAddons.
		{name: "systemaddons neither", file: "systemaddons-uninstall.json", edits: []valTestEdit{valDel("uninstall")},
			want: []string{`blob: a SystemAddons blob needs one of "uninstall" or "addons"`}, count: 1},
		{name: "systemaddons both", file: "systemaddons-uninstall.json", edits: []valTestEdit{valSet(valRaw(`{}`), "addons")},
			want: []string{`blob: a SystemAddons blob has either "uninstall" or "addons", not both`}},
		{name: "systemaddons uninstall string", file: "systemaddons-uninstall.json", edits: []valTestEdit{valSet("true", "uninstall")},
			want: []string{"uninstall: expected boolean, got string"}},
		{name: "systemaddons version missing", file: "systemaddons.json", edits: []valTestEdit{valDel("addons", "timecop@mozilla.com", "version")},
			want: []string{`addons["timecop@mozilla.com"].version: required property is missing`}},
		{name: "systemaddons hashValue number", file: "systemaddons.json", edits: []valTestEdit{valSet(5, ap("default", "hashValue")...)},
			want: []string{`addons["timecop@mozilla.com"].platforms.default.hashValue: expected string, got number`}},
		{name: "systemaddons mirrorUrls not allowed", file: "systemaddons.json", edits: []valTestEdit{valSet(valRaw(`[]`), ap("default", "mirrorUrls")...)},
			want: []string{`addons["timecop@mozilla.com"].platforms.default.mirrorUrls: unknown property`}},

		// Guardian.
		{name: "guardian product required", file: "guardian.json", edits: []valTestEdit{valDel("product")},
			want: []string{"product: required property is missing"}, count: 1},
		{name: "guardian required not boolean", file: "guardian.json", edits: []valTestEdit{valSet("yes", "required")},
			want: []string{"required: expected boolean, got string"}},
		{name: "guardian platform alias", file: "guardian.json", edits: []valTestEdit{valSet(valRaw(`{"alias": "WINNT_x86_64"}`), "platforms", "WINNT_x86")},
			want: []string{"platforms.WINNT_x86.alias: unknown property", "platforms.WINNT_x86.fileUrl: required property is missing",
				"platforms.WINNT_x86.hashValue: required property is missing"}, count: 3},
	} {
		tc.kind, tc.msg = ValidationInvalidBlob, ValidationMsgSchema
		t.Run(tc.name, tc.run)
	}
}

// ---------------------------------------------------------------------------
// Forbidden domains.

func TestValidateForbiddenDomains(t *testing.T) {
	const evil = "https://evil.example.com/x.mar"
	for _, tc := range []valTestCase{
		{name: "v4 top-level fileUrls", file: "v4.json", edits: []valTestEdit{valSet(evil, "fileUrls", "*", "completes", "*")},
			want: []string{`fileUrls["*"].completes["*"]: forbidden domain: "https://evil.example.com/x.mar" is not allowlisted for product "Firefox"`}, count: 1},
		{name: "v4 patch fileUrl", file: "v4.json", edits: []valTestEdit{valSet(evil, "platforms", "WINNT_x86-msvc", "locales", "de", "completes", 0, "fileUrl")},
			wantSub: []string{"platforms.WINNT_x86-msvc.locales.de.completes[0].fileUrl: forbidden domain"}, count: 1},
		{name: "v1 old-style fileUrls and partial", file: "v1.json",
			edits:   []valTestEdit{valSet(evil, "fileUrls", "release"), valSet(evil, "platforms", "WINNT_x86-msvc", "locales", "de", "partial", "fileUrl")},
			wantSub: []string{"fileUrls.release: forbidden domain", "platforms.WINNT_x86-msvc.locales.de.partial.fileUrl: forbidden domain"}, count: 2},
		{name: "host allowed for another product", file: "v4.json", product: "CDM",
			wantSub: []string{`fileUrls["*"].completes["*"]: forbidden domain`}, count: 3},
		{name: "netloc with a port is another host", file: "v4.json",
			edits:   []valTestEdit{valSet("http://download.mozilla.org:80/x", "fileUrls", "*", "completes", "*")},
			wantSub: []string{`fileUrls["*"].completes["*"]: forbidden domain`}, count: 1},
		{name: "alias entry locales are walked too", file: "v4.json",
			edits:   []valTestEdit{valSet(valRaw(`{"alias": "WINNT_x86-msvc", "locales": {"de": {"partials": [{"fileUrl": "`+evil+`"}]}}}`), "platforms", "WINNT_x86-msvc-x86")},
			wantSub: []string{"platforms.WINNT_x86-msvc-x86.locales.de.partials[0].fileUrl: forbidden domain"}, count: 1},
		{name: "gmp fileUrl and mirror", file: "gmp.json",
			edits: []valTestEdit{valSet(evil, "vendors", "gmp-eme-adobe", "platforms", "WINNT_x86-msvc", "fileUrl"),
				valSet(valRaw(`["https://cdmdownload.adobe.com/ok", "`+evil+`"]`), "vendors", "gmp-eme-adobe", "platforms", "default", "mirrorUrls")},
			wantSub: []string{"vendors.gmp-eme-adobe.platforms.WINNT_x86-msvc.fileUrl: forbidden domain",
				"vendors.gmp-eme-adobe.platforms.default.mirrorUrls[1]: forbidden domain"}, count: 2},
		{name: "systemaddons", file: "systemaddons.json", product: "Firefox",
			wantSub: []string{`addons["timecop@mozilla.com"].platforms.default.fileUrl: forbidden domain`}, count: 1},
		{name: "guardian", file: "guardian.json", edits: []valTestEdit{valSet(evil, "platforms", "WINNT_x86_64", "fileUrl")},
			wantSub: []string{"platforms.WINNT_x86_64.fileUrl: forbidden domain"}, count: 1},
		{name: "www.google.com path rule", file: "gmp.json", product: "Widevine",
			edits: []valTestEdit{valSet("https://www.google.com/dl/release2/chrome_component/abc_1.2/x.crx3", "vendors", "gmp-eme-adobe", "platforms", "WINNT_x86-msvc", "fileUrl"),
				valSet("https://www.google.com/dl/other/x.crx3", "vendors", "gmp-eme-adobe", "platforms", "default", "fileUrl"),
				valDel("vendors", "gmp-eme-adobe", "platforms", "default", "mirrorUrls")},
			want: []string{`vendors.gmp-eme-adobe.platforms.default.fileUrl: forbidden domain: "https://www.google.com/dl/other/x.crx3" is not allowlisted for product "Widevine"`}, count: 1},
	} {
		tc.kind, tc.msg = ValidationBadValue, ValidationMsgForbiddenDomain
		t.Run(tc.name, tc.run)
	}
}

func TestValidateDomainExemptTypes(t *testing.T) {
	// Desupport's detailsUrl is not a download; SuperBlobs have no URLs; an
	// app release without any URL needs no allowlist either.
	none := ValidateOptions{}
	for _, name := range []string{"desupport.json", "superblob-products.json", "superblob-blobs.json", "systemaddons-uninstall.json"} {
		if err := Validate(valTestLoad(t, name), "Firefox", none); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	noURLs := `{"name": "x", "schema_version": 6, "hashFunction": "sha512", "platforms": {"p": {"locales": {"de": {"completes": [{"from": "*", "filesize": 1, "hashValue": "h"}]}}}}}`
	if err := Validate([]byte(noURLs), "Firefox", none); err != nil {
		t.Errorf("app release without URLs: %v", err)
	}
	// Without an allowlist every URL is forbidden, as in Balrog.
	err := Validate(valTestLoad(t, "guardian.json"), "Guardian", none)
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Message != ValidationMsgForbiddenDomain {
		t.Errorf("nil allowlist: got %v", err)
	}
}

func TestValidateInvalidURL(t *testing.T) {
	// Python's urlparse raises ValueError on an unbalanced bracketed host;
	// Balrog's validation stops there (400 "Unknown error").
	valTestCase{file: "v4.json", kind: ValidationBadValue, count: 1,
		edits:   []valTestEdit{valSet("http://[::1/x.mar", "fileUrls", "*", "completes", "*")},
		wantSub: []string{`fileUrls["*"].completes["*"]: invalid URL "http://[::1/x.mar"`}}.run(t)
}

func TestValidateSchemaErrorsComeFirst(t *testing.T) {
	// A blob with a schema error and a forbidden domain reports the schema
	// error only, as Balrog does.
	valTestCase{file: "v4.json", kind: ValidationInvalidBlob, msg: ValidationMsgSchema, count: 1,
		edits: []valTestEdit{valSet("https://evil.example.com/", "fileUrls", "*", "completes", "*"), valSet(1, "displayVersion")},
		want:  []string{"displayVersion: expected string, got number"}}.run(t)
}

// ---------------------------------------------------------------------------
// GMP hash lengths.

func TestValidateGMPHashLength(t *testing.T) {
	p := func(v ...any) []any { return append([]any{"vendors", "gmp-eme-adobe", "platforms"}, v...) }
	for _, tc := range []valTestCase{
		{name: "sha512 short", edits: []valTestEdit{valSet("abc", p("default", "hashValue")...)},
			msg:  "The hashValue length is different from the required length of 128 for sha512.",
			want: []string{"vendors.gmp-eme-adobe.platforms.default.hashValue: length 3, but sha512 needs 128"}, count: 1},
		{name: "sha256 needs 64, case-insensitive", edits: []valTestEdit{valSet("SHA256", "hashFunction")},
			msg: "The hashValue length is different from the required length of 64 for sha256.", count: 2},
		{name: "alias entries with a hashValue are checked", edits: []valTestEdit{valSet("x", p("WINNT_x86-msvc-x64", "hashValue")...)},
			want: []string{"vendors.gmp-eme-adobe.platforms.WINNT_x86-msvc-x64.hashValue: length 1, but sha512 needs 128"}, count: 1},
		{name: "unknown hash function", edits: []valTestEdit{valSet("md5", "hashFunction")},
			msg: "Unknown hashFunction md5.", count: 2,
			wantSub: []string{`vendors.gmp-eme-adobe.platforms.WINNT_x86-msvc.hashValue: cannot check the length: unknown hashFunction "md5"`}},
	} {
		tc.file, tc.kind = "gmp.json", ValidationBadValue
		t.Run(tc.name, tc.run)
	}
	// Only GMP blobs are checked.
	data := valTestApply(t, valTestLoad(t, "v4.json"), []valTestEdit{valSet("md5", "hashFunction")})
	if err := Validate(data, "Firefox", valTestOpts); err != nil {
		t.Errorf("v4 with md5: %v", err)
	}
}

// ---------------------------------------------------------------------------
// V9 updateLine overlap: the cases of Balrog's
// testSchema9CanCreateValidBlobs / testSchema9CannotCreateBlobWithConflictingFields
// and a few more.

func valTestUpdateLineBlob(for1, for2 string) []byte {
	return []byte(`{"name": "b", "schema_version": 9, "hashFunction": "sha512", "appVersion": "31.0.2", "displayVersion": "31.0.2",
		"updateLine": [
			{"for": ` + for1 + `, "fields": {"detailsURL": "http://example.org/details/%LOCALE%", "type": "minor"}},
			{"for": ` + for2 + `, "fields": {"detailsURL": "http://example.org/specialdetails/%LOCALE%"}}]}`)
}

func TestValidateUpdateLineNoOverlap(t *testing.T) {
	for _, c := range [][2]string{
		{`{"versions": ["<49.0"]}`, `{"versions": ["49.0"]}`},
		{`{"versions": [">49.0"]}`, `{"versions": ["49.0"]}`},
		{`{"versions": [">49.0"]}`, `{"versions": ["<=49.0"]}`},
		{`{"versions": ["<49.0"]}`, `{"versions": [">=49.0"]}`},
		{`{"locales": ["ja"]}`, `{"locales": ["ja-JP-mac"]}`},
		{`{"locales": ["de"], "channels": ["beta*"], "versions": ["<50.0"]}`, `{"locales": ["de", "fr"], "channels": ["release"], "versions": ["49.0"]}`},
		{`{"locales": ["de"], "channels": ["release"], "versions": ["<50.0"]}`, `{"locales": ["en-US", "fr"], "channels": ["release"], "versions": ["49.0"]}`},
		{`{"locales": ["de"], "channels": ["release"], "versions": ["<48.0"]}`, `{"locales": ["de", "fr"], "channels": ["release"], "versions": ["49.0"]}`},
		{`{"buildIDs": ["<30"]}`, `{"buildIDs": [">=30"]}`},
		{`{"buildIDs": ["<=30"]}`, `{"buildIDs": [">30"]}`},
		// Beyond Balrog's tests (Balrog crashes on these: exact vs exact).
		{`{"versions": ["49.0"]}`, `{"versions": ["50.0"]}`},
		{`{"versions": ["49.*"]}`, `{"versions": ["50.0"]}`},
		{`{"buildIDs": ["20"]}`, `{"buildIDs": ["30"]}`},
		{`{"locales": []}`, `{"locales": ["de"]}`},
	} {
		if err := Validate(valTestUpdateLineBlob(c[0], c[1]), "Firefox", valTestOpts); err != nil {
			t.Errorf("%s vs %s: %v", c[0], c[1], err)
		}
	}
}

func TestValidateUpdateLineOverlap(t *testing.T) {
	for _, c := range [][2]string{
		{`{}`, `{}`},
		{`{}`, `{"locales": ["de", "fr"]}`},
		{`{"locales": ["de"]}`, `{"locales": ["de", "fr"]}`},
		{`{}`, `{"channels": ["release"]}`},
		{`{"channels": ["release"]}`, `{"channels": ["release-cck-foo"]}`},
		{`{"channels": ["release*"]}`, `{"channels": ["release-cck-foo"]}`},
		{`{"channels": ["release-cck-foo"]}`, `{"channels": ["release-cck-*"]}`},
		{`{"channels": ["release*"]}`, `{"channels": ["release-cck-*"]}`},
		{`{"channels": ["release"]}`, `{"channels": ["release*"]}`},
		{`{}`, `{"versions": ["50.0"]}`},
		{`{"versions": ["<50.0"]}`, `{"versions": ["49.0"]}`},
		{`{"versions": ["49.0"]}`, `{"versions": ["<=49.0"]}`},
		{`{"versions": ["<50.0"]}`, `{"versions": ["<49.0"]}`},
		{`{"versions": [">50.0"]}`, `{"versions": [">49.0"]}`},
		{`{"versions": ["<50.0"]}`, `{"versions": [">49.0"]}`},
		{`{"versions": ["<50.0"]}`, `{"versions": [">=49.0"]}`},
		{`{"versions": [">49.0"]}`, `{"versions": ["<=50.0"]}`},
		{`{"versions": [">=49.0"]}`, `{"versions": ["<=50.0"]}`},
		{`{"versions": ["<=49.0"]}`, `{"versions": ["<=50.0"]}`},
		{`{"locales": ["de"], "channels": ["release*"], "versions": ["<50.0"]}`, `{"locales": ["de", "fr"], "channels": ["release"], "versions": ["49.0"]}`},
		{`{"buildIDs": ["<30"]}`, `{"buildIDs": [">=20"]}`},
		{`{"buildIDs": [">=20"]}`, `{"buildIDs": ["<30"]}`},
		{`{"buildIDs": ["<30"]}`, `{"buildIDs": ["<30"]}`},
		// Beyond Balrog's tests (Balrog crashes on these).
		{`{"versions": ["49.*"]}`, `{"versions": ["49.0.1"]}`},
		{`{"versions": ["48.0,49.0"]}`, `{"versions": ["49.0"]}`},
		{`{"buildIDs": ["<30"]}`, `{"buildIDs": ["25"]}`},
		// Like Balrog: a condition missing from one group matches anything,
		// even when the other group's list is empty.
		{`{"locales": []}`, `{}`},
	} {
		valTestCase{json: string(valTestUpdateLineBlob(c[0], c[1])), product: "Firefox", kind: ValidationInvalidBlob,
			msg:  "Multiple values found for updateLine items: detailsURL",
			want: []string{"updateLine[0] and updateLine[1]: both set detailsURL and one request can match both groups"}, count: 1,
		}.run(t)
	}
}

func TestValidateUpdateLineDetails(t *testing.T) {
	// Equal groups never conflict (Balrog skips them).
	same := `{"for": {"locales": ["de"]}, "fields": {"type": "major"}}`
	blob := `{"name": "b", "schema_version": 9, "hashFunction": "sha512", "updateLine": [` + same + `,` + same + `]}`
	if err := Validate([]byte(blob), "Firefox", valTestOpts); err != nil {
		t.Errorf("equal groups: %v", err)
	}
	// Several fields, several pairs: the message lists every field once.
	blob = `{"name": "b", "schema_version": 9, "hashFunction": "sha512", "updateLine": [
		{"for": {}, "fields": {"type": "minor", "openURL": "a"}},
		{"for": {"locales": ["de"]}, "fields": {"openURL": "b", "type": "major"}},
		{"for": {"locales": ["fr"]}, "fields": {"openURL": "c"}}]}`
	valTestCase{json: blob, kind: ValidationInvalidBlob, count: 2,
		msg: "Multiple values found for updateLine items: openURL, type",
		want: []string{"updateLine[0] and updateLine[1]: both set openURL, type and one request can match both groups",
			"updateLine[0] and updateLine[2]: both set openURL and one request can match both groups"}}.run(t)
	// A comparison that cannot be evaluated is reported (Balrog fails with
	// a ValueError from int()).
	valTestCase{json: string(valTestUpdateLineBlob(`{"versions": ["<50.0a1"]}`, `{"versions": [">49.0"]}`)),
		kind: ValidationInvalidBlob, msg: "Cannot compare updateLine conditions", count: 1,
		wantSub: []string{"updateLine[0].for.versions and updateLine[1].for.versions: cannot tell whether they overlap"}}.run(t)
}

// ---------------------------------------------------------------------------
// Error value.

func TestValidationErrorString(t *testing.T) {
	e := &ValidationError{Kind: ValidationInvalidBlob, Message: ValidationMsgSchema, Errors: []string{"a: x", "b: y"}}
	if got := e.Error(); got != "a: x; b: y" {
		t.Errorf("Error() = %q", got)
	}
	e = &ValidationError{Kind: ValidationBadValue, Message: "m"}
	if got := e.Error(); got != "m" {
		t.Errorf("Error() = %q", got)
	}
}

func TestValidateKeyPaths(t *testing.T) {
	for _, c := range []struct{ parent, key, want string }{
		{"", "platforms", "platforms"},
		{"platforms", "WINNT_x86-msvc", "platforms.WINNT_x86-msvc"},
		{"fileUrls", "*", `fileUrls["*"]`},
		{"addons", "timecop@mozilla.com", `addons["timecop@mozilla.com"]`},
		{"", "", `[""]`},
		{"x", "a b", `x["a b"]`},
	} {
		if got := valKeyPath(c.parent, c.key); got != c.want {
			t.Errorf("valKeyPath(%q, %q) = %q, want %q", c.parent, c.key, got, c.want)
		}
	}
}

// ---------------------------------------------------------------------------
// Real blobs.

// TestValidateBalrogData validates the production blobs copied from Balrog's
// tests/data with the production allowlist and the product the data README
// gives for each. All of them are valid.
func TestValidateBalrogData(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "conformance", "balrog-data", "data")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) == 0 {
		t.Skip("no conformance data in " + dir)
	}
	for _, f := range files {
		name := filepath.Base(f)
		product := "SystemAddons" // the superblob and the two add-on blobs
		switch {
		case strings.HasPrefix(name, "Firefox-"):
			product = "Firefox"
		case strings.HasPrefix(name, "CDM-"):
			product = "CDM"
		}
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := Validate(data, product, valTestOpts); err != nil {
				t.Errorf("Validate(%s): %v", product, err)
			}
		})
	}
}

// valTestScenarioFailures are the firefox-modern releases that Balrog's admin
// side rejects, with the errors expected. Every blob of the scenario passes
// the JSON schemas (the corpus README's "held-out blobs" with keys the admin
// side would reject are not part of this copy); the two Guardian blobs
// deliberately point one platform at a host missing from the scenario's
// allowlist, so that the public side's per-URL forbidden-domain handling can
// be observed, and the admin's domain check rejects them.
var valTestScenarioFailures = map[string][]string{
	"Guardian-1.0.0.0.json": {`platforms.Darwin_x86_64.fileUrl: forbidden domain: "https://elsewhere.example.com/vpn/1.0.0.0/MozillaVPN.pkg" is not allowlisted for product "Guardian"`},
	"Guardian-2.1.0.0.json": {`platforms.Darwin_x86_64.fileUrl: forbidden domain: "https://elsewhere.example.com/vpn/2.1.0.0/MozillaVPN.pkg" is not allowlisted for product "Guardian"`},
}

// TestValidateScenarioReleases validates the releases of the firefox-modern
// conformance scenario, with the scenario's own allowlist and each release
// row's product.
func TestValidateScenarioReleases(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "conformance", "scenarios", "firefox-modern")
	files, _ := filepath.Glob(filepath.Join(dir, "releases", "*.json"))
	if len(files) == 0 {
		t.Skip("no conformance scenario in " + dir)
	}
	opts := ValidateOptions{Allowlist: valTestConfigAllowlist(t, filepath.Join(dir, "config.json"))}
	var failed []string
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var rel struct {
				Product string          `json:"product"`
				Data    json.RawMessage `json:"data"`
			}
			if err := json.Unmarshal(raw, &rel); err != nil {
				t.Fatal(err)
			}
			err = Validate(rel.Data, rel.Product, opts)
			want, wantFail := valTestScenarioFailures[name]
			if err == nil {
				if wantFail {
					t.Errorf("accepted, want %q", want)
				}
				return
			}
			failed = append(failed, name)
			var ve *ValidationError
			errors.As(err, &ve)
			t.Logf("rejected (%s): %q", ve.Message, ve.Errors)
			if !wantFail {
				t.Errorf("rejected: %v", err)
			} else if !slices.Equal(ve.Errors, want) {
				t.Errorf("errors %q, want %q", ve.Errors, want)
			}
		})
	}
	sort.Strings(failed)
	t.Logf("rejected releases: %v", failed)
}

// TestValidateLegacySnapshots checks the AUS2-era blobs of
// balrog-data/aus-data-snapshots (also used by the snapshot-* scenarios).
// They predate Balrog's schemas and Balrog's admin side rejects every one of
// them: most fail the schema (V1/V2 blobs without hashFunction, or with
// fakePartials as a number (0/1) or in a V2 blob); the two schema-valid ones
// download from ftp.mozilla.org, which production allowlists for
// SystemAddons only. They are only served, never uploaded.
func TestValidateLegacySnapshots(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "conformance", "balrog-data", "aus-data-snapshots")
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	if len(files) == 0 {
		t.Skip("no snapshots in " + dir)
	}
	allowed := []string{
		"hashFunction: required property is missing",
		"fakePartials: expected boolean, got number",
		"fakePartials: unknown property (not allowed in a schema_version 2 blob)",
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		err = Validate(data, "Firefox", valTestOpts)
		var ve *ValidationError
		if !errors.As(err, &ve) || len(ve.Errors) == 0 {
			t.Errorf("%s: got %v, want a rejection", f, err)
			continue
		}
		for _, e := range ve.Errors {
			if ve.Kind == ValidationBadValue && strings.Contains(e, `forbidden domain: "http://ftp.mozilla.org/`) {
				continue
			}
			if !slices.Contains(allowed, e) {
				t.Errorf("%s: unexpected error %q", f, e)
			}
		}
	}
}

// ---------------------------------------------------------------------------
// jsonschema's wording (ValidationError.Schema).

// TestValidateSchemaMessages checks ValidationError.Schema against the
// messages of Python's jsonschema 4.26 (Draft4Validator.iter_errors on
// Balrog's schemas, as Blob.validate collects them): one case per message
// template, and the order in which the keywords report.
func TestValidateSchemaMessages(t *testing.T) {
	for _, tc := range []struct {
		name string
		json string
		want []string
	}{
		{"type string",
			`{"name": "x", "schema_version": 1, "hashFunction": 5}`,
			[]string{`5 is not of type 'string'`}},
		{"type in document vs schema order",
			`{"name": "x", "schema_version": 1, "hashFunction": "sha512", "appv": 3, "extv": 1.5, "fakePartials": "yes", "oldVersionSpecialCases": null}`,
			[]string{`1.5 is not of type 'string'`, `3 is not of type 'string'`, `'yes' is not of type 'boolean'`, `None is not of type 'boolean'`}},
		{"type object",
			`{"name": "x", "schema_version": 1, "hashFunction": "sha512", "platforms": []}`,
			[]string{`[] is not of type 'object'`}},
		{"oneOf platform of a V3 blob",
			`{"name": "x", "schema_version": 3, "hashFunction": "sha512", "platforms": {"p": {"locales": {"de": {"partials": {"from": "a"}}}}}}`,
			[]string{`{'locales': {'de': {'partials': {'from': 'a'}}}} is not valid under any of the given schemas`}},
		{"additionalProperties one key",
			`{"name": "x", "schema_version": 1, "hashFunction": "sha512", "bogus": 1}`,
			[]string{`Additional properties are not allowed ('bogus' was unexpected)`}},
		{"additionalProperties sorted by code point",
			`{"name": "x", "schema_version": 1, "hashFunction": "sha512", "zz": 1, "bogus": [1], "Z": {}, "é": 2, "it's": 3}`,
			[]string{`Additional properties are not allowed ('Z', 'bogus', "it's", 'zz', 'é' were unexpected)`}},
		{"additionalProperties with patternProperties, one key",
			`{"name": "x", "schema_version": 1, "hashFunction": "sha512", "ftpFilenames": {"partials": "a"}}`,
			[]string{`'partials' does not match any of the regexes: '^(partial|complete)$'`}},
		{"additionalProperties with patternProperties, several keys",
			`{"name": "x", "schema_version": 1, "hashFunction": "sha512", "bouncerProducts": {"partials": "a", "completes": "b", "complete": "c"}}`,
			[]string{`'completes', 'partials' do not match any of the regexes: '^(partial|complete)$'`}},
		{"patternProperties nested maps",
			`{"name": "x", "schema_version": 4, "hashFunction": "sha512", "fileUrls": {"": "a", "release": {"partial": {}}}}`,
			[]string{`'' does not match any of the regexes: '^.+$'`, `'partial' does not match any of the regexes: '^(partials|completes)$'`}},
		{"required in schema order",
			`{"schema_version": 1}`,
			[]string{`'name' is a required property`, `'hashFunction' is a required property`}},
		{"required in guardian.yml's list order",
			`{"product": "Guardian", "schema_version": 10000, "required": true}`,
			[]string{`'name' is a required property`, `'platforms' is a required property`, `'version' is a required property`, `'hashFunction' is a required property`}},
		{"additionalProperties before required (gmp.yml platforms)",
			`{"name": "x", "schema_version": 1000, "hashFunction": "sha512", "vendors": {"v": {"platforms": {"p": {"filesize": 1, "bogus": 1}}}}}`,
			[]string{`'version' is a required property`, `{'filesize': 1, 'bogus': 1} is not valid under any of the given schemas`}},
		{"enum",
			`{"name": "x", "schema_version": 9, "hashFunction": "sha512", "updateLine": [{"fields": {"type": "patch", "disableBITS": false, "disableBackgroundUpdates": 1}}]}`,
			[]string{`'patch' is not one of ['minor', 'major']`, `False is not one of [True]`, `1 is not of type 'boolean'`, `1 is not one of [True]`}},
		{"enum applies to non-strings",
			`{"name": "x", "schema_version": 2, "hashFunction": "sha512", "platforms": {"p": {"locales": {"de": {"complete": {"filesize": 1, "from": 5, "hashValue": "h"}}}}}}`,
			[]string{`{'locales': {'de': {'complete': {'filesize': 1, 'from': 5, 'hashValue': 'h'}}}} is not valid under any of the given schemas`}},
		{"schema_version true",
			`{"name": "x", "schema_version": true, "hashFunction": "sha512"}`,
			[]string{`True is not of type 'number'`, `True is not one of [1]`}},
		{"minLength 1",
			`{"name": "", "product": "", "schema_version": 1, "hashFunction": "sha512"}`,
			[]string{`'' should be non-empty`, `'' should be non-empty`}},
		{"maxLength",
			`{"name": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "schema_version": 1, "hashFunction": "sha512"}`,
			[]string{`'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' is too long`}},
		{"oneOf platform entries",
			`{"name": "x", "schema_version": 1, "hashFunction": "sha512", "platforms": {"WINNT": {"buildID": "2020", "locales": {"it": {"bogus": 1}}}, "Darwin": {"alias": 5}, "Linux": {"alias": "WINNT", "x": null}}}`,
			[]string{`{'buildID': '2020', 'locales': {'it': {'bogus': 1}}} is not valid under any of the given schemas`, `{'alias': 5} is not valid under any of the given schemas`}},
		{"oneOf platform not an object",
			`{"name": "x", "schema_version": 1, "hashFunction": "sha512", "platforms": {"p": 5}}`,
			[]string{`5 is not valid under any of the given schemas`}},
		{"oneOf SuperBlob",
			`{"name": "x", "schema_version": 4000, "products": ["a", ""]}`,
			[]string{`{'name': 'x', 'schema_version': 4000, 'products': ['a', '']} is not valid under any of the given schemas`}},
		{"oneOf SuperBlob with both keys",
			`{"name": "x", "schema_version": 4000, "products": ["a"], "blobs": ["b"]}`,
			[]string{`{'name': 'x', 'schema_version': 4000, 'products': ['a'], 'blobs': ['b']} is not valid under any of the given schemas`}},
		{"oneOf SystemAddons",
			`{"name": "x", "schema_version": 5000, "uninstall": "yes", "hashFunction": "sha512"}`,
			[]string{`{'name': 'x', 'schema_version': 5000, 'uninstall': 'yes', 'hashFunction': 'sha512'} is not valid under any of the given schemas`}},
		{"format",
			`{"name": "x", "schema_version": 9, "hashFunction": "sha512", "updateLine": [{"for": {"versions": ["1.0", "abc", 5], "buildIDs": ["20200101", "x1"]}}]}`,
			[]string{`'abc' is not a 'version'`, `5 is not of type 'string'`, `'x1' is not a 'buildID'`}},
		{"repr of numbers",
			`{"name": "x", "schema_version": 1, "hashFunction": "sha512", "platforms": {"p": {"locales": {"de": {"buildID": -0, "complete": {"filesize": 1e300, "from": "*", "hashValue": "h", "fileUrl": 1.0}}}}}}`,
			[]string{`{'locales': {'de': {'buildID': 0, 'complete': {'filesize': 1e+300, 'from': '*', 'hashValue': 'h', 'fileUrl': 1.0}}}} is not valid under any of the given schemas`}},
		{"desupport",
			`{"name": "x", "schema_version": 50, "detailsUrl": "u", "displayVersion": 1, "hashFunction": "x"}`,
			[]string{`Additional properties are not allowed ('hashFunction' was unexpected)`, `1 is not of type 'string'`}},
		{"keyword order at the top level",
			`{"name": 5, "schema_version": 1, "hashFunction": "sha512", "bogus": 1, "appv": false}`,
			[]string{`Additional properties are not allowed ('bogus' was unexpected)`, `5 is not of type 'string'`, `False is not of type 'string'`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate([]byte(tc.json), "Firefox", valTestOpts)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Validate = %v, want a *ValidationError", err)
			}
			if ve.Kind != ValidationInvalidBlob || ve.Message != ValidationMsgSchema {
				t.Errorf("Kind, Message = %d, %q; want %d, %q", ve.Kind, ve.Message, ValidationInvalidBlob, ValidationMsgSchema)
			}
			if !slices.Equal(ve.Schema, tc.want) {
				t.Errorf("Schema:\n got  %q\n want %q\n(Errors: %q)", ve.Schema, tc.want, ve.Errors)
			}
			if len(ve.Errors) == 0 {
				t.Errorf("Errors is empty")
			}
		})
	}
}

// TestValidateSchemaMessagesOtherFailures: failures jsonschema does not
// report repeat Errors in Schema (for schema_version, Balrog's own strings).
func TestValidateSchemaMessagesOtherFailures(t *testing.T) {
	for _, tc := range []struct {
		json string
		want []string
	}{
		{`{"name": "x"}`, []string{ValidationMsgNotSet}},
		{`{"name": "x", "schema_version": 7}`, []string{ValidationMsgUnknown}},
	} {
		err := Validate([]byte(tc.json), "Firefox", valTestOpts)
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("%s: Validate = %v, want a *ValidationError", tc.json, err)
		}
		if !slices.Equal(ve.Schema, tc.want) || !slices.Equal(ve.Errors, tc.want) {
			t.Errorf("%s: Schema %q, Errors %q; want both %q", tc.json, ve.Schema, ve.Errors, tc.want)
		}
	}
	// A forbidden domain: a ValueError; Schema mirrors Errors.
	data := valTestApply(t, valTestLoad(t, "v4.json"), []valTestEdit{valSet("https://evil.example.com/a.mar", "fileUrls", "*", "completes", "*")})
	var ve *ValidationError
	if err := Validate(data, "Firefox", valTestOpts); !errors.As(err, &ve) {
		t.Fatalf("Validate = %v, want a *ValidationError", err)
	}
	if ve.Kind != ValidationBadValue || !slices.Equal(ve.Schema, ve.Errors) {
		t.Errorf("Kind %d, Schema %q, Errors %q", ve.Kind, ve.Schema, ve.Errors)
	}
}

// TestValidateSchemaMessagesGoldenInputs: valid blobs give no messages, and
// a mutated golden blob reports in jsonschema's keyword order.
func TestValidateSchemaMessagesGoldenInputs(t *testing.T) {
	data := valTestApply(t, valTestLoad(t, "v1.json"), []valTestEdit{
		valSet(1, "appv"),
		valDel("hashFunction"),
		valSet(true, "zzz"),
		valSet("", "name"),
		valSet(valRaw(`{"bogus": 1}`), "platforms", "WINNT_x86-msvc-x86"),
	})
	var ve *ValidationError
	if err := Validate(data, "Firefox", valTestOpts); !errors.As(err, &ve) {
		t.Fatalf("Validate = %v, want a *ValidationError", err)
	}
	want := []string{
		"'hashFunction' is a required property",
		"Additional properties are not allowed ('zzz' was unexpected)",
		"'' should be non-empty",
		"1 is not of type 'string'",
		"{'bogus': 1} is not valid under any of the given schemas",
	}
	if !slices.Equal(ve.Schema, want) {
		t.Errorf("Schema:\n got  %q\n want %q", ve.Schema, want)
	}
}

// TestValidateSchemaMessageHelpers covers the templates Balrog's schemas
// reach only in combination: several types, and repr() of awkward values.
func TestValidateSchemaMessageHelpers(t *testing.T) {
	dec := func(s string) *valNode {
		n, err := valDecode([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if got, want := valTypeMsg(dec(`[1, 2.50, null]`), "string", "integer"), `[1, 2.5, None] is not of type 'string', 'integer'`; got != want {
		t.Errorf("valTypeMsg = %q, want %q", got, want)
	}
	for in, want := range map[string]string{
		`"it's"`:                         `"it's"`,
		`"a'b\"c"`:                       `'a\'b"c'`,
		`"tab\there\nnl\u0001"`:          `'tab\there\nnl\x01'`,
		`"\u00e9\u200b"`:                 `'é\u200b'`,
		`1E2`:                            `100.0`,
		`-0`:                             `0`,
		`123456789012345678901234567890`: `123456789012345678901234567890`,
		`{"b": [true, false], "a": {}}`:  `{'b': [True, False], 'a': {}}`,
	} {
		if got := valRepr(dec(in)); got != want {
			t.Errorf("valRepr(%s) = %s, want %s", in, got, want)
		}
	}
}
