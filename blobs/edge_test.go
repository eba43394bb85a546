package blobs

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/balrog-go/balrog/rules"
)

// Behaviours of public.md §6–§9 and §15 beyond the concrete cases of §14.

// render parses the releases, picks main and renders it for path.
func render(t *testing.T, releases map[string]string, main, path string) (string, error) {
	t.Helper()
	w := newWorld(t, defAllowlist, defForceHosts, releases)
	q, err := queryFromPath(path, "")
	if err != nil {
		t.Fatal(err)
	}
	out, err := AppendXML(nil, w.releases[main], q, "minor", nil, w.env)
	return string(out), err
}

func TestForbiddenEntryTriesNext(t *testing.T) {
	// Q26: a forbidden URL in a V3+ list makes the next entry be tried.
	got, err := render(t, map[string]string{"r": `{"name": "r", "schema_version": 4, "hashFunction": "sha512", "appVersion": "2.0",
		"platforms": {"p": {"buildID": "2", "locales": {"l": {"completes": [
		  {"from": "*", "filesize": 1, "hashValue": "evil", "fileUrl": "http://evil.com/x"},
		  {"from": "*", "filesize": 2, "hashValue": "good", "fileUrl": "http://a.com/y?x=1"}]}}}}}`},
		"r", "/update/3/b/1.0/1/p/l/a/a/a/a/update.xml?force=-1")
	if err != nil {
		t.Fatal(err)
	}
	want := `<patch type="complete" URL="http://a.com/y?x=1&amp;force=-1" hashFunction="sha512" hashValue="good" size="2"/>`
	if !strings.Contains(got, want) || strings.Contains(got, "evil") {
		t.Errorf("got %s", got)
	}
}

func TestForceOnlyOnSpecialHosts(t *testing.T) {
	al, _ := ParseAllowlist([]byte(`{"b.com": ["b"]}`))
	b, _ := parseBlob([]byte(v1("b", "1.0", "2", "http://b.com/z", `"3"`, "4")))
	q, _ := queryFromPath("/update/3/b/0.5/1/p/l/a/a/a/a/update.xml?force=1", "")
	out, err := AppendXML(nil, b, q, "minor", nil, &Env{Allowlist: al, ForceHosts: ForceHosts{"http://a.com"}})
	if err != nil || !strings.Contains(string(out), `URL="http://b.com/z"`) {
		t.Errorf("%v %s", err, out)
	}
}

func TestFromReleaseChecks(t *testing.T) {
	main := `{"name": "r", "schema_version": 4, "hashFunction": "sha512", "appVersion": "2.0",
		"platforms": {"p": {"buildID": "9", "locales": {"l": {
		  "completes": [{"from": "*", "filesize": 1, "hashValue": "c", "fileUrl": "http://a.com/c"}],
		  "partials": [{"from": "num", "filesize": 2, "hashValue": "n", "fileUrl": "http://a.com/n"},
		               {"from": "gone", "filesize": 3, "hashValue": "g", "fileUrl": "http://a.com/g"},
		               {"from": "old", "filesize": 4, "hashValue": "o", "fileUrl": "http://a.com/o"}]}}}}}`
	releases := map[string]string{
		"r":   main,
		"num": `{"name": "num", "schema_version": 4, "platforms": {"p": {"buildID": 5, "locales": {"l": {}}}}}`,
		"old": `{"name": "old", "schema_version": 4, "platforms": {"p": {"buildID": "5", "locales": {"l": {}}}}}`,
	}
	got, err := render(t, releases, "r", "/update/3/b/1.0/5/p/l/a/a/a/a/update.xml")
	if err != nil {
		t.Fatal(err)
	}
	// A numeric build ID never matches (Q4); a missing from-release is
	// skipped; "old" matches.
	if !strings.Contains(got, `hashValue="o"`) || strings.Contains(got, `hashValue="n"`) || strings.Contains(got, `hashValue="g"`) {
		t.Errorf("got %s", got)
	}
	// A from-release that is not an app release is a server error.
	releases["old"] = `{"name": "old", "schema_version": 1000, "vendors": {}}`
	delete(releases, "num")
	if _, err := render(t, releases, "r", "/update/3/b/1.0/5/p/l/a/a/a/a/update.xml"); err == nil || isBadInput(err) {
		t.Errorf("want a server error, got %v", err)
	}
	// A lookup error is passed on.
	b, _ := parseBlob([]byte(main))
	q, _ := queryFromPath("/update/3/b/1.0/5/p/l/a/a/a/a/update.xml", "")
	boom := errors.New("boom")
	env := &Env{Releases: ReleaseLookupFunc(func(string) (Blob, bool, error) { return nil, false, boom })}
	if _, err := AppendXML(nil, b, q, "minor", nil, env); !errors.Is(err, boom) {
		t.Errorf("got %v", err)
	}
}

