package blobs

import (
	"strings"
	"testing"

	"github.com/balrog-go/balrog/rules"
)

// More cases of public.md §14: add-ons, GMP, superblobs, desupport, real
// releases, pins, Guardian and the compact nightly form.

func TestSpecSuperblobs(t *testing.T) {
	w := newWorld(t, defAllowlist, defForceHosts, map[string]string{
		"gmp": `{"name": "superblob", "schema_version": 4000, "products": ["response-a", "response-b"]}`,
		"response-a": `{"name": "response-a", "schema_version": 1, "extv": "2.5", "hashFunction": "sha512",
 "platforms": {"p": {"buildID": "25", "locales": {"l": {"complete": {"filesize": 22, "from": "*", "hashValue": "23", "fileUrl": "http://a.com/public"}}}},
               "q": {"buildID": "25", "locales": {"l": {"complete": {"filesize": 22, "from": "*", "hashValue": "23", "fileUrl": "http://a.com/public-q"}}}}}}`,
		"response-b": `{"name": "response-b", "schema_version": 1, "extv": "2.5", "hashFunction": "sha512",
 "platforms": {"p": {"buildID": "25", "locales": {"l": {"complete": {"filesize": 27777777, "from": "*", "hashValue": "23", "fileUrl": "http://a.com/b"}}}}}}`,
		"sba": `{"name": "superblobaddon", "schema_version": 4000, "blobs": ["responseblob-a", "responseblob-b"]}`,
		"responseblob-a": `{"name": "responseblob-a", "schema_version": 5000, "hashFunction": "SHA512",
 "addons": {
   "c": {"version": "1", "platforms": {"p": {"filesize": 2, "hashValue": "3", "fileUrl": "http://a.com/e"},
                                       "q": {"filesize": 4, "hashValue": "5", "fileUrl": "http://a.com/e"},
                                       "q2": {"alias": "q"}}},
   "d": {"version": "5", "platforms": {"q": {"filesize": 10, "hashValue": "11", "fileUrl": "http://a.com/c"},
                                       "default": {"filesize": 20, "hashValue": "50", "fileUrl": "http://a.com/c"}}}}}`,
		"responseblob-b": `{"name": "responseblob-b", "schema_version": 5000, "hashFunction": "sha512", "uninstall": false, "addons": {"b": {"version": "1", "platforms": {"p": {"filesize": 27, "hashValue": "23", "fileUrl": "http://a.com/b"}}}}}`,
		"empty":          `{"name": "empty", "schema_version": 4000, "products": []}`,
	})
	w.productRules = map[string][2]string{"response-a": {"response-a", "minor"}, "response-b": {"response-b", "minor"}}
	w.addFile("Superblob-e8f4a19cfd695bf0eb66a2115313c31cc23a2369c0dc7b736d2f66d9075d7c66", "SystemAddons")
	w.addFile("hotfix-bug-1548973@mozilla.org-1.1.4", "SystemAddons")
	w.addFile("timecop@mozilla.com-1.0", "SystemAddons")
	w.run(t, []xmlCase{
		// C15
		{golden: "C15-p.xml", mapping: "gmp", path: "/update/4/gmp/1.0/1/p/l/a/a/a/a/1/update.xml"},
		{golden: "C15-q.xml", mapping: "gmp", path: "/update/4/gmp/1.0/1/q/l/a/a/a/a/1/update.xml"},
		// C16
		{golden: "C16-p.xml", mapping: "sba", path: "/update/3/sba/99.8.1/1/p/l/a/a/a/a/update.xml"},
		{golden: "C16-q2.xml", mapping: "sba", path: "/update/3/sba/1.0/1/q2/l/a/a/a/a/update.xml"},
		{golden: "C16-real.xml", mapping: "Superblob-e8f4a19cfd695bf0eb66a2115313c31cc23a2369c0dc7b736d2f66d9075d7c66",
			path: "/update/3/SystemAddons/1.0/1/p/l/releasesjson/a/a/a/update.xml"},
		// A superblob without fan-out cannot be rendered (500).
		{err: "500", mapping: "empty", path: "/update/3/sba/1.0/1/q2/l/a/a/a/a/update.xml"},
	}, nil)
}

