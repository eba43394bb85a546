package blobs

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/balrog-go/balrog/rules"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// The cases of public.md §14 that concern blobs. Rule selection is given
// directly (the mapping and update type of the rule the spec says is
// chosen); everything after it — throttling aside — is done here:
// should-serve, pins, superblob fan-out and rendering. The expected bodies
// in testdata/golden were copied from the spec (or derived from it where the
// spec describes a variant in words).

// defAllowlist is configuration DEF of §14.
const defAllowlist = `{"a.com": ["b", "c", "d", "e", "f", "q", "s", "gg", "h", "j", "k", "distTest", "response-a",
  "response-b", "responseblob-a", "responseblob-b", "Guardian"], "download.mozilla.org": ["Firefox"],
  "archive.mozilla.org": ["Firefox"], "ftp.mozilla.org": ["SystemAddons"], "good.com": ["Guardian"],
  "boring.com": ["gg"]}`

var defForceHosts = ForceHosts{"http://a.com", "http://download.mozilla.org"}

// v1 is the V1 fixture template of §14.0; size is raw JSON.
func v1(name, ver, bid, url, size, hash string) string {
	return fmt.Sprintf(`{"name": %q, "schema_version": 1, "appv": %q, "extv": %q, "hashFunction": "sha512",
 "platforms": {"p": {"buildID": %q, "locales": {"l": {"complete":
   {"filesize": %s, "from": "*", "hashValue": %q, "fileUrl": %q}}}}}}`, name, ver, ver, bid, size, hash, url)
}

// parseBlob is how a world parses its blobs: Parse, or for
// TestSpecDeferred, ParseDeferred's first blob.
var parseBlob = Parse

// world is a set of releases with a configuration.
type world struct {
	t        *testing.T
	releases map[string]Blob
	products map[string]string
	env      *Env
	// productRules maps a product to the mapping and update type of the
	// rule chosen for it, for the products fan-out of GMP superblobs.
	productRules map[string][2]string
}

func newWorld(t *testing.T, allowlist string, hosts ForceHosts, blobs map[string]string) *world {
	t.Helper()
	al, err := ParseAllowlist([]byte(allowlist))
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, releases: map[string]Blob{}, products: map[string]string{}}
	for name, data := range blobs {
		b, err := parseBlob([]byte(data))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		w.releases[name] = b
		w.products[name] = name
	}
	w.env = &Env{Allowlist: al, ForceHosts: hosts, Releases: ReleaseMap(w.releases)}
	return w
}

// addFile adds a release from balrog-data/data.
func (w *world) addFile(name, product string) {
	w.t.Helper()
	requireCorpus(w.t)
	data, err := os.ReadFile(filepath.Join(conformanceDir, "balrog-data", "data", name+".json"))
	if err != nil {
		w.t.Fatal(err)
	}
	b, err := parseBlob(data)
	if err != nil {
		w.t.Fatal(err)
	}
	w.releases[name] = b
	w.products[name] = product
}

// serve runs should-serve (with pins from the pin map) and renders the XML
// document for the release mapping chosen by a rule of update type ut.
func (w *world) serve(mapping, ut, path string, pins map[string]string) (string, error) {
	q, err := queryFromPath(path, "")
	if err != nil {
		w.t.Fatal(err)
	}
	b, err := w.decide(q, mapping, pins)
	if err != nil || b == nil {
		return EmptyXML, err
	}
	var parts []Part
	if sb, ok := b.(*Superblob); ok {
		switch sb.FanOut() {
		case FanOutProducts:
			for _, p := range sb.Products {
				pr, ok := w.productRules[p]
				if !ok {
					continue
				}
				pq := *q
				pq.Product = p
				pb, err := w.decide(&pq, pr[0], nil)
				if err != nil {
					return "", err
				}
				if pb != nil {
					parts = append(parts, Part{Blob: pb, Query: &pq, UpdateType: pr[1]})
				}
			}
		case FanOutBlobs:
			for _, name := range sb.Blobs {
				pq := *q
				pq.Product = w.products[name]
				parts = append(parts, Part{Blob: w.releases[name], Query: &pq, UpdateType: ut})
			}
		}
	}
	out, err := AppendXML([]byte("prefix"), b, q, ut, parts, w.env)
	if !strings.HasPrefix(string(out), "prefix") {
		w.t.Fatalf("AppendXML lost the prefix of dst")
	}
	return strings.TrimPrefix(string(out), "prefix"), err
}

