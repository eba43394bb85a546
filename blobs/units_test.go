package blobs

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// Expected values in this file were produced with CPython 3.11.

func TestPythonFloatRepr(t *testing.T) {
	for _, c := range []struct{ lit, str, json string }{
		{"1.0", "1.0", "1.0"},
		{"12345.0", "12345.0", "12345.0"},
		{"1e16", "1e+16", "1e+16"},
		{"1.5e16", "1.5e+16", "1.5e+16"},
		{"1e15", "1000000000000000.0", "1000000000000000.0"},
		{"123456789012345678.0", "1.2345678901234568e+17", "1.2345678901234568e+17"},
		{"0.0001", "0.0001", "0.0001"},
		{"0.00001", "1e-05", "1e-05"},
		{"1.5e-7", "1.5e-07", "1.5e-07"},
		{"-0.0", "-0.0", "-0.0"},
		{"0.1", "0.1", "0.1"},
		{"3.14159", "3.14159", "3.14159"},
		{"1E400", "inf", "Infinity"},
		{"-1e400", "-inf", "-Infinity"},
		{"2.5e-320", "2.5e-320", "2.5e-320"},
		{"100.5", "100.5", "100.5"},
		{"1e22", "1e+22", "1e+22"},
		{"9007199254740993.0", "9007199254740992.0", "9007199254740992.0"},
		{"0.30000000000000004", "0.30000000000000004", "0.30000000000000004"},
		{"NaN", "nan", "NaN"},
	} {
		n, err := parseJSON([]byte(c.lit))
		if err != nil {
			t.Fatal(err)
		}
		v := valueOf(&n)
		if v.String() != c.str {
			t.Errorf("str(%s) = %q, want %q", c.lit, v.String(), c.str)
		}
		if got := string(appendPyJSONValue(nil, v)); got != c.json {
			t.Errorf("json.dumps(%s) = %q, want %q", c.lit, got, c.json)
		}
	}
}

func TestPythonValueText(t *testing.T) {
	for _, c := range []struct{ json, str, dumps string }{
		{`"abc"`, "abc", `"abc"`},
		{`33`, "33", "33"},
		{`-0`, "0", "0"},
		{`123456789012345678901234567890`, "123456789012345678901234567890", "123456789012345678901234567890"},
		{`true`, "True", "true"},
		{`false`, "False", "false"},
		{`null`, "None", "null"},
		{`[1, "a", null, true, 1.5, {"k": [2]}]`, `[1, 'a', None, True, 1.5, {'k': [2]}]`, `[1, "a", null, true, 1.5, {"k": [2]}]`},
		{`{"b": 1, "a": 2, "b": 3}`, `{'b': 3, 'a': 2}`, `{"b": 3, "a": 2}`},
		{`"it's"`, "it's", `"it's"`},
		{`["it's", "say \"hi\"", "both ' and \"", "tab\there", "nl\n", "\u0000\u007f"]`,
			`["it's", 'say "hi"', 'both \' and "', 'tab\there', 'nl\n', '\x00\x7f']`,
			`["it's", "say \"hi\"", "both ' and \"", "tab\there", "nl\n", "\u0000\u007f"]`},
		{`["é", "\u00ad", "\u2028", "😀", "\\back", "\u00a0", "\ud7ff", "\ud83d\ude00"]`,
			`['é', '\xad', '\u2028', '😀', '\\back', '\xa0', '\ud7ff', '😀']`,
			`["\u00e9", "\u00ad", "\u2028", "\ud83d\ude00", "\\back", "\u00a0", "\ud7ff", "\ud83d\ude00"]`},
	} {
		n, err := parseJSON([]byte(c.json))
		if err != nil {
			t.Fatalf("%s: %v", c.json, err)
		}
		v := valueOf(&n)
		if v.String() != c.str {
			t.Errorf("str(%s) = %q, want %q", c.json, v.String(), c.str)
		}
		if got := string(appendPyJSONValue(nil, v)); got != c.dumps {
			t.Errorf("json.dumps(%s) = %q, want %q", c.json, got, c.dumps)
		}
	}
}

func TestValueTruthy(t *testing.T) {
	for lit, want := range map[string]bool{
		`""`: false, `"x"`: true, `0`: false, `-0`: false, `1`: true, `0.0`: false, `-0.0`: false, `0.5`: true,
		`false`: false, `true`: true, `null`: false, `[]`: false, `[0]`: true, `{}`: false, `{"a": 1}`: true,
	} {
		n, err := parseJSON([]byte(lit))
		if err != nil {
			t.Fatal(err)
		}
		if got := valueOf(&n).Truthy(); got != want {
			t.Errorf("bool(%s) = %v", lit, got)
		}
	}
	if (Value{}).Truthy() || (Value{}).Present() {
		t.Error("absent value is truthy or present")
	}
}