func TestSpecAddonsAndGMP(t *testing.T) {
	w := newWorld(t, defAllowlist, defForceHosts, map[string]string{
		"sa-uninstall": `{"name": "fake", "schema_version": 5000, "hashFunction": "SHA512", "uninstall": true}`,
		"sa":           `{"name": "fake", "schema_version": 5000, "hashFunction": "SHA512", "uninstall": false, "addons": {"c": {"version": "1", "platforms": {"p": {"filesize": 2, "hashValue": "3", "fileUrl": "http://a.com/blah"}}}}}`,
	})
	w.run(t, []xmlCase{
		{golden: "C17-uninstall.xml", mapping: "sa-uninstall", path: "/update/4/s/1.0/1/z/p/a/b/c/d/1/update.xml"},
		{golden: "C17-z.xml", mapping: "sa", path: "/update/4/s/1.0/1/z/p/a/b/c/d/1/update.xml"},
		{golden: "C17-p.xml", mapping: "sa", path: "/update/4/s/1.0/1/p/p/a/b/c/d/1/update.xml"},
		{golden: "C17-forbidden.xml", mapping: "sa", path: "/update/4/notallowed/1.0/1/p/p/a/b/c/d/1/update.xml"},
	}, nil)

	g := newWorld(t, `{"a.com": ["gg"], "boring.com": ["gg"]}`, defForceHosts, map[string]string{
		"gmpb": `{"name": "fake", "schema_version": 1000, "hashFunction": "SHA512",
 "vendors": {
   "c": {"version": "1", "platforms": {
      "p":  {"filesize": 2, "hashValue": "3", "fileUrl": "http://a.com/blah"},
      "q":  {"filesize": 4, "hashValue": "5", "fileUrl": "http://boring.com/blah"},
      "q2": {"alias": "q"}}},
   "d": {"version": "5", "platforms": {
      "q": {"filesize": 10, "hashValue": "11", "fileUrl": "http://boring.com/foo"},
      "r": {"filesize": 666, "hashValue": "666", "fileUrl": "http://evil.com/fire"},
      "t": {"filesize": 21, "hashValue": "22", "fileUrl": "http://boring.com/qux", "mirrorUrls": ["http://boring.com/qux_alt", "http://boring.com/qux_alt2"]},
      "u": {"filesize": 23, "hashValue": "24", "fileUrl": "http://boring.com/baz", "mirrorUrls": ["http://evil.com/fire"]},
      "default": {"filesize": 20, "hashValue": "50", "fileUrl": "http://boring.com/bar"}}},
   "e": {"version": "1", "platforms": {"x": {"alias": "missing"}}}}}`,
	})
	g.run(t, []xmlCase{
		{golden: "C18-p.xml", mapping: "gmpb", path: "/update/3/gg/3/1/p/l/a/a/a/a/update.xml"},
		{golden: "C18-q2.xml", mapping: "gmpb", path: "/update/3/gg/3/1/q2/l/a/a/a/a/update.xml"},
		{golden: "C18-t.xml", mapping: "gmpb", path: "/update/3/gg/3/1/t/l/a/a/a/a/update.xml"},
		{golden: "C18-u.xml", mapping: "gmpb", path: "/update/3/gg/3/1/u/l/a/a/a/a/update.xml"},
		{golden: "C18-r.xml", mapping: "gmpb", path: "/update/3/gg/3/1/r/l/a/a/a/a/update.xml"},
		{golden: "C18-zz.xml", mapping: "gmpb", path: "/update/3/gg/3/1/zz/l/a/a/a/a/update.xml"},
		// §2.4: an alias to a platform the vendor does not have.
		{err: "No platform '%s' in vendor '%s' missing e", mapping: "gmpb", path: "/update/3/gg/3/1/x/l/a/a/a/a/update.xml"},
	}, nil)
}