// decide is should-serve plus the pin table lookup (pins maps a canonical
// pin to a release).
func (w *world) decide(q *rules.Query, mapping string, pins map[string]string) (Blob, error) {
	b := w.releases[mapping]
	d, err := b.ShouldServe(q)
	if err != nil || d == No {
		return nil, err
	}
	if d == Maybe {
		pin, _ := rules.ParsePin(*q.Pin)
		if name, ok := pins[pin.String()]; ok {
			b = w.releases[name]
			if d, err := b.ShouldServe(q); err != nil || d == No {
				return nil, err
			}
		}
	}
	return b, nil
}

// golden compares got with testdata/golden/name, or rewrites it with
// -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s:\n got: %q\nwant: %q", name, got, want)
	}
}

// xmlCase is one request of a §14 case.
type xmlCase struct {
	golden  string // golden file; "" when an error is expected
	mapping string
	ut      string
	path    string
	err     string // expected error text (client errors) or "500"
}

func (w *world) run(t *testing.T, cases []xmlCase, pins map[string]string) {
	for _, c := range cases {
		name := c.golden
		if name == "" {
			name = c.err
		}
		t.Run(strings.TrimSuffix(name, ".xml")+" "+c.path, func(t *testing.T) {
			ut := c.ut
			if ut == "" {
				ut = "minor"
			}
			got, err := w.serve(c.mapping, ut, c.path, pins)
			switch {
			case c.err == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case c.err == "500":
				if err == nil || isBadInput(err) {
					t.Fatalf("want a server error, got %v", err)
				}
			case c.err != "":
				if err == nil || !isBadInput(err) || err.Error() != c.err {
					t.Fatalf("want client error %q, got %v", c.err, err)
				}
			default:
				golden(t, c.golden, got)
			}
		})
	}
}