func TestParseJSONErrors(t *testing.T) {
	for _, bad := range []string{``, `{`, `{"a"}`, `{"a":}`, `[1,]`, `01`, `1.`, `.5`, `1e`, `"a`, "\"\x01\"", `"\x"`, `"\u12"`, `nul`, `{} x`, `{"a":1,}`, `{'a': 1}`} {
		if _, err := parseJSON([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	n, err := parseJSON([]byte(" {\"b\": 1, \"a\": [], \"b\": {\"x\": \"\\u00e9\\n\"}} "))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(n.keys, ",") != "b,a" || n.get("b").get("x").str != "é\n" {
		t.Errorf("unexpected tree %+v", n)
	}
	deep := strings.Repeat("[", maxDepth+2) + strings.Repeat("]", maxDepth+2)
	if _, err := parseJSON([]byte(deep)); err == nil {
		t.Error("deep nesting accepted")
	}
}

func TestParseSchemaVersions(t *testing.T) {
	for _, c := range []struct {
		json string
		want string // Go type, or "" for an ErrSchemaVersion error
	}{
		{`{"schema_version": 1}`, "*blobs.AppRelease"},
		{`{"schema_version": 4.0}`, "*blobs.AppRelease"},
		{`{"schema_version": true}`, "*blobs.AppRelease"},
		{`{"schema_version": 1e3}`, "*blobs.GMP"},
		{`{"schema_version": 50}`, "*blobs.Desupport"},
		{`{"schema_version": 4000}`, "*blobs.Superblob"},
		{`{"schema_version": 5000}`, "*blobs.SystemAddons"},
		{`{"schema_version": 10000}`, "*blobs.Guardian"},
		{`{"schema_version": 7}`, ""},
		{`{"schema_version": 0}`, ""},
		{`{"schema_version": "1"}`, ""},
		{`{"schema_version": null}`, ""},
		{`{}`, ""},
		{`{"schema_version": 99999999999999999999}`, ""},
	} {
		b, err := Parse([]byte(c.json))
		if c.want == "" {
			if !errors.Is(err, ErrSchemaVersion) {
				t.Errorf("%s: want ErrSchemaVersion, got %v", c.json, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.json, err)
			continue
		}
		if got := typeName(b); got != c.want {
			t.Errorf("%s: got %s", c.json, got)
		}
	}
	for _, bad := range []string{`[]`, `"x"`, `{"schema_version": 1`, `{"schema_version": 4000, "products": "CDM"}`} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("%s parsed", bad)
		}
	}
}

func typeName(b Blob) string {
	switch b.(type) {
	case *AppRelease:
		return "*blobs.AppRelease"
	case *GMP:
		return "*blobs.GMP"
	case *Desupport:
		return "*blobs.Desupport"
	case *Superblob:
		return "*blobs.Superblob"
	case *SystemAddons:
		return "*blobs.SystemAddons"
	case *Guardian:
		return "*blobs.Guardian"
	}
	return "?"
}

// TestKeysAreCaseSensitive checks that keys are matched exactly: a V2 blob
// with "detailsURL" (the V9 spelling) has no detailsUrl.
func TestKeysAreCaseSensitive(t *testing.T) {
	b, err := Parse([]byte(`{"schema_version": 2, "detailsURL": "x", "AppVersion": "1.0"}`))
	if err != nil {
		t.Fatal(err)
	}
	r := b.(*AppRelease)
	if r.DetailsURL.Present() || r.AppVersion.Present() {
		t.Errorf("keys matched case-insensitively: %+v", r)
	}
}

func TestSplitURL(t *testing.T) {
	for _, c := range [][3]string{
		{"http://a.com/z", "a.com", "/z"},
		{"https://user:pw@host:8080/p/a;x/b;y?q#f", "user:pw@host:8080", "/p/a;x/b"},
		{"//h/p", "h", "/p"},
		{"h/p", "", "h/p"},
		{"http://a.com", "a.com", ""},
		{"HTTP://X.com/a;b", "X.com", "/a"},
		{"mailto:x@y", "", "x@y"},
		{"  \thttp://a\n.com/x", "a.com", "/x"},
		{"http://[::1]:80/x", "[::1]:80", "/x"},
		{"ftp://h/p;type=a", "h", "/p"},
		{"1http://x/y", "", "1http://x/y"},
		{"http:x/y", "", "x/y"},
		{"a.com/b", "", "a.com/b"},
		{"file:///etc", "", "/etc"},
		{"http://h?x/y", "h", ""},
		{"http://h#x/y", "h", ""},
		{"svn+ssh://h/p;q", "h", "/p;q"},
		{"foo://h/p;q", "h", "/p;q"},
		{"http://[v1.x]/", "[v1.x]", "/"},
	} {
		netloc, path, err := splitURL(c[0])
		if err != nil || netloc != c[1] || path != c[2] {
			t.Errorf("splitURL(%q) = %q, %q, %v; want %q, %q", c[0], netloc, path, err, c[1], c[2])
		}
	}
	for _, bad := range []string{"http://[::1/x", "http://::1]/x", "http://[1.2.3.4]/", "http://[vz.x]/", "http://[zz]/"} {
		if _, _, err := splitURL(bad); err == nil {
			t.Errorf("splitURL(%q) accepted", bad)
		}
	}
}

func TestAllowlist(t *testing.T) {
	al, err := ParseAllowlist([]byte(`{
		"download.mozilla.org": ["Firefox", "Fennec"],
		"a.com:8080": ["P"],
		"www.google.com": {"/dl/release2/chrome_component/[\\w\\.]+/[\\w\\.]+\\.crx3": ["Widevine"], "/other/.*": ["X"], "/dl/.*": ["Y"]},
		"u.com": {"/\\w+": ["U"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		url, product string
		want         bool
	}{
		{"http://download.mozilla.org/?product=x", "Firefox", true},
		{"https://download.mozilla.org/x", "Fennec", true},
		{"http://download.mozilla.org/x", "Thunderbird", false},
		{"http://DOWNLOAD.mozilla.org/x", "Firefox", false},
		{"http://download.mozilla.org:80/x", "Firefox", false},
		{"http://a.com:8080/x", "P", true},
		{"http://a.com/x", "P", false},
		{"https://www.google.com/dl/release2/chrome_component/abc_1.2/x.y.crx3", "Widevine", true},
		{"https://www.google.com/dl/release2/chrome_component/abc_1.2/x.y.crx3", "Y", false}, // first match decides
		{"https://www.google.com/dl/release2/chrome_component/abc/x.crx3x", "Widevine", false},
		{"https://www.google.com/dl/x", "Y", true},
		{"https://www.google.com/nothing", "Y", false},
		{"http://u.com/é1", "U", true}, // \w is Unicode-aware
		{"http://u.com/a-b", "U", false},
		{"http://evil.com/x", "Firefox", false},
	} {
		got, err := al.Allowed(c.url, c.product)
		if err != nil || got != c.want {
			t.Errorf("Allowed(%q, %q) = %v, %v", c.url, c.product, got, err)
		}
	}
	var nilList *Allowlist
	if ok, err := nilList.Allowed("http://a.com/", "x"); ok || err != nil {
		t.Error("nil allowlist allowed a URL")
	}
	if _, err := NewAllowlist([]AllowlistHost{{Host: "h", Paths: []AllowlistPath{{Pattern: "(?=x)"}}}}); err == nil {
		t.Error("look-ahead compiled")
	}
	for _, bad := range []string{`[]`, `{"h": "x"}`, `{"h": [1]}`, `{"h": {"/x": "P"}}`} {
		if _, err := ParseAllowlist([]byte(bad)); err == nil {
			t.Errorf("allowlist %s accepted", bad)
		}
	}
	if !(ForceHosts{"http://a.com"}).Match("http://a.com.evil/x") || (ForceHosts{}).Match("x") {
		t.Error("ForceHosts.Match is not a plain prefix test")
	}
}

// TestEscapeAmpersands compares the in-place escaping with a regexp
// rewrite of the reference's re.sub("&(?!amp;)", "&amp;", …).
func TestEscapeAmpersands(t *testing.T) {
	reference := func(s string) string {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			if s[i] == '&' && !strings.HasPrefix(s[i:], "&amp;") {
				b.WriteString("&amp;")
				continue
			}
			b.WriteByte(s[i])
		}
		return b.String()
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"&", "a", "m", "p", ";", "&amp;", "&lt;", "x", "\n"}
	for i := 0; i < 5000; i++ {
		var b strings.Builder
		for n := rng.IntN(12); n > 0; n-- {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		s := b.String()
		got := string(escapeAmpersands(append([]byte("&pre"), s...), 4))
		if got != "&pre"+reference(s) {
			t.Fatalf("escape(%q) = %q, want %q", s, got[4:], reference(s))
		}
	}
	if got := string(escapeAmpersands([]byte("a&b&amp;c&lt;"), 0)); got != "a&amp;b&amp;c&amp;lt;" {
		t.Errorf("got %q", got)
	}
}

func TestCompact(t *testing.T) {
	for in, want := range map[string]string{
		"a\n    b":      "ab",
		"     x":        " x",
		"  \n  y":       "y",
		"        z    ": "z",
		"no change":     "no change",
	} {
		if got := string(compact([]byte("##"+in), 2)); got != "##"+want {
			t.Errorf("compact(%q) = %q, want %q", in, got[2:], want)
		}
	}
}

func TestReplaceChain(t *testing.T) {
	r := newRenderer(nil)
	steps := []repl{{"%A%", "%B%"}, {"%B%", "b"}, {"x", ""}}
	out, changed := r.replaceChain("x%A%-%B%x", steps)
	if !changed || string(out) != "b-b" {
		t.Errorf("got %q %v", out, changed)
	}
	if _, changed := r.replaceChain("plain", steps); changed {
		t.Error("changed without placeholders")
	}
}

func TestMatchers(t *testing.T) {
	for _, c := range []struct {
		rule, channel string
		want          bool
	}{
		{"release", "release", true}, {"release", "release-cck-yahoo", true}, {"release", "releasetest", false},
		{"release*", "release", true}, {"release*", "releasetest-cck-blah", true}, {"release-cck-yahoo", "release-cck-yahoo", true},
		{"release-cck-yahoo", "release-cck-other", false}, {"beta*", "release-cck-beta", false}, {"*", "x", false},
		{"a*", "ab", false}, {"ab*", "ab", true}, {"ab*", "abc\nd", false}, {"ab*", "abc\n", true},
	} {
		if got := matchChannel(c.rule, c.channel); got != c.want {
			t.Errorf("matchChannel(%q, %q) = %v", c.rule, c.channel, got)
		}
	}
	for _, c := range []struct {
		rule, version string
		want          bool
		err           bool
	}{
		{">=4.0b1", "4.0", true, false}, {">=4.0b1", "3.0", false, false}, {"3.0.1,3.0.2,3.0b3", "3.0.2", true, false},
		{"2.0.1,2.0.2", "2.0", false, false}, {"<3.6.8", "3.6.7", true, false}, {"<=3.6.8", "3.6.8", true, false},
		{">3.6.9", "3.6.10", true, false}, {"78.8.*", "78.8.1", true, false}, {"78.8.*", "78.9.0", false, false},
		{"80.*", "80.0a1", true, false}, {"3.6.*", "3.6.1", false, true}, {"=1.0", "1.0", false, true},
		{">=56.0!!", "56.0", true, false}, {"<31.0", "30.0", true, false}, {"0.5", "0.5.0", true, false},
	} {
		got, err := matchVersionList(c.rule, c.version)
		if got != c.want || (err != nil) != c.err {
			t.Errorf("matchVersionList(%q, %q) = %v, %v", c.rule, c.version, got, err)
		}
	}
	for _, c := range []struct {
		rule, bid string
		want      bool
	}{
		{"<20", "9", false}, {"<20", "10", true}, {"12345", "12345", true}, {">=5", "5", true}, {"1*", "1*", true}, {"1*", "12", false},
	} {
		if got, err := matchBuildID(c.rule, c.bid); got != c.want || err != nil {
			t.Errorf("matchBuildID(%q, %q) = %v, %v", c.rule, c.bid, got, err)
		}
	}
}

func TestCompilePythonRegexp(t *testing.T) {
	for _, c := range []struct {
		pattern, s string
		want       bool
	}{
		{`a|b`, "a", true}, {`a|b`, "ab", false}, {`[\w.]+`, "a.é", true}, {`\d+`, "١٢", true},
		{`x\Z`, "x", true}, {`[]a]+`, "]a", true}, {`[^]a]`, "b", true}, {`\W`, "-", true}, {`\\w`, `\w`, true},
	} {
		re, err := compilePythonRegexp(c.pattern)
		if err != nil {
			t.Fatalf("%q: %v", c.pattern, err)
		}
		if got := re.MatchString(c.s); got != c.want {
			t.Errorf("fullmatch(%q, %q) = %v (%s)", c.pattern, c.s, got, re)
		}
	}
}