func TestSpecDesupport(t *testing.T) {
	w := newWorld(t, defAllowlist, defForceHosts, map[string]string{
		"desupport":  `{"name": "desupport", "schema_version": 50, "detailsUrl": "http://example.com/%LOCALE%/desupport?v=%VERSION%&os=%OS%", "displayVersion": "1"}`,
		"desupport2": `{"name": "desupport", "schema_version": 50, "detailsUrl": "http://example.com/desupport", "displayVersion": "1"}`,
	})
	w.run(t, []xmlCase{
		{golden: "C19.xml", mapping: "desupport", ut: "major",
			path: "/update/6/b/47.0/20160101/WINNT_x86-msvc/de/release/Windows_NT%205.1.3.0%20(x86)/SSE2/default/default/update.xml"},
		{golden: "C22-desupport.xml", mapping: "desupport2",
			path: "/update/6/b/3.0/30000101000020/p/l/c/obsolete/a/a/a/update.xml?pin=4."},
	}, nil)
}

func TestSpecRealReleases(t *testing.T) {
	w := newWorld(t, `{"download.mozilla.org": ["Firefox"], "archive.mozilla.org": ["Firefox"]}`, ForceHosts{"http://download.mozilla.org"}, nil)
	for _, name := range []string{"Firefox-54.0.1-build1", "Firefox-56.0-build1", "Firefox-100.0-build1"} {
		w.addFile(name, "Firefox")
	}
	const base = "/update/6/Firefox/54.0.1/20170628075643/"
	w.run(t, []xmlCase{
		// C20
		{golden: "C20.xml", mapping: "Firefox-56.0-build1",
			path: base + "WINNT_x86-msvc-x64/en-US/release/Windows_NT%206.1.0.0%20(x86)/ISET:SSE3,MEM:4096,JAWS:0/default/default/update.xml"},
		{golden: "C20-x64.xml", mapping: "Firefox-56.0-build1",
			path: base + "WINNT_x86_64-msvc-x64/en-US/release/Windows_NT%206.1.0.0%20(x86)/ISET:SSE3,MEM:4096,JAWS:0/default/default/update.xml"},
		{golden: "C20-100.xml", mapping: "Firefox-100.0-build1",
			path: base + "WINNT_x86-msvc-x64/en-US/release100/Windows_NT%206.1.0.0%20(x86)/ISET:SSE3,MEM:4096,JAWS:0/default/default/update.xml"},
		// C21
		{golden: "C21-cck.xml", mapping: "Firefox-56.0-build1",
			path: base + "Darwin_x86_64-gcc3-u-i386-x86_64/de/release-cck-mozillaonline/Darwin%2016.7.0/ISET:SSE4_2,MEM:16384/mozillaonline/1.0/update.xml?force=1"},
		{golden: "C21-localtest.xml", mapping: "Firefox-56.0-build1",
			path: base + "Linux_x86_64-gcc3/af/release-localtest/Linux%204.4/ISET:SSE4_2,MEM:16384/default/default/update.xml"},
	}, nil)
}