func TestSpecV1Basics(t *testing.T) {
	w := newWorld(t, defAllowlist, defForceHosts, map[string]string{
		"b": `{"name": "b", "schema_version": 1, "appv": "1.0", "extv": "1.0", "hashFunction": "sha512",
 "platforms": {"p": {"buildID": "2", "locales": {
   "l": {"complete": {"filesize": "3", "from": "*", "hashValue": "4", "fileUrl": "http://a.com/z"}},
   "xh": {"complete": {"filesize": "5", "from": "*", "hashValue": "6", "fileUrl": "http://a.com/x"}}}}}}`,
		"c":        v1("c", "10.0", "11", "http://a.com/y", `"12"`, "13"),
		"c2":       v1("c2", "15.0", "51", "http://a.com/x", `"52"`, "53"),
		"distTest": v1("distTest", "10.0", "11", "http://a.com/distTest", `"12"`, "13"),
		"d":        v1("d", "20.0", "21", "http://evil.com/y", `22`, "23"),
		"f":        v1("f", "1.0", "35", "http://a.com/f", `33`, "34"),
		"q":        v1("q", "1.0", "5", "http://a.com/q", `"5"`, "5"),
		"s":        v1("s", "1.0", "5", "http://a.com/s", `"5"`, "5"),
		"fallback": v1("fallback", "1.0", "5", "http://a.com/fallback", `"5"`, "5"),
	})
	w.run(t, []xmlCase{
		// C1
		{golden: "C1.xml", mapping: "b", path: "/update/3/b/1.0/1/p/l/a/a/a/a/update.xml"},
		{golden: "C1.xml", mapping: "b", path: "/update/1/b/1.0/1/p/l/a/update.xml"},
		{golden: "C1.xml", mapping: "b", path: "/update/4/b/1.0/1/p/l/a/a/a/a/1/update.xml"},
		{golden: "C1.xml", mapping: "b", path: "/update/3/b/1.0esrpre/1/p/l/a/a/a/a/update.xml"},
		{golden: "C1.xml", mapping: "b", path: "/update/4/b/1.0/1/p/x86%20l/a/a/a/a/1/update.xml"},
		{golden: "C1-xh.xml", mapping: "b", path: "/update/4/b/1.0/1/p/xh/a/a/a/a/1/update.xml"},
		// C2
		{golden: "E1.xml", mapping: "b", path: "/update/3/b/1.0/2/p/l/a/a/a/a/update.xml"},
		{golden: "E1.xml", mapping: "b", path: "/update/3/b/1.0/5/p/l/a/a/a/a/update.xml"},
		{golden: "E1.xml", mapping: "c", path: "/update/3/c/15.0/1/p/l/a/a/default/a/update.xml"},
		// C3
		{golden: "C3.xml", mapping: "b", path: "/update/3/b/1.0/1/p/l/a/a/a/a/update.xml?force=1"},
		{golden: "C3.xml", mapping: "b", path: "/update/3/b/1.0/1/p/l/a/a/a/a/update.xml?force=1?avast=1"},
		{golden: "C3.xml", mapping: "b", path: "/update/3/b/1.0/1/p/l/a/a/a/a/update.xml?force=1%3Favast=1"},
		{golden: "C3.xml", mapping: "b", path: "/update/3/b/1.0/1/p/l/a/a/a/a/update.xml?force=1?avast="},
		{golden: "C3.xml", mapping: "b", path: "/update/3/b/1.0/1/p/l/a/a/a/a/update.xml?force=1&avast=1"},
		{golden: "C1.xml", mapping: "b", path: "/update/3/b/1.0/1/p/l/a/a/a/a/update.xml?force=0"},
		{golden: "C1.xml", mapping: "b", path: "/update/3/b/1.0/1/p/l/a/a/a/a/update.xml?force=avast"},
		// C4
		{golden: "C4-c2.xml", mapping: "c2", path: "/update/2/c/10.0/1/p/l/a/a/update.xml"},
		{golden: "C4-c.xml", mapping: "c", path: "/update/6/c/1.0/1/p/l/a/a/SSE/default/a/update.xml"},
		{golden: "C4-distTest.xml", mapping: "distTest", path: "/update/6/distTest/1.0/1/p/l/a/a/SSE/mozilla2/a/update.xml"},
		// C5
		{golden: "C5-s.xml", mapping: "s", path: "/update/6/s/1.0/1/p/l/a/a/SSE/a/a/update.xml"},
		{golden: "C5-f.xml", mapping: "f", path: "/update/6/f/1.0/1/p/l/a/a/ISET%3aSSE3%2cMEM%3a8000/a/a/update.xml"},
		// C6
		{golden: "C6.xml", mapping: "d", path: "/update/3/d/20.0/1/p/l/a/a/a/a/update.xml"},
		// C7 (the rule's dice/force picked the mapping)
		{golden: "C7-fallback.xml", mapping: "fallback", path: "/update/6/q/1.0/1/p/l/a/a/a/a/a/update.xml"},
		{golden: "C7-force.xml", mapping: "q", path: "/update/6/q/1.0/1/p/l/a/a/a/a/a/update.xml?force=1"},
		{golden: "C7-force-fallback.xml", mapping: "fallback", path: "/update/6/q/1.0/1/p/l/a/a/a/a/a/update.xml?force=-1"},
		// C26
		{err: "Version number 1.0.x is invalid.", mapping: "b", path: "/update/3/b/1.0.x/1/p/l/a/a/a/a/update.xml"},
		{err: "No such locale 'zz' in platform 'p'", mapping: "b", path: "/update/3/b/0.9/1/p/zz/a/a/a/a/update.xml"},
		{err: "No such locale 'zz' in platform 'p'", mapping: "b", path: "/update/3/b/1.0/1/p/zz/a/a/a/a/update.xml"},
		{golden: "E1.xml", mapping: "b", path: "/update/3/b/0.9/1/zz/l/a/a/a/a/update.xml"},
		{err: "Can't find platform '%s' Darwin_ppc", mapping: "b", path: "/update/3/b/1.0/1/Darwin_ppc/l/a/a/a/a/update.xml"},
		{err: "No such locale 'l?' in platform 'p'", mapping: "b", path: "/update/3/b/0.5/1/p/l%C3%83/a/a/a/a/update.xml"},
	}, nil)
}

