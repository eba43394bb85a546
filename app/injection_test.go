package app

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/balrog-go/balrog/store/storetest"
)

// sqlPayloads are classic SQL injection attempts; none of them is the name
// of anything stored, so a filter given one must match nothing.
var sqlPayloads = []string{
	`' OR '1'='1`,
	`Firefox' OR 1=1 -- `,
	`Firefox'; DROP TABLE rules; --`,
	`"; DELETE FROM releases; --`,
	`') OR ('a'='a`,
	`1 UNION SELECT name, product, data_version FROM releases`,
	`\' OR 1=1 #`,
	"Firefox\x00' OR 1=1",
	`Firefox%' OR '%'='`,
}

// seedSecurity stores two releases, two rules and a scheduled rule change.
func seedSecurity(t *testing.T, l *liveServer) {
	t.Helper()
	for _, r := range [][2]string{{"Firefox-56.0-build1", "Firefox"}, {"Thunderbird-56.0-build1", "Thunderbird"}} {
		l.mustAdmin(t, "PUT", "/releases/"+r[0], releaseBody(r[0], r[1], v4Blob(r[0], r[1], "a", []string{"en-US"}, nil)))
		l.mustAdmin(t, "POST", "/rules", `{"priority": 10, "backgroundRate": 100, "update_type": "minor", "product": "`+r[1]+`", "channel": "release", "mapping": "`+r[0]+`"}`)
	}
	l.mustAdmin(t, "POST", "/scheduled_changes/rules", `{"when": 4102444800000, "change_type": "update", "rule_id": 1, "data_version": 1,
		"priority": 20, "backgroundRate": 100, "update_type": "minor", "product": "Firefox", "channel": "release", "mapping": "Firefox-56.0-build1"}`)
}