func TestShouldServeDetails(t *testing.T) {
	b, _ := parseBlob([]byte(`{"name": "r", "schema_version": 2, "appVersion": "2.0", "platforms": {"p": {"buildID": 20, "locales": {"l": {}}}, "a": {"alias": "p"}}}`))
	bid, loc := "3", "l"
	for _, c := range []struct {
		version, bid, target string
		want                 Decision
	}{
		{"2.0", "3", "p", No},     // "3" >= "20" as text (Q4: decimal text of the number)
		{"2.0", "10", "p", Yes},   // "10" < "20"
		{"1.0", "99", "a", Yes},   // alias keys count as present
		{"1.0", "99", "zz", No},   // lower version, unknown platform
		{"3.0", "1", "p", No},     // no downgrades
		{"2.0.0", "19", "p", Yes}, // 2.0 == 2.0.0
	} {
		bid, loc = c.bid, "l"
		q := &rules.Query{Version: c.version, BuildID: &bid, Locale: &loc, BuildTarget: c.target}
		if d, err := b.ShouldServe(q); d != c.want || err != nil {
			t.Errorf("%+v: %v %v", c, d, err)
		}
	}
	// JSON queries (no build ID, no locale) never get app releases.
	if d, err := b.ShouldServe(&rules.Query{Version: "1.0", BuildTarget: "p"}); d != No || err != nil {
		t.Errorf("JSON query: %v %v", d, err)
	}
	// A release version that does not parse is a client error.
	bad, _ := parseBlob([]byte(`{"name": "r", "schema_version": 2, "appVersion": "60.0b3", "platforms": {"p": {"buildID": "1", "locales": {"l": {}}}}}`))
	if _, err := bad.ShouldServe(&rules.Query{Version: "1.0", BuildID: &bid, Locale: &loc, BuildTarget: "p"}); err == nil || err.Error() != "Version number 60.0b3 is invalid." {
		t.Errorf("got %v", err)
	}
}

func TestV9ConditionErrors(t *testing.T) {
	blob := func(versions string) map[string]string {
		return map[string]string{"r": `{"name": "r", "schema_version": 9, "hashFunction": "sha512", "appVersion": "31.0", "displayVersion": "31.0",
			"updateLine": [{"for": {"versions": [` + versions + `], "other": ["x"]}, "fields": {"actions": "a"}},
			               {"for": {"versions": ["<40.0"]}, "fields": {"detailsURL": "http://x/%locale%"}}],
			"platforms": {"p": {"buildID": "1", "locales": {"l": {}}}}}`}
	}
	if _, err := render(t, blob(`"3.6.*"`), "r", "/update/3/b/1.0/0/p/l/a/a/a/a/update.xml"); err == nil || err.Error() != "Version number 3.6.* is invalid." {
		t.Errorf("got %v", err)
	}
	if _, err := render(t, blob(`"=1.0"`), "r", "/update/3/b/1.0/0/p/l/a/a/a/a/update.xml"); err == nil || isBadInput(err) {
		t.Errorf("want a server error, got %v", err)
	}
	got, err := render(t, blob(`"1.0"`), "r", "/update/3/b/1.0/0/p/l/a/a/a/a/update.xml")
	if err != nil || !strings.Contains(got, `<update appVersion="31.0" buildID="1" detailsURL="http://x/l" displayVersion="31.0" type="minor">`) {
		t.Errorf("an unknown condition key must fail the group: %v %s", err, got)
	}
}

