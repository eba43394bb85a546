package blobs

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/balrog-go/balrog/rules"
)

// TestSpecDeferred runs the spec and edge tests again with every app
// release parsed by ParseDeferred: its first blob, as a request that
// missed gets it, and that blob once its complete parse has released the
// text (the locale tables then come from the complete blob). Their golden
// answers and errors must not change.
func TestSpecDeferred(t *testing.T) {
	tests := map[string]func(*testing.T){
		"V1Basics": TestSpecV1Basics, "V2toV8": TestSpecV2toV8, "V9": TestSpecV9,
		"OldVersionSpecialCases": TestSpecOldVersionSpecialCases, "Superblobs": TestSpecSuperblobs,
		"AddonsAndGMP": TestSpecAddonsAndGMP, "Desupport": TestSpecDesupport, "RealReleases": TestSpecRealReleases,
		"Pins": TestSpecPins, "Guardian": TestSpecGuardian, "CompactNightly": TestSpecCompactNightly,
		"Mig64Release": TestSpecMig64Release, "ForbiddenEntryTriesNext": TestForbiddenEntryTriesNext,
		"ForceOnlyOnSpecialHosts": TestForceOnlyOnSpecialHosts, "FromReleaseChecks": TestFromReleaseChecks,
		"ShouldServeDetails": TestShouldServeDetails, "V9ConditionErrors": TestV9ConditionErrors,
		"XMLAssemblyErrors": TestXMLAssemblyErrors, "ConcurrentRender": TestConcurrentRender,
	}
	defer func(n int, parse func([]byte) (Blob, error)) { deferMin, parseBlob = n, parse }(deferMin, parseBlob)
	deferMin = 0
	for _, completed := range []bool{false, true} {
		deferred := 0
		parseBlob = func(data []byte) (Blob, error) {
			first, complete, err := ParseDeferred(data)
			if err != nil || complete == nil {
				return first, err
			}
			deferred++
			if completed {
				if _, err := complete(); err != nil {
					return nil, err
				}
			}
			return first, nil
		}
		mode := map[bool]string{false: "first", true: "completed"}[completed]
		for name, test := range tests {
			t.Run(mode+"/"+name, test)
		}
		if deferred < 40 { // the spec tests' own blobs; the corpus adds more
			t.Errorf("%s: only %d blobs were deferred", mode, deferred)
		}
	}
}

// answers renders, for each query, should-serve and the XML document of b
// (or the error), as one text to compare.
func answers(t *testing.T, b Blob, queries []*rules.Query, env *Env) string {
	t.Helper()
	var out strings.Builder
	for _, q := range queries {
		d, err := b.ShouldServe(q)
		fmt.Fprintf(&out, "%s %s: %v %v\n", q.BuildTarget, *q.Locale, d, err)
		xml, err := AppendXML(nil, b, q, "minor", nil, env)
		fmt.Fprintf(&out, "%s %v\n", xml, err)
	}
	return out.String()
}

// largeQueries asks for every tenth platform and locale of bigRelease,
// through aliases and not, and for ones it lacks.
func largeQueries(platforms, locales int) []*rules.Query {
	var qs []*rules.Query
	for p := 0; p < platforms; p += 10 {
		for l := 0; l <= locales; l += 10 {
			bid, loc := "20210101000001", fmt.Sprintf("l%d", l)
			for _, target := range []string{fmt.Sprintf("plat%d", p), fmt.Sprintf("plat%d-alias", p), "missing"} {
				qs = append(qs, &rules.Query{Route: rules.RouteXML, Product: "Firefox", Version: "98.0", BuildID: &bid,
					BuildTarget: target, Locale: &loc, Channel: "release"})
			}
		}
	}
	return qs
}

// TestParseDeferredLarge checks a large release: the first blob answers as
// Parse's does, before and after the complete parse, whose blob answers
// the same too; the text is released once the complete parse is done.
func TestParseDeferredLarge(t *testing.T) {
	const platforms, locales = 40, 60
	data := []byte(bigRelease(4, platforms, locales))
	if len(data) < deferMin {
		t.Fatalf("the test blob (%d bytes) is below deferMin", len(data))
	}
	queries := largeQueries(platforms, locales)
	full, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	env, _ := benchEnv(t, platforms, locales)
	want := answers(t, full, queries, env)
	if !strings.Contains(want, `type="partial"`) {
		t.Fatalf("the queries find no update:\n%.500s", want)
	}

	first, complete, err := ParseDeferred(data)
	if err != nil || complete == nil {
		t.Fatalf("not deferred: %v", err)
	}
	r := first.(*AppRelease)
	text := r.Platforms["plat0"].deferred.text
	// The from-releases (benchEnv's) are deferred too.
	defer func(n int) { deferMin = n }(deferMin)
	deferMin = 0
	deferredEnv, releases := *env, ReleaseMap{}
	for f := 0; f < 3; f++ {
		name := fmt.Sprintf("from-%d", f)
		from, complete, err := ParseDeferred([]byte(fromRelease(name, fmt.Sprintf("2021010100000%d", f), platforms, locales)))
		if err != nil || complete == nil {
			t.Fatalf("from-release %s not deferred: %v", name, err)
		}
		releases[name] = from
	}
	deferredEnv.Releases = releases
	half := queries[:len(queries)/2]
	if got := answers(t, first, half, &deferredEnv); got != answers(t, full, half, env) {
		t.Errorf("first blob answers differently:\n%s", got)
	}
	for i := range data {
		data[i] = 'x' // the caller may reuse data: nothing may read it now
	}
	done, err := complete()
	if err != nil {
		t.Fatal(err)
	}
	if text.s != "" || text.final != done {
		t.Errorf("the text was not released after the complete parse")
	}
	if got := answers(t, first, queries, &deferredEnv); got != want {
		t.Errorf("first blob, after the complete parse, answers differently")
	}
	if got := answers(t, done, queries, env); got != want {
		t.Errorf("complete blob answers differently")
	}
	if done.(*AppRelease).Platforms["plat0"].deferred != nil {
		t.Errorf("the complete blob defers locale tables")
	}
}