// TestSQLInjectionInFilters sends SQL injection attempts in every query
// parameter and path parameter of the admin API and the public /api/v1
// that reaches the database or a lookup. No answer may be a 5xx, a filter
// must match nothing, and afterwards every table still holds what it held.
func TestSQLInjectionInFilters(t *testing.T) {
	for _, d := range storetest.Databases(t) {
		t.Run(d.Name, func(t *testing.T) {
			l := startLiveServer(t, d.URL)
			seedSecurity(t, l)
			before := counts(t, d.URL)
			// In each template every P is replaced by the escaped payload.
			// list: the answer is a list, which must hold no more items
			// than for a plain value that names nothing.
			cases := []struct {
				base, tmpl string
				list       bool
			}{
				{l.admin, "/rules?product=P", true},
				{l.admin, "/rules?timestamp=P", false},
				{l.admin, "/releases?product=P", true},
				{l.admin, "/releases?name_prefix=P", true},
				{l.admin, "/releases?names_only=P&product=P", true},
				{l.admin, "/rules/history?product=P", true},
				{l.admin, "/rules/history?channel=P", true},
				{l.admin, "/rules/history?changed_by=P", true},
				{l.admin, "/rules/history?change_id=P", false},
				{l.admin, "/rules/history?data_version=P&timestamp_from=P&timestamp_to=P", false},
				{l.admin, "/rules/history?page=P&limit=P", false},
				{l.admin, "/permissions/history?changed_by=P", true},
				{l.admin, "/required_signoffs/product?product=P&channel=P", true},
				{l.admin, "/required_signoffs/permissions?product=P", true},
				{l.admin, "/required_signoffs/product/revisions?product=P&role=P&channel=P", true},
				{l.admin, "/required_signoffs/product/history?product=P&role=P&channel=P&changed_by=P", true},
				{l.admin, "/required_signoffs/permissions/history?role=P", true},
				{l.admin, "/scheduled_changes/rules?rule_id=P", false},
				{l.admin, "/scheduled_changes/releases?name=P", true},
				{l.admin, "/scheduled_changes/required_signoffs/product?product=P&channel=P", true},
				{l.admin, "/scheduled_changes/rules?all=P", false},
				{l.admin, "/rules/P/revisions?page=P", false},
				{l.admin, "/v2/releases?names_only=P", false},
				{l.admin, "/rules/P", false},
				{l.admin, "/rules/columns/P", false},
				{l.admin, "/releases/columns/P", false},
				{l.admin, "/releases/P", false},
				{l.admin, "/releases/P/read_only", false},
				{l.admin, "/releases/Firefox-56.0-build1/builds/P/P", false},
				{l.admin, "/users/P", false},
				{l.admin, "/users/P/permissions", false},
				{l.admin, "/users/P/permissions/P", false},
				{l.admin, "/emergency_shutoff/P/P", false},
				{l.admin, "/v2/releases/P", false},
				{l.admin, "/v2/pins/P/P/P", false},
				{l.admin, "/scheduled_change/diff/release/P", false},
				{l.public, "/api/v1/releases?product=P", true},
				{l.public, "/api/v1/releases?name_prefix=P", true},
				{l.public, "/api/v1/releases?names_only=1&product=P", true},
				{l.public, "/api/v1/rules?product=P", true},
				{l.public, "/api/v1/releases/P", false},
				{l.public, "/api/v1/releases/P/builds/P/P", false},
				{l.public, "/api/v1/rules/P", false},
				{l.public, "/api/v1/rules/1/revisions?page=P&limit=P", false},
				{l.public, "/api/v1/emergency_shutoff/P/P", false},
				{l.public, "/api/v1/pins/P/P/P", false},
				{l.public, updatePath("P", "P", "P"), false},
			}
			fill := func(tmpl, p string) string {
				path, query, _ := strings.Cut(tmpl, "?")
				target := strings.ReplaceAll(path, "P", url.PathEscape(p))
				if query != "" {
					target += "?" + strings.ReplaceAll(query, "P", url.QueryEscape(p))
				}
				return target
			}
			for _, c := range cases {
				// What a harmless value that names nothing finds.
				_, plain, _, err := l.do("GET", c.base+fill(c.tmpl, "no-such-name"), "balrogadmin", "")
				if err != nil {
					t.Fatal(err)
				}
				baseline, _ := rowCount(plain)
				for _, p := range sqlPayloads {
					target := fill(c.tmpl, p)
					code, body, _, err := l.do("GET", c.base+target, "balrogadmin", "")
					if err != nil {
						t.Fatalf("GET %s: %v", target, err)
					}
					if code >= 500 {
						t.Errorf("GET %s: %d %s", target, code, body)
						continue
					}
					if c.list && code == 200 {
						if n, ok := rowCount(body); !ok || n > baseline {
							t.Errorf("GET %s: %d items (parsed %v), a plain value finds %d: %s", target, n, ok, baseline, body)
						}
					}
				}
			}
			if after := counts(t, d.URL); !equalCounts(before, after) {
				t.Errorf("tables changed: %v, then %v", before, after)
			}
			for _, p := range []string{"/rules", "/releases"} {
				if n, ok := rowCount(l.mustAdmin(t, "GET", p, "")); !ok || n != 2 {
					t.Errorf("GET %s lists %d items after the attempts, want 2", p, n)
				}
			}
		})
	}
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// injections are blob values that would be markup or break a JSON or XML
// document if written raw.
var injections = []string{
	`"><injected a="1"/><x y="`,
	`<injected/>`,
	`</update><injected/>`,
	"<![CDATA[<injected/>]]>",
	"\"}],\"injected\":[{\"",
	"a\x01b",
}

// TestBlobInjectionRefusedOrInert stores blobs whose rendered fields
// (detailsURL, display names, custom attributes, platform and locale names)
// hold markup, through the admin API. The admin must refuse each with a
// 400; whatever it accepted (the same strings where XML never shows them)
// must leave the public XML well-formed without the injected element, and
// the public JSON valid.
func TestBlobInjectionRefusedOrInert(t *testing.T) {
	for _, d := range storetest.Databases(t) {
		t.Run(d.Name, func(t *testing.T) {
			l := startLiveServer(t, d.URL)
			seedSecurity(t, l)
			for i, inj := range injections {
				// A new release each time, so that nothing but the
				// injected value can make the admin refuse it.
				name := fmt.Sprintf("Firefox-57.%d-build1", i)
				variants := map[string]map[string]any{
					"detailsUrl":     v4Blob(name, "Firefox", "a", []string{"en-US"}, map[string]any{"detailsUrl": "https://archive.mozilla.org/" + inj}),
					"displayVersion": v4Blob(name, "Firefox", "a", []string{"en-US"}, map[string]any{"displayVersion": inj}),
					"locale name":    v4Blob(name, "Firefox", "a", []string{"en-US", inj}, nil),
					"platform name": func() map[string]any {
						b := v4Blob(name, "Firefox", "a", []string{"en-US"}, nil)
						b["platforms"].(map[string]any)[inj] = map[string]any{"alias": "WINNT_x86-msvc"}
						return b
					}(),
				}
				for what, blob := range variants {
					code, body := l.adminDo(t, "PUT", "/releases/"+name, releaseBody(name, "Firefox", blob))
					if code != 400 || !strings.Contains(body, "XML") {
						t.Errorf("injection %d in %s: admin answered %d %s, want 400", i, what, code, body)
					}
				}
				// V9 field names become attribute names; the schema allows only known ones.
				code, body := l.adminDo(t, "PUT", "/releases/Firefox-67.0-build1", releaseBody("Firefox-67.0-build1", "Firefox", v9Blob(inj, "x")))
				if code != 400 {
					t.Errorf("injection %d as V9 field name: %d %s, want 400", i, code, body)
				}
				code, body = l.adminDo(t, "PUT", "/releases/Firefox-67.0-build1", releaseBody("Firefox-67.0-build1", "Firefox", v9Blob("actions", inj)))
				if code != 400 || !strings.Contains(body, "XML") {
					t.Errorf("injection %d as V9 field value: %d %s, want 400", i, code, body)
				}
			}
			// Accepted: markup-like strings where no response renders them
			// raw (V9 conditions), and escaped markup, whose '&' the
			// renderer escapes again.
			l.mustAdmin(t, "PUT", "/releases/Firefox-67.0-build1", releaseBody("Firefox-67.0-build1", "Firefox", v9Blob("openURL", "https://archive.mozilla.org/&lt;injected/&gt;")))
			l.mustAdmin(t, "POST", "/rules", `{"priority": 10, "backgroundRate": 100, "update_type": "minor", "product": "Firefox", "channel": "beta", "mapping": "Firefox-67.0-build1"}`)
			waitPublic(t, l, updatePath("Firefox", "en-US", "beta"), `appVersion="67.0"`)
			for _, p := range []string{updatePath("Firefox", "en-US", "beta"), updatePath("Firefox", "en-US", "release")} {
				code, body, _, err := l.do("GET", l.public+p, "", "")
				if err != nil || code != 200 {
					t.Fatalf("GET %s: %d %v", p, code, err)
				}
				if err := wellFormedXML(body); err != nil || strings.Contains(body, "<injected") {
					t.Errorf("GET %s: not well-formed (%v) or injected:\n%s", p, err, body)
				}
			}
			for _, p := range []string{"/api/v1/releases/Firefox-67.0-build1", "/api/v1/releases/Firefox-56.0-build1", "/api/v1/releases", "/api/v1/rules"} {
				code, body, _, err := l.do("GET", l.public+p, "", "")
				if err != nil || code != 200 || !json.Valid([]byte(body)) {
					t.Errorf("GET %s: %d %v, valid JSON %v", p, code, err, json.Valid([]byte(body)))
				}
			}
		})
	}
}

// v9Blob is a schema 9 release with one updateLine group whose "for"
// compares versions with '<' (never rendered) and one custom field.
func v9Blob(field, value string) map[string]any {
	return map[string]any{
		"name": "Firefox-67.0-build1", "schema_version": 9, "hashFunction": "sha512",
		"appVersion": "67.0", "displayVersion": "67.0",
		"updateLine": []any{
			map[string]any{"for": map[string]any{}, "fields": map[string]any{"detailsURL": "https://archive.mozilla.org/a&b", "type": "minor"}},
			map[string]any{"for": map[string]any{"versions": []any{"<66.0"}}, "fields": map[string]any{field: value}},
		},
		"fileUrls": map[string]any{"*": map[string]any{"completes": map[string]any{"*": "https://archive.mozilla.org/67/%LOCALE%/c.mar"}}},
		"platforms": map[string]any{"WINNT_x86-msvc": map[string]any{"OS_FTP": "win32", "OS_BOUNCER": "win", "locales": map[string]any{"en-US": map[string]any{
			"buildID": "20190101", "completes": []any{map[string]any{"from": "*", "filesize": 1, "hashValue": "h"}},
		}}}},
	}
}

// waitPublic polls the public role until the update answer names want (the
// public role refreshes its snapshot every 50ms).
func waitPublic(t *testing.T, l *liveServer, path, want string) {
	t.Helper()
	for i := 0; i < 400; i++ {
		if code, body, _, err := l.do("GET", l.public+path, "", ""); err == nil && code == 200 && strings.Contains(body, want) {
			return
		}
		sleepShort()
	}
	_, body, _, err := l.do("GET", l.public+path, "", "")
	t.Fatalf("the public role never served %s for %s; last answer %v %s\n%s", want, path, err, body, l.stderr.String())
}

// wellFormedXML parses a whole XML document.
func wellFormedXML(doc string) error {
	d := xml.NewDecoder(strings.NewReader(doc))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// TestPathTraversalInNames sends dot segments, encoded slashes and
// encoded dot segments in release, platform and locale names to both
// roles: every answer is a 4xx or a normal answer, never a 5xx and never
// the content of a file.
func TestPathTraversalInNames(t *testing.T) {
	l := startLiveServer(t, storetest.SQLite(t).URL)
	seedSecurity(t, l)
	segs := []string{"..", "%2e%2e", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "..%2f..%2fetc%2fpasswd", "..%5c..%5cwindows",
		"%252e%252e%252f", "....//....//etc/passwd", "%c0%ae%c0%ae%c0%af", ".%00."}
	templates := []struct{ base, method, tmpl, body string }{
		{l.admin, "GET", "/releases/S", ""},
		{l.admin, "GET", "/releases/S/builds/S/S", ""},
		{l.admin, "GET", "/releases/Firefox-56.0-build1/builds/S/en-US", ""},
		{l.admin, "GET", "/releases/Firefox-56.0-build1/builds/WINNT_x86-msvc/S", ""},
		{l.admin, "PUT", "/releases/Firefox-56.0-build1/builds/S/S", `{"product": "Firefox", "data_version": 1, "blob": "{}"}`},
		{l.admin, "PUT", "/releases/S", releaseBody("S", "Firefox", v4Blob("S", "Firefox", "a", []string{"en-US"}, nil))},
		{l.admin, "GET", "/v2/releases/S", ""},
		{l.admin, "GET", "/releases/S/read_only", ""},
		{l.public, "GET", "/api/v1/releases/S", ""},
		{l.public, "GET", "/api/v1/releases/S/builds/S/S", ""},
		{l.public, "GET", "/api/v1/releases/Firefox-56.0-build1/builds/S/S", ""},
		{l.public, "GET", updatePath("Firefox", "S", "release"), ""},
		{l.public, "GET", "/update/6/Firefox/50.0/2017/S/en-US/release/o/i/d/v/update.xml", ""},
		{l.public, "GET", "/S/S/S/etc/passwd", ""},
		{l.public, "GET", "/static/S/S/S/etc/passwd", ""},
		{l.public, "GET", "/update/3/", ""},
	}
	for _, tc := range templates {
		for _, s := range segs {
			target := strings.ReplaceAll(tc.tmpl, "S", s)
			body := strings.ReplaceAll(tc.body, `"S"`, `"`+s+`"`)
			code, resp, _, err := l.do(tc.method, tc.base+target, "balrogadmin", body)
			if err != nil {
				t.Fatalf("%s %s: %v", tc.method, target, err)
			}
			if code >= 500 {
				t.Errorf("%s %s: %d %s", tc.method, target, code, resp)
			}
			if bytes.Contains([]byte(resp), []byte("root:")) || strings.Contains(resp, "[boot loader]") {
				t.Errorf("%s %s: answered a file's content: %s", tc.method, target, resp)
			}
		}
	}
}