func TestSpecV2toV8(t *testing.T) {
	common := `"hashFunction": "sha512", "appVersion": "31.0", "displayVersion": "31.0",
 "fileUrls": {"*": {"partials": {"h1": "http://a.com/h1-partial-catchall"}, "completes": {"*": "http://a.com/complete-catchall"}}},
 "platforms": {"p": {"buildID": 50, "OS_FTP": "p", "OS_BOUNCER": "p", "locales": {"l": {
   "partials": [{"filesize": 8, "from": "h1", "hashValue": "9"%[1]s}],
   "completes": [{"filesize": 40, "from": "*", "hashValue": "41"%[2]s}]}}}}`
	h := func(sv int) string {
		return fmt.Sprintf(`{"name": "h%d", "schema_version": %d, "platforms": {"p": {"buildID": "%d", "locales": {"l": {}, "de": {}, "en-US": {}}}}}`, sv, 4, sv)
	}
	w := newWorld(t, defAllowlist, defForceHosts, map[string]string{
		"k": `{"name": "k", "schema_version": 2, "hashFunction": "sha512",
 "appVersion": "50.0", "displayVersion": "50.0", "platformVersion": "50.0",
 "detailsUrl": "http://example.org/details/%locale%", "licenseUrl": "http://example.org/license/%LOCALE%",
 "actions": "silent", "billboardURL": "http://example.org/billboard/%LOCALE%",
 "openURL": "http://example.org/url/%locale%", "notificationURL": "http://example.org/notification/%locale%",
 "alertURL": "http://example.org/alert/%LOCALE%", "showPrompt": false, "showNeverForVersion": true,
 "fileUrls": {"c1": "http://a.com/%filename%/%os_ftp%/%os_bouncer%"},
 "ftpFilenames": {"complete": "complete.mar"},
 "platforms": {"p": {"buildID": 35, "OS_FTP": "o", "OS_BOUNCER": "o", "locales": {
   "l":  {"complete": {"filesize": 40, "from": "*", "hashValue": "35"}},
   "l2": {"isOSUpdate": true, "complete": {"filesize": 50, "from": "*", "hashValue": "45"}}}}}}`,
		"f1": `{"name": "f1", "schema_version": 3, "platforms": {"p": {"buildID": "5", "locales": {"l": {}}}}}`,
		"f2": `{"name": "f2", "schema_version": 3, "platforms": {"p": {"buildID": "6", "locales": {"l": {}}}}}`,
		"f3": `{"name": "f3", "schema_version": 3, "hashFunction": "sha512", "appVersion": "25.0", "displayVersion": "25.0", "platformVersion": "25.0",
 "platforms": {"p": {"buildID": 29, "locales": {"l": {
   "partials":  [{"filesize": 2, "from": "f1", "hashValue": "3", "fileUrl": "http://a.com/p1"},
                 {"filesize": 4, "from": "f2", "hashValue": "5", "fileUrl": "http://a.com/p2"}],
   "completes": [{"filesize": 29, "from": "f2", "hashValue": "6", "fileUrl": "http://a.com/c1"},
                 {"filesize": 30, "from": "*", "hashValue": "31", "fileUrl": "http://a.com/c2"}]}}}}}`,
		"h0": strings.Replace(h(5), `"h5"`, `"h0"`, 1),
		"h1": strings.Replace(h(10), `"h10"`, `"h1"`, 1),
		"h2": `{"name": "h2", "schema_version": 4, "hashFunction": "sha512", "appVersion": "31.0", "displayVersion": "31.0", "platformVersion": "31.0",
 "fileUrls": {
   "c1": {"partials": {"h1": "http://a.com/h1-partial.mar", "h2": "http://a.com/h2-partial.mar"}, "completes": {"*": "http://a.com/complete.mar"}},
   "c2": {"partials": {"h1": "http://a.com/h1-%LOCALE%-partial"}, "completes": {"*": "http://a.com/%LOCALE%-complete"}},
   "*":  {"partials": {"h0": "http://a.com/h0-partial-catchall.mar", "h1": "http://a.com/h1-partial-catchall"}, "completes": {"*": "http://a.com/complete-catchall"}}},
 "platforms": {"p": {"buildID": 50, "OS_FTP": "p", "OS_BOUNCER": "p", "locales": {"l": {
   "partials": [{"filesize": 6, "from": "h2", "hashValue": "7"}, {"filesize": 8, "from": "h1", "hashValue": "9"}, {"filesize": 9, "from": "h0", "hashValue": "10"}],
   "completes": [{"filesize": 40, "from": "*", "hashValue": "41"}]}}}}}`,
		"v5": `{"name": "v5", "schema_version": 5, "platformVersion": "31.0", "detailsUrl": "http://example.org/details/%LOCALE%",
 "licenseUrl": "http://example.org/license/%LOCALE%", "actions": "silent", "billboardURL": "http://example.org/billboard/%LOCALE%",
 "openURL": "http://example.org/url/%LOCALE%", "notificationURL": "http://example.org/notification/%LOCALE%",
 "alertURL": "http://example.org/alert/%LOCALE%", "showPrompt": false, "showNeverForVersion": true, "promptWaitTime": 12345, ` +
			fmt.Sprintf(common, "", "") + `}`,
		"v6": `{"name": "v6", "schema_version": 6, "detailsUrl": "http://example.org/details/%LOCALE%", "actions": "silent",
 "openURL": "http://example.org/url/%LOCALE%", "showPrompt": false, "promptWaitTime": 12345, ` + fmt.Sprintf(common, "", "") + `}`,
		"v8": `{"name": "v8", "schema_version": 8, "detailsUrl": "http://example.org/details/%LOCALE%", "binTransMerkleRoot": "merkle_root",
 "binTransCertificate": "cert", "binTransSCTList": "sct_list", ` +
			fmt.Sprintf(common, `, "binTransInclusionProof": "proofP"`, `, "binTransInclusionProof": "proofC"`) + `}`,
	})
	w.run(t, []xmlCase{
		// C9
		{golden: "C9-l2.xml", mapping: "k", path: "/update/3/k/35.0/4/p/l2/c1/a/a/a/update.xml"},
		{golden: "C9-l.xml", mapping: "k", path: "/update/3/k/35.0/4/p/l/c1/a/a/a/update.xml"},
		{err: "500", mapping: "k", path: "/update/3/k/35.0/4/p/l/c9/a/a/a/update.xml"},
		// C10
		{golden: "C10-f1.xml", mapping: "f3", path: "/update/3/f/22.0/5/p/l/a/a/a/a/update.xml"},
		{golden: "C10-f2.xml", mapping: "f3", path: "/update/3/f/23.0/6/p/l/a/a/a/a/update.xml"},
		{golden: "C10-f0.xml", mapping: "f3", path: "/update/3/f/20.0/1/p/l/a/a/a/a/update.xml"},
		// C11
		{golden: "C11-c1.xml", mapping: "h2", path: "/update/3/h/30.0/10/p/l/c1/a/a/a/update.xml"},
		{golden: "C11-c2.xml", mapping: "h2", path: "/update/3/h/30.0/10/p/l/c2/a/a/a/update.xml"},
		{golden: "C11-c3.xml", mapping: "h2", path: "/update/3/h/30.0/10/p/l/c3/a/a/a/update.xml"},
		{golden: "C11-h0-c1.xml", mapping: "h2", path: "/update/3/h/29.0/5/p/l/c1/a/a/a/update.xml"},
		{golden: "C11-h0-cck.xml", mapping: "h2", path: "/update/3/h/29.0/5/p/l/c3-cck-foo/a/a/a/update.xml"},
		// C12
		{golden: "C12-v5.xml", mapping: "v5", path: "/update/3/h/30.0/10/p/l/c1/a/a/a/update.xml"},
		{golden: "C12-v6.xml", mapping: "v6", path: "/update/3/h/30.0/10/p/l/c1/a/a/a/update.xml"},
		{golden: "C12-v8.xml", mapping: "v8", path: "/update/3/h/30.0/10/p/l/c1/a/a/a/update.xml"},
	}, nil)
}