func TestSpecPins(t *testing.T) {
	const al = `{"a.com": ["b"]}`
	releases := map[string]string{}
	for _, r := range [][3]string{
		{"N1", "1.0", "30000101000010"}, {"N2-1", "2.1", "30000101000021"}, {"N2-2", "2.2", "30000101000022"},
		{"N2-3", "2.3", "30000101000023"}, {"N3", "3.0", "30000101000030"}, {"N4", "4.0", "30000101000040"},
		{"N5", "5.0", "30000101000050"},
	} {
		url := "http://a.com/" + strings.ReplaceAll(strings.TrimPrefix(r[0], "N"), "-", "_")
		releases[r[0]] = v1(r[0], r[1], r[2], url, `"3"`, "4")
	}
	w := newWorld(t, al, ForceHosts{"http://a.com"}, releases)
	pins := map[string]string{"1.": "N1", "1.0.": "N1", "2.": "N2-3", "2.1.": "N2-1", "2.2.": "N2-2", "2.3.": "N2-3",
		"3.": "N3", "3.0.": "N3", "4.": "N4", "4.0.": "N4", "5.": "N5", "5.0.": "N5"}
	p := func(version, bid, channel, pin string) string {
		s := "/update/6/b/" + version + "/" + bid + "/p/l/" + channel + "/a/a/a/a/update.xml"
		if pin != "" {
			s += "?pin=" + pin
		}
		return s
	}
	w.run(t, []xmlCase{
		{golden: "C22-pin2.xml", mapping: "N3", path: p("1.0", "30000101000010", "c", "2.")},
		{golden: "C22-2.2.xml", mapping: "N3", path: p("1.0", "30000101000010", "c", "2.2.")},
		{golden: "C22-3.0.xml", mapping: "N3", path: p("1.0", "30000101000010", "c", "5.")},
		{golden: "C22-3.0.xml", mapping: "N3", path: p("1.0", "30000101000010", "c", "")},
		{golden: "E1.xml", mapping: "N3", path: p("1.0", "30000101000010", "c", "1.")},
		{golden: "E1.xml", mapping: "N3", path: p("2.0", "30000101000020", "c", "1.")},
		{golden: "E1.xml", mapping: "N3", path: p("2.2", "30000101000022", "c", "2.1.")},
		{golden: "C22-4.0.xml", mapping: "N5", path: p("3.0", "30000101000030", "c", "4.")},
		{golden: "C22-5.0.xml", mapping: "N5", path: p("3.0", "30000101000030", "c", "7.")},
		{golden: "C22-5.0.xml", mapping: "N5", path: p("3.0", "30000101000030", "c", "4.5.")},
		{err: "Version Pin String '2' is invalid.", mapping: "N3", path: p("2.2", "30000101000022", "c", "2")},
	}, pins)
}

func TestSpecGuardian(t *testing.T) {
	g := func(name, version, platforms string) string {
		return `{"name": "` + name + `", "product": "Guardian", "schema_version": 10000, "version": "` + version +
			`", "required": true, "hashFunction": "sha512", "platforms": {` + platforms + `}}`
	}
	w := newWorld(t, `{"good.com": ["Guardian"]}`, defForceHosts, map[string]string{
		"Guardian-0.5.0.0": g("Guardian-0.5.0.0", "0.5.0.0", `"WINNT_x86_64": {"fileUrl": "https://good.com/0.5.0.0.msi", "hashValue": "abcdef"},
			"Darwin_x86_64": {"fileUrl": "https://good.com/0.5.0.0.dmg", "hashValue": "ghijkl"}`),
		"Guardian-0.6.0.0": g("Guardian-0.6.0.0", "0.6.0.0", `"WINNT_x86_64": {"fileUrl": "https://good.com/0.6.0.0.msi", "hashValue": "abcpqr"}`),
		"Guardian-1.0.0.0": g("Guardian-1.0.0.0", "1.0.0.0", `"WINNT_x86_64": {"fileUrl": "https://good.com/1.0.0.0.msi", "hashValue": "mnopqr"},
			"Darwin_x86_64": {"fileUrl": "https://good.com/1.0.0.0.dmg", "hashValue": "stuvwx"}`),
		"Guardian-Evil-1.0.0.0": g("Guardian-Evil-1.0.0.0", "1.0.0.0", `"Darwin_x86_64": {"fileUrl": "https://evil.com/1.0.0.0.dmg", "hashValue": "ghijkl"}`),
	})
	for _, c := range []struct {
		golden, mapping, path string
	}{
		{"C23-0.4.json", "Guardian-0.5.0.0", "/json/1/Guardian/0.4.0.0/WINNT_x86_64/release/update.json"},
		{"C23-0.6.json", "Guardian-1.0.0.0", "/json/1/Guardian/0.6.0.0/WINNT_x86_64/release/update.json"},
		{"C23-0.6.json", "Guardian-1.0.0.0", "/json/1/Guardian/0.99.99.99/WINNT_x86_64/release/update.json"},
		{"C23-obsolete.json", "Guardian-0.6.0.0", "/json/2/Guardian/0.5.0.0/WINNT_x86_64/release/obsolete/update.json"},
		{"C23-evil.json", "Guardian-Evil-1.0.0.0", "/json/1/Guardian/0.6.0.0/Darwin_x86_64/evilrelease/update.json"},
		{"", "Guardian-1.0.0.0", "/json/1/Guardian/1.0.0.0/WINNT_x86_64/release/update.json"},
		{"", "Guardian-1.0.0.0", "/json/1/Guardian/0.6.0.0/Linux_x86_64/release/update.json"},
	} {
		t.Run(c.path, func(t *testing.T) {
			q, err := queryFromPath(c.path, "")
			if err != nil {
				t.Fatal(err)
			}
			b := w.releases[c.mapping]
			d, err := b.ShouldServe(q)
			if err != nil {
				t.Fatal(err)
			}
			if c.golden == "" {
				if d != No {
					t.Fatalf("want No, got %v", d)
				}
				return
			}
			if d != Yes {
				t.Fatalf("want Yes, got %v", d)
			}
			out, err := AppendJSON(nil, b, q, w.env)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, c.golden, string(out))
		})
	}
	// A Guardian blob on an XML route is a client error.
	q, _ := queryFromPath("/update/1/Guardian/0.4.0.0/default/WINNT_x86_64/en-US/release/update.xml", "")
	if _, err := AppendXML(nil, w.releases["Guardian-1.0.0.0"], q, "minor", nil, w.env); err == nil || err.Error() != "Wrong blob type" || !isBadInput(err) {
		t.Errorf("Guardian on XML: %v", err)
	}
	// Other blobs have no JSON form.
	if _, err := AppendJSON(nil, &Desupport{}, q, w.env); err != ErrNotJSON {
		t.Errorf("desupport on JSON: %v", err)
	}
}