// TestParseDeferredFallsBack checks what is parsed in one step: small
// blobs, other blob types, app releases without locale tables and text
// the first reading cannot read, which gets Parse's error.
func TestParseDeferredFallsBack(t *testing.T) {
	defer func(n int) { deferMin = n }(deferMin)
	deferMin = 0
	for _, c := range []struct{ name, data, err string }{
		{"gmp", `{"name": "g", "schema_version": 1000, "hashFunction": "sha512", "vendors": {}}`, ""},
		{"no locales", `{"name": "r", "schema_version": 4, "platforms": {"p": {"buildID": "1"}}}`, ""},
		{"not json", `{"name": "r", "schema_version": 4, "platforms": {"p": {"locales": {"de": {}}}}`, "unterminated object"},
		{"extra", `{"name": "r", "schema_version": 4, "platforms": {"p": {"locales": {"de": {}}}}} x`, "extra data"},
		{"schema 7", `{"name": "r", "schema_version": 7, "platforms": {"p": {"locales": {"de": {}}}}}`, "unsupported schema_version"},
	} {
		t.Run(c.name, func(t *testing.T) {
			first, complete, err := ParseDeferred([]byte(c.data))
			if complete != nil {
				t.Fatalf("deferred")
			}
			if c.err == "" && (err != nil || first == nil) || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
				t.Fatalf("got %v, want error %q", err, c.err)
			}
		})
	}
	deferMin = math.MaxInt
	if _, complete, err := ParseDeferred([]byte(bigRelease(4, 2, 2))); err != nil || complete != nil {
		t.Fatalf("a blob below deferMin was deferred (%v)", err)
	}
}

// TestParseDeferredBadTable checks a locale table the first reading
// locates but that is not JSON: that platform fails with a server error
// when read, the others answer, and the complete parse fails as Parse.
func TestParseDeferredBadTable(t *testing.T) {
	defer func(n int) { deferMin = n }(deferMin)
	deferMin = 0
	data := `{"name": "r", "schema_version": 4, "appVersion": "2.0", "platforms": {
 "bad": {"buildID": "1", "locales": {"de": {"buildID": 12 34}}},
 "good": {"buildID": "1", "locales": {"de": {"buildID": "5"}}}}}`
	_, parseErr := Parse([]byte(data))
	if parseErr == nil {
		t.Fatal("Parse accepted the bad table")
	}
	first, complete, err := ParseDeferred([]byte(data))
	if err != nil || complete == nil {
		t.Fatalf("not deferred: %v", err)
	}
	r := first.(*AppRelease)
	if v, err := r.buildID("good", "de"); err != nil || v.text != "5" {
		t.Errorf("good platform: %v %v", v, err)
	}
	if _, err := r.buildID("bad", "de"); err == nil || isBadInput(err) || !strings.Contains(err.Error(), "platforms.bad.locales") {
		t.Errorf("bad platform: want a server error, got %v", err)
	}
	if _, err := complete(); err == nil || err.Error() != parseErr.Error() {
		t.Errorf("complete: got %v, want %v", err, parseErr)
	}
}

// skipCases are objects and arrays for skipObject, with what may follow.
var skipCases = []string{
	`{}`, `[]`, `{"a": 1}`, `[1, [2, [3]], {"b": {}}]`,
	`{"q": "a \"quoted\" } ] string"}`,
	`{"k": "ends in a backslash\\", "l": "\\\\"}`,
	`{"word": "1234567\"", "x": "1234567\\\\", "y": "12345678\\\"9"}`,
	`{"u": "\u00e9t\u00e9 {[", "v": "été"}`,
	`{"deep": [[[[[[[[[[[[[[[[{}]]]]]]]]]]]]]]]]}`,
	`{"hash": "6915f943ab831292fa395fe0c2f8d5cd0945c31f910179c08efbcfa13e6bf9095e559b4d8bbba6ec597401d75b94a74d"}`,
	`{"a":{"b":{"c":{}}},"d":[{},{}],"e":"}}}]]]"}`,
}

// TestSkipObject checks that skipObject ends where the parser ends, with
// text after the value and without, and fails on every truncation.
func TestSkipObject(t *testing.T) {
	for _, c := range skipCases {
		checkSkip(t, c)
	}
}

// FuzzSkipObject compares skipObject with the parser on any text the
// parser reads as an object or array.
func FuzzSkipObject(f *testing.F) {
	for _, c := range skipCases {
		f.Add(c)
	}
	f.Fuzz(checkSkip)
}

func checkSkip(t *testing.T, doc string) {
	for _, tail := range []string{"", `, "next": {}}`, `]`} {
		s := doc + tail
		p := jsonParser{s: s}
		if p.i >= len(s) || (s[0] != '{' && s[0] != '[') {
			return
		}
		if _, err := p.value(0); err != nil {
			return // only what the parser reads
		}
		q := jsonParser{s: s}
		if err := q.skipObject(); err != nil || q.i != p.i {
			t.Fatalf("%q: skipObject ends at %d (%v), the parser at %d", s, q.i, err, p.i)
		}
	}
	for n := 1; n < len(doc); n++ {
		q := jsonParser{s: doc[:n]}
		if err := q.skipObject(); err == nil && q.i > n {
			t.Fatalf("%q: ends past the text", doc[:n])
		}
	}
}