func TestSpecV9(t *testing.T) {
	w := newWorld(t, defAllowlist, defForceHosts, map[string]string{
		"h1": `{"name": "h1", "schema_version": 4, "platforms": {"p": {"buildID": "10", "locales": {"l": {}, "de": {}, "en-US": {}}}}}`,
		"h2": `{"name": "h2", "schema_version": 9, "hashFunction": "sha512", "appVersion": "31.0.2", "displayVersion": "31.0.2",
 "updateLine": [
   {"for": {}, "fields": {"detailsURL": "http://example.org/details/%LOCALE%", "type": "minor"}},
   {"for": {"locales": ["de", "en-US"], "channels": ["release*"], "versions": ["<31.0"], "buildIDs": ["<20"]},
    "fields": {"actions": "showURL", "openURL": "http://example.org/url/%LOCALE%"}},
   {"for": {"channels": ["beta"]}, "fields": {"showPrompt": true, "promptWaitTime": 3600, "disableBITS": true}}],
 "fileUrls": {"c1": {"partials": {"h1": "http://a.com/h1-partial.mar"}, "completes": {"*": "http://a.com/complete.mar"}},
              "*":  {"partials": {"h1": "http://a.com/h1-partial-catchall"}, "completes": {"*": "http://a.com/complete-catchall"}}},
 "platforms": {"p": {"buildID": 50, "OS_FTP": "p", "OS_BOUNCER": "p", "locales": {
   "de": {"partials": [{"filesize": 8, "from": "h1", "hashValue": "9"}], "completes": [{"filesize": 40, "from": "*", "hashValue": "41"}]},
   "l":  {"partials": [{"filesize": 8, "from": "h1", "hashValue": "9"}], "completes": [{"filesize": 40, "from": "*", "hashValue": "41"}]}}}}}`,
	})
	w.run(t, []xmlCase{
		{golden: "C13-de-release.xml", mapping: "h2", ut: "major", path: "/update/3/h/30.0/10/p/de/release/a/a/a/update.xml"},
		{golden: "C13-l.xml", mapping: "h2", ut: "major", path: "/update/3/h/30.0/10/p/l/release/a/a/a/update.xml"},
		{golden: "C13-v31.xml", mapping: "h2", ut: "major", path: "/update/3/h/31.0/10/p/de/release/a/a/a/update.xml"},
		{golden: "C13-bid30.xml", mapping: "h2", ut: "major", path: "/update/3/h/30.0/30/p/de/release-cck-x/a/a/a/update.xml"},
		{golden: "C13-beta.xml", mapping: "h2", ut: "major", path: "/update/3/h/30.0/10/p/de/beta/a/a/a/update.xml"},
	}, nil)
}