func TestSpecCompactNightly(t *testing.T) {
	w := newWorld(t, `{"a.com": ["b"]}`, defForceHosts, map[string]string{
		"Firefox-mozilla-central-nightly-latest": v1("Firefox-mozilla-central-nightly-latest", "1.0", "30000101000000", "http://a.com/z", `"3"`, "4"),
	})
	w.run(t, []xmlCase{
		{golden: "C24-compact.xml", mapping: "Firefox-mozilla-central-nightly-latest", path: "/update/6/b/1.0/20190103220533/p/l/a/a/a/a/a/update.xml"},
		{golden: "C24-compact.xml", mapping: "Firefox-mozilla-central-nightly-latest", path: "/update/6/b/1.0/20190104093221/p/l/a/a/a/a/a/update.xml"},
		{golden: "C24-normal.xml", mapping: "Firefox-mozilla-central-nightly-latest", path: "/update/6/b/1.0/20181212121212/p/l/a/a/a/a/a/update.xml"},
	}, nil)
}

func TestSpecMig64Release(t *testing.T) {
	w := newWorld(t, `{"a.com": ["a", "b", "c"]}`, defForceHosts, map[string]string{
		"b": v1("b", "2.0", "12", "http://a.com/z1", `"13"`, "14"),
	})
	w.run(t, []xmlCase{
		{golden: "C25-b.xml", mapping: "b", path: "/update/3/b/1.0/2/p/l/a/a/a/a/update.xml?mig64=1"},
	}, nil)
}

func TestDecisionString(t *testing.T) {
	for d, want := range map[Decision]string{No: "No", Maybe: "Maybe", Yes: "Yes", 7: "Decision(7)"} {
		if d.String() != want {
			t.Errorf("%d: %s", d, d.String())
		}
	}
	var q rules.Query
	for _, b := range []Blob{&Desupport{}, &GMP{}, &Superblob{}, &SystemAddons{}} {
		if d, err := b.ShouldServe(&q); d != Yes || err != nil {
			t.Errorf("%T: %v %v", b, d, err)
		}
	}
}