func TestSystemAddonsEdges(t *testing.T) {
	releases := map[string]string{
		"alias":      `{"name": "a", "schema_version": 5000, "hashFunction": "h", "addons": {"x": {"version": "1", "platforms": {"p": {"alias": "nope"}}}}}`,
		"null":       `{"name": "n", "schema_version": 5000, "hashFunction": "h", "addons": null}`,
		"nullUninst": `{"name": "n", "schema_version": 5000, "hashFunction": "h", "uninstall": true, "addons": null}`,
	}
	const path = "/update/3/s/1.0/1/p/l/a/a/a/a/update.xml"
	if _, err := render(t, releases, "alias", path); err == nil || isBadInput(err) {
		t.Errorf("alias to a missing platform: %v", err)
	}
	if _, err := render(t, releases, "null", path); err == nil || isBadInput(err) {
		t.Errorf("null addons without uninstall: %v", err)
	}
	if got, err := render(t, releases, "nullUninst", path); err != nil || got != "<?xml version=\"1.0\"?>\n<updates>\n    <addons>\n    </addons>\n</updates>" {
		t.Errorf("null addons with uninstall: %v %q", err, got)
	}
}

func TestXMLAssemblyErrors(t *testing.T) {
	w := newWorld(t, defAllowlist, defForceHosts, map[string]string{
		"super":   `{"name": "s", "schema_version": 4000, "products": ["g"]}`,
		"g":       `{"name": "g", "schema_version": 10000, "version": "1", "platforms": {}}`,
		"noname":  `{"schema_version": 50, "detailsUrl": "x", "displayVersion": "1"}`,
		"nightly": v1("Firefox-mozilla-central-nightly-latest", "1.0", "3", "http://a.com/z", `"3"`, "4"),
	})
	q, _ := queryFromPath("/update/3/b/1.0/20190103220533/p/l/a/a/a/a/update.xml", "")
	if _, err := AppendXML(nil, w.releases["super"], q, "minor", []Part{{Blob: w.releases["g"], Query: q}}, w.env); err == nil || isBadInput(err) {
		t.Errorf("Guardian part: %v", err)
	}
	if _, err := AppendXML(nil, w.releases["noname"], q, "minor", nil, w.env); err == nil || isBadInput(err) {
		t.Errorf("blob without name: %v", err)
	}
	// A superblob part named like the nightly is not compacted.
	out, err := AppendXML(nil, w.releases["super"], q, "minor", []Part{{Blob: w.releases["nightly"], Query: q, UpdateType: "minor"}}, w.env)
	if err != nil || !strings.Contains(string(out), "\n") {
		t.Errorf("superblob compacted: %v %q", err, out)
	}
	// Without an Env every URL is forbidden.
	out, err = AppendXML(nil, w.releases["nightly"], q, "minor", nil, nil)
	if err != nil || strings.Contains(string(out), "<patch") {
		t.Errorf("nil env: %v %q", err, out)
	}
	if IsXML(w.releases["g"]) || !IsXML(w.releases["super"]) {
		t.Error("IsXML")
	}
}

// TestConcurrentRender renders one parsed blob from several goroutines;
// run with -race to check that rendering does not write to the blob.
func TestConcurrentRender(t *testing.T) {
	data := bigRelease(9, 5, 5)
	blob, err := parseBlob([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	al, _ := ParseAllowlist([]byte(`{"download.mozilla.org": ["Firefox"]}`))
	from, _ := parseBlob([]byte(fromRelease("from-1", "20210101000001", 5, 5)))
	env := &Env{Allowlist: al, ForceHosts: ForceHosts{"http://download.mozilla.org"}, Releases: ReleaseMap{"from-1": from}}
	bid, loc := "20210101000001", "l3"
	q := &rules.Query{Product: "Firefox", Version: "98.0", BuildID: &bid, BuildTarget: "plat2-alias", Locale: &loc, Channel: "release"}
	want, err := AppendXML(nil, blob, q, "minor", nil, env)
	if err != nil || !strings.Contains(string(want), `type="partial"`) {
		t.Fatalf("%v %s", err, want)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				got, err := AppendXML(nil, blob, q, "minor", nil, env)
				if err != nil || string(got) != string(want) {
					t.Errorf("concurrent render differs: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