func TestSpecOldVersionSpecialCases(t *testing.T) {
	w := newWorld(t, `{"boring.com": ["gg"]}`, defForceHosts, map[string]string{
		"h": `{"name": "h", "schema_version": 1, "appv": "12.0", "extv": "12.0", "hashFunction": "sha512",
 "detailsUrl": "http://example.org/details", "oldVersionSpecialCases": true,
 "platforms": {"p": {"buildID": 1, "locales": {"m": {"complete": {"filesize": 1, "from": "*", "hashValue": "1", "fileUrl": "http://boring.com/a"}}}}}}`,
	})
	w.run(t, []xmlCase{
		{golden: "C14-2.0.0.20.xml", mapping: "h", path: "/update/3/gg/2.0.0.20/0/p/m/a/a/a/a/update.xml"},
		{golden: "C14-3.0.9.xml", mapping: "h", path: "/update/3/gg/3.0.9/0/p/m/a/a/a/a/update.xml"},
		{golden: "C14-3.5.19.xml", mapping: "h", path: "/update/3/gg/3.5.19/0/p/m/a/a/a/a/update.xml"},
		{golden: "C14-3.6.xml", mapping: "h", path: "/update/3/gg/3.6/0/p/m/a/a/a/a/update.xml"},
	}, nil)
}
