package blobs

import (
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/balrog-go/balrog/rules"
)

// TestSplitPlatformsSameBlob parses a blob whose platforms are read in two
// halves and in order, and checks that the split happened and that every
// platform and locale renders the same.
func TestSplitPlatformsSameBlob(t *testing.T) {
	const platforms, locales = 40, 30
	data := []byte(bigRelease(4, platforms, locales))
	parse := func(min int) Blob {
		defer func(n int) { splitMin = n }(splitMin)
		splitMin = min
		if _, builders, err := parseJSONLazy(data, true); err != nil || (len(builders) == 2) != (min == 0) {
			t.Fatalf("splitMin %d: %d builders, %v", min, len(builders), err)
		}
		b, err := Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	split, inOrder := parse(0), parse(math.MaxInt)
	env, _ := benchEnv(t, platforms, locales)
	for p := range platforms {
		for l := range locales {
			bid, loc := "20210101000001", fmt.Sprintf("l%d", l)
			q := &rules.Query{Route: rules.RouteXML, Product: "Firefox", Version: "98.0", BuildID: &bid,
				BuildTarget: fmt.Sprintf("plat%d-alias", p), Locale: &loc, Channel: "release"}
			want, err := AppendXML(nil, inOrder, q, "minor", nil, env)
			if err != nil || !strings.Contains(string(want), "<patch") {
				t.Fatalf("plat%d %s: %v\n%s", p, loc, err, want)
			}
			if got, err := AppendXML(nil, split, q, "minor", nil, env); err != nil || string(got) != string(want) {
				t.Fatalf("plat%d %s: split gives %v\n%s\nwant\n%s", p, loc, err, got, want)
			}
		}
	}
}

// TestSplitPlatformsErrors checks that a document read in two halves fails
// as one read in order does: an error in either half, a wrong guess of the
// split point, a repeated platform across the halves.
func TestSplitPlatformsErrors(t *testing.T) {
	defer func(n int) { splitMin = n }(splitMin)
	splitMin = 0
	big := bigRelease(4, 6, 3)
	// The last platform's last locale, in the second half.
	last := strings.LastIndex(big, `"l2": {"buildID"`)
	if last < len(big)/2 {
		t.Fatal("the last locale is not in the second half")
	}
	for name, doc := range map[string]string{
		"second half":  big[:last] + `"l2": {"buildID" 1` + big[last+len(`"l2": {"buildID"`):],
		"first half":   strings.Replace(big, `"plat0": {"OS_BOUNCER"`, `"plat0": {"OS_BOUNCER": }`, 1),
		"last byte":    strings.TrimSuffix(big, "}"),
		"repeated key": strings.Replace(big, `"plat5":`, `"plat0":`, 1),
		"string mark":  strings.Replace(big, `"os3"`, `"}},\"x\""`, 1),
	} {
		full, errFull := parseJSON([]byte(doc))
		lazy, _, errLazy := parseJSONLazy([]byte(doc), true)
		if (errFull == nil) != (errLazy == nil) || (errFull != nil && errFull.Error() != errLazy.Error()) {
			t.Errorf("%s: full: %v, split: %v", name, errFull, errLazy)
			continue
		}
		if errFull == nil && strings.Join(full.get("platforms").keys, ",") != strings.Join(lazy.get("platforms").keys, ",") {
			t.Errorf("%s: platforms %v, split %v", name, full.get("platforms").keys, lazy.get("platforms").keys)
		}
	}
}

// TestPackBuffersReleased checks that no pack buffer stays mapped after a
// parse, whether it succeeds, fails in either half, guesses the split point
// wrong or finds a blob that is not an app release.
func TestPackBuffersReleased(t *testing.T) {
	defer func(n int) { splitMin = n }(splitMin)
	splitMin = 0
	big := bigRelease(4, 6, 3)
	last := strings.LastIndex(big, `"l2": {"buildID"`)
	for name, doc := range map[string]string{
		"app release":    big,
		"second half":    big[:last] + `"l2": {"buildID" 1` + big[last+len(`"l2": {"buildID"`):],
		"first half":     strings.Replace(big, `"plat0": {"OS_BOUNCER"`, `"plat0": {"OS_BOUNCER": }`, 1),
		"extra data":     big + " 1",
		"no split point": strings.ReplaceAll(big, `}},`, `} },`),
		"wrong guess": `{"schema_version": 4, "name": "x", "platforms": {"p": {"pad": "` + strings.Repeat("x", 1<<20) +
			`", "locales": {"a": {"x": {"y": 1}},"b": {"locales": {"c": {"h": 1}}}}}, "q": {"locales": {"d": {}}}}}`,
		"not app release": strings.Replace(big, `"schema_version": 4`, `"schema_version": 1000`, 1),
		"bad schema":      strings.Replace(big, `"schema_version": 4`, `"schema_version": 7`, 1),
	} {
		before := mappedBuffers.Load()
		b, err := Parse([]byte(doc))
		if got := mappedBuffers.Load(); got != before {
			t.Errorf("%s (%v): %d pack buffers left mapped", name, err, got-before)
		}
		runtime.KeepAlive(b)
	}
}

// TestKeyHints parses objects whose keys repeat with and without escapes
// and quotes (hinted keys are compared by their text): each key is what
// Python's json.loads reads.
func TestKeyHints(t *testing.T) {
	doc := `[{"ab": 1, "ab\"": 2, "abc": 3}, {"ab\"": 4, "ab": 5, "ab": 6}, {"a\u0062": 7, "abc": 8}, {"a": {"ab": 9}}]`
	n, err := parseJSON([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := `[{'ab': 1, 'ab"': 2, 'abc': 3}, {'ab"': 4, 'ab': 6}, {'ab': 7, 'abc': 8}, {'a': {'ab': 9}}]`
	if got := string(appendPyRepr(nil, &n)); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
