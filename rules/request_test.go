package rules

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// parse is ParseUpdateRequest on a request-target ("path?query").
func parse(t *testing.T, target, ua string) (Match, error) {
	t.Helper()
	path, query := target, ""
	for i := 0; i < len(target); i++ {
		if target[i] == '?' {
			path, query = target[:i], target[i+1:]
			break
		}
	}
	return ParseUpdateRequest(path, query, ua)
}

// mustQuery parses target and fails unless it is a valid update route.
func mustQuery(t *testing.T, target, ua string) *Query {
	t.Helper()
	m, err := parse(t, target, ua)
	if err != nil || m.Kind != UpdateRoute || m.Query == nil {
		t.Fatalf("%s: kind %d, err %v", target, m.Kind, err)
	}
	return m.Query
}

const u3 = "/update/3/b/1.0/1/p/l/a/a/a/a/update.xml"

func TestRouteClassification(t *testing.T) {
	tests := []struct {
		target string
		kind   MatchKind
		route  string
	}{
		{"/update/1/b/1.0/1/p/l/c/update.xml", UpdateRoute, "U1"},
		{"/update/2/b/1.0/1/p/l/c/o/update.xml", UpdateRoute, "U2"},
		{u3, UpdateRoute, "U3"},
		{"/update/3/b/1.0esrpre/1/p/l/a/a/a/a/update.xml", UpdateRoute, "U3e"},
		{"/update/3/b/esrpre/1/p/l/a/a/a/a/update.xml", UpdateRoute, "U3"},
		{"/update/4/b/1.0/1/p/l/c/o/d/dv/pv/update.xml", UpdateRoute, "U4"},
		{"/update/5/b/1.0/1/p/l/c/o/d/dv/imei/update.xml", UpdateRoute, "U5"},
		{"/update/6/b/1.0/1/p/l/c/o/SSE/d/dv/update.xml", UpdateRoute, "U6"},
		{"/json/1/Guardian/0.9.0.0/WINNT_x86_64/release/update.json", UpdateRoute, "J1"},
		{"/json/2/Guardian/0.9.0.0/WINNT_x86_64/release/Windows%2010/update.json", UpdateRoute, "J2"},
		// Unknown /update… paths: the empty document without Rule-ID.
		{"/update/whizzybang", OtherUpdatePath, ""},
		{"/update/7/b/1.0/1/p/l/a/a/a/a/update.xml", OtherUpdatePath, ""},
		{"/update/3/b/1.0/1/p/l/a/a/a/update.xml", OtherUpdatePath, ""},
		{"/update/3/b/1.0/1/p/l/a/a/a/a/update.xml/", OtherUpdatePath, ""},
		{"/update/03/b/1.0/1/p/l/a/a/a/a/update.xml", OtherUpdatePath, ""},
		{"/update", OtherUpdatePath, ""},
		{"/updates", OtherUpdatePath, ""},
		{"/update-foo", OtherUpdatePath, ""},
		{"/update/3/b/1.0/1/p/l/a/a/a/a/update.json", OtherUpdatePath, ""},
		// uwsgi turns "%PR" and "%/%" into NUL bytes, eating the slashes.
		{"/update/1/%PRODUCT%/%VERSION%/%BUILD_ID%/%BUILD_TARGET%/%LOCALE%/%CHANNEL%/update.xml", OtherUpdatePath, ""},
		// %2F is decoded before routing.
		{"/update/3/Firefox/66.0/1/p/en-US/release/a%2Fb/default/default/update.xml", OtherUpdatePath, ""},
		{"/update/3/Firefox/64.0/1/p/en-US/release/o///update.xml", OtherUpdatePath, ""},
		{"/update/3/b/./1.0/1/p/l/a/a/a/update.xml", OtherUpdatePath, ""},
		// Dot segments are removed by uwsgi.
		{"/update/3/x/../b/1.0/1/p/l/a/a/a/a/update.xml", UpdateRoute, "U3"},
		{"/%75pdate/3/b/1.0/1/p/l/a/a/a/a/update.xml", UpdateRoute, "U3"},
		{"//update/3/b/1.0/1/p/l/a/a/a/a/update.xml", UpdateRoute, "U3"},
		{u3 + "#frag", UpdateRoute, "U3"},
		{"/update/3//b/1.0/1/p/l/a/a/a/a/update.xml", RedirectSlashes, ""},
		// Anything else is not ours.
		{"/", NotUpdatePath, ""},
		{"/whizzybang", NotUpdatePath, ""},
		{"/api/v1", NotUpdatePath, ""},
		{"/api/v1/rules/", NotUpdatePath, ""},
		{"/UPDATE/3/Firefox/66.0/1/p/l/release/a/a/a/update.xml", NotUpdatePath, ""},
		{"/json/1/Guardian/0.9.0.0/WINNT_x86_64/release/update.xml", NotUpdatePath, ""},
		{"/json/1/Guardian/0.9.0.0/WINNT_x86_64/update.json", NotUpdatePath, ""},
		{"/json/3/Guardian/0.9.0.0/WINNT_x86_64/release/update.json", NotUpdatePath, ""},
		{"/__lbheartbeat__", NotUpdatePath, ""},
		{"", NotUpdatePath, ""},
	}
	for _, tt := range tests {
		m, err := parse(t, tt.target, "")
		if err != nil || m.Kind != tt.kind || m.RouteName != tt.route {
			t.Errorf("%q: kind %d route %q err %v; want kind %d route %q", tt.target, m.Kind, m.RouteName, err, tt.kind, tt.route)
		}
	}
	if m, _ := parse(t, "/update/3//b/1.0/1/p/l/a/a/a/a/update.xml", ""); m.Path != u3 {
		t.Errorf("redirect path %q", m.Path)
	}
}

func TestQueryValidation(t *testing.T) {
	tests := []struct {
		target string
		bad    bool
	}{
		{u3 + "?foo=1", true},
		{u3 + "?force=1&foo=2", true},
		{u3 + "?FORCE=1", true},
		{u3 + "?=1", true},
		{u3 + "?%C3%A9=1", true},
		{u3 + "?%ZZ=1", true},
		{u3 + "?pin=", true},
		{u3 + "?pin", true},
		{u3 + "?pin=2", false}, // malformed pins fail later, when needed
		{u3 + "?pin=1.&pin=", true},
		{"/update/2/b/1.0/1/p/l/a/a/update.xml?pin=1.", true},
		{"/update/1/b/1.0/1/p/l/c/update.xml?pin=1.", false},
		{"/json/1/Guardian/0.9.0.0/WINNT_x86_64/release/update.json?pin=1.", true},
		{"/json/1/Guardian/0.9.0.0/WINNT_x86_64/release/update.json?foo=1", true},
		{"/json/1/Guardian/0.9.0.0/WINNT_x86_64/release/update.json?avast=1", true},
		{"/json/1/Guardian/0.9.0.0/WINNT_x86_64/release/update.json?force=1", false},
		{u3 + "?&", false},
		{u3 + "?force", false},
		{u3 + "?forc%65=1", false},
		{u3 + "?avast=abc&mig64=&force=%ZZ", false},
		// Unknown /update paths are not validated.
		{"/update/whizzybang?foo=1", false},
	}
	for _, tt := range tests {
		_, err := parse(t, tt.target, "")
		var v *QueryValidationError
		if tt.bad != errors.As(err, &v) || (!tt.bad && err != nil) {
			t.Errorf("%q: err = %v, want validation error %v", tt.target, err, tt.bad)
		}
	}
}

func TestForceAndAvast(t *testing.T) {
	tests := []struct {
		query string
		force Force
		avast *int
	}{
		{"", ForceNone, nil},
		{"force=1", ForceMain, nil},
		{"force=-1", ForceFallback, nil},
		{"force=", ForceNone, nil},
		{"force", ForceNone, nil},
		{"force=0", ForceNone, nil},
		{"force=2", ForceNone, nil},
		{"force=true", ForceNone, nil},
		{"force=1%20", ForceNone, nil},
		{"force=1+", ForceNone, nil},
		{"force=%2B1", ForceNone, nil},
		{"force=%C3%A9", ForceNone, nil},
		{"force=avast", ForceNone, nil},
		{"force=2&force=1", ForceMain, nil},
		{"force=1&force=2", ForceNone, nil},
		{"force=1?avast=1", ForceMain, ptr(1)},
		{"force=1%3Favast=1", ForceMain, ptr(1)},
		{"force=1%3favast=1", ForceMain, ptr(1)},
		{"force=1%253Favast=7", ForceMain, ptr(7)},
		{"force=-1?avast=3", ForceFallback, ptr(3)},
		{"force=1?avast", ForceMain, nil},
		{"force=1?avast=", ForceMain, nil},
		{"force=1?avast=x", ForceMain, nil},
		{"force=1%C3%A9avast=4", ForceMain, ptr(4)}, // é folds to '?'
		{"avast=1", ForceNone, ptr(1)},
		{"avast=abc", ForceNone, nil},
		{"force=1?avast=2&avast=5", ForceMain, ptr(2)},
	}
	for _, tt := range tests {
		q := mustQuery(t, u3+"?"+tt.query, "")
		if q.Force != tt.force || (q.Avast == nil) != (tt.avast == nil) || (q.Avast != nil && *q.Avast != *tt.avast) {
			t.Errorf("%q: force %d avast %v; want %d %v", tt.query, q.Force, q.Avast, tt.force, tt.avast)
		}
	}
	// The fix-up can assign other fields.
	if q := mustQuery(t, u3+"?force=1?memory=4096=avast", ""); q.Force != ForceMain || q.Memory == nil || *q.Memory != 4096 {
		t.Errorf("memory fix-up: %s", dumpQuery(q))
	}
	if q := mustQuery(t, u3+"?force=avast?force=1&mig64=1", ""); q.Force != ForceNone || q.Mig64 == nil || !*q.Mig64 {
		t.Errorf("force fix-up: %s", dumpQuery(q))
	}
	if q := mustQuery(t, u3+"?force=1?mig64=1avast=1&mig64=1", ""); q.Force != ForceMain || q.Mig64 == nil || !*q.Mig64 {
		t.Errorf("unparsable fix-up value: %s", dumpQuery(q))
	}
	if q := mustQuery(t, u3+"?force=1?mig64=1=avast&mig64=1", ""); q.Force != ForceMain || q.Mig64 == nil || *q.Mig64 {
		t.Errorf("mig64 fix-up: %s", dumpQuery(q))
	}
	if q := mustQuery(t, "/update/6/b/1.0/1/p/l/a/a/SSE,99/d/dv/update.xml?force=1?memory=1=avast", ""); *q.Memory != 99 {
		t.Errorf("U6 capabilities must win over the fix-up: %d", *q.Memory)
	}
}

func TestMig64(t *testing.T) {
	tests := []struct {
		query string
		want  *bool
	}{
		{"", nil},
		{"mig64=1", ptr(true)},
		{"mig64=", ptr(false)},
		{"mig64", ptr(false)},
		{"mig64=0", ptr(false)},
		{"mig64=true", ptr(false)},
		{"mig64=1&mig64=0", ptr(false)},
	}
	for _, tt := range tests {
		q := mustQuery(t, u3+"?"+tt.query, "")
		if (q.Mig64 == nil) != (tt.want == nil) || (q.Mig64 != nil && *q.Mig64 != *tt.want) {
			t.Errorf("%q: mig64 %v, want %v", tt.query, q.Mig64, tt.want)
		}
	}
}

func TestQueryFields(t *testing.T) {
	// The example of §3.1.
	q := mustQuery(t, "/update/6/Firefox/54.0.1/20170628075643/WINNT_x86-msvc-x64/en-US/release/Windows_NT%206.1.0.0%20(x86)/ISET:SSE3,MEM:4096,JAWS:0/default/default/update.xml?force=1",
		"Mozilla/5.0 (Windows NT 6.1; rv:54.0) Gecko/20100101 Firefox/54.0.1")
	want := Query{
		Route: RouteXML, QueryVersion: 6, Product: "Firefox", Version: "54.0.1", BuildID: ptr("20170628075643"),
		BuildTarget: "WINNT_x86-msvc-x64", Locale: ptr("en-US"), Channel: "release", OSVersion: ptr("Windows_NT 6.1.0.0 (x86)"),
		Distribution: ptr("default"), DistVersion: ptr("default"), InstructionSet: ptr("SSE3"), Memory: ptr(4096), Jaws: ptr(false),
		HasSystemCapabilities: true, HeaderArchitecture: "Intel", Force: ForceMain,
	}
	if got, exp := dumpQuery(q), dumpQuery(&want); got != exp {
		t.Errorf("§3.1 example:\n got %s\nwant %s", got, exp)
	}

	// U1: osVersion is "" and there is no distribution.
	q = mustQuery(t, "/update/1/b/1.0/1/p/l/c/update.xml", "")
	if q.OSVersion == nil || *q.OSVersion != "" || q.Distribution != nil || q.DistVersion != nil || q.QueryVersion != 1 {
		t.Errorf("U1: %s", dumpQuery(q))
	}
	// U2 has an osVersion but no distribution.
	q = mustQuery(t, "/update/2/b/1.0/1/p/l/c/Windows_NT%205.1/update.xml", "")
	if *q.OSVersion != "Windows_NT 5.1" || q.Distribution != nil {
		t.Errorf("U2: %s", dumpQuery(q))
	}
	// U4 and U5 keep platformVersion and IMEI.
	q = mustQuery(t, "/update/4/b/1.0/1/p/l/c/o/d/dv/66.0/update.xml", "")
	if *q.PlatformVersion != "66.0" || q.IMEI != nil {
		t.Errorf("U4: %s", dumpQuery(q))
	}
	q = mustQuery(t, "/update/5/b/1.0/1/p/l/c/o/d/dv/123456789/update.xml", "")
	if *q.IMEI != "123456789" || q.PlatformVersion != nil {
		t.Errorf("U5: %s", dumpQuery(q))
	}
	// esrpre: only the last suffix goes, and only on /update/3.
	for target, version := range map[string]string{
		"/update/3/b/10.0.5esrpre/1/p/l/a/a/a/a/update.xml":     "10.0.5",
		"/update/3/b/60.0esrpreesrpre/1/p/l/a/a/a/a/update.xml": "60.0esrpre",
		"/update/3/b/esrpre/1/p/l/a/a/a/a/update.xml":           "esrpre",
		"/update/4/b/52.0esrpre/1/p/l/a/a/a/a/pv/update.xml":    "52.0esrpre",
	} {
		if q := mustQuery(t, target, ""); q.Version != version {
			t.Errorf("%s: version %q, want %q", target, q.Version, version)
		}
	}
	// Percent-decoding keeps '+', ASCII folding turns code points into '?'.
	q = mustQuery(t, "/update/3/b/1.0+1/1/p/l%C3%83/rel%C3%A9ase/Windows_NT%206.1%C3%A9/acer%C3%A9/a/update.xml", "")
	if q.Version != "1.0+1" || *q.Locale != "l?" || q.Channel != "rel?ase" || *q.OSVersion != "Windows_NT 6.1?" || *q.Distribution != "acer?" {
		t.Errorf("folding: %s", dumpQuery(q))
	}
	// Invalid UTF-8 becomes one '?' per maximal ill-formed subpart.
	q = mustQuery(t, "/update/3/b/1.0/1/p/%E2%82x%FF%ED%A0%80/c/a/a/a/update.xml", "")
	if *q.Locale != "?x????" {
		t.Errorf("invalid UTF-8 locale %q", *q.Locale)
	}
	// The avast locale fix-up.
	for in, out := range map[string]string{"x86%20de": "de", "xh": "xh", "x86%20x86%20de": "de", "ax86%20": "a"} {
		if q := mustQuery(t, "/update/3/b/1.0/1/p/"+in+"/c/a/a/a/update.xml", ""); *q.Locale != out {
			t.Errorf("locale %s → %q, want %q", in, *q.Locale, out)
		}
	}
	// The query version comes from the last /update/N/ of the URL.
	q = mustQuery(t, "/update/3/update/1/1/p/l/c/os/d/dv/update.xml", "")
	if q.QueryVersion != 1 || *q.OSVersion != "" || q.Product != "update" {
		t.Errorf("query version: %s", dumpQuery(q))
	}
}

func TestHeaderArchitecture(t *testing.T) {
	tests := []struct {
		target, ua, want string
	}{
		{"Darwin_ppc-gcc3", "Mozilla/5.0 (Macintosh; U; PPC Mac OS X 10.4)", "PPC"},
		{"Darwin_x86-gcc3", "PPC", "PPC"},
		{"Darwin_ppc-gcc3", "", "Intel"},
		{"Darwin_ppc-gcc3", "ppc", "Intel"},
		{"darwin_ppc-gcc3", "PPC", "Intel"},
		{"WINNT_x86-msvc", "PPC", "Intel"},
	}
	for _, tt := range tests {
		q := mustQuery(t, "/update/3/b/1.0/1/"+tt.target+"/l/c/a/a/a/update.xml", tt.ua)
		if q.HeaderArchitecture != tt.want {
			t.Errorf("%s %q: %s, want %s", tt.target, tt.ua, q.HeaderArchitecture, tt.want)
		}
	}
	if q := mustQuery(t, "/json/1/Guardian/1.0/Darwin_ppc/release/update.json", "PPC"); q.HeaderArchitecture != "" {
		t.Errorf("JSON headerArchitecture %q", q.HeaderArchitecture)
	}
}

func TestSystemCapabilities(t *testing.T) {
	tests := []struct {
		caps   string
		iset   *string
		memory *int
		jaws   *bool
	}{
		{"SSE3", ptr("SSE3"), nil, nil},
		{"SSE3,8095", ptr("SSE3"), ptr(8095), nil},
		{"ISET:SSE2,MEM:6321", ptr("SSE2"), ptr(6321), nil},
		{"ISET:SSE2,MEM:6321,JAWS:1", ptr("SSE2"), ptr(6321), ptr(true)},
		{"ISET:SSE3,MEM:8096,JAWS:0", ptr("SSE3"), ptr(8096), ptr(false)},
		{"NA", ptr("NA"), nil, nil},
		{"ISET:SSE2,MEM:8.1023", ptr("SSE2"), nil, nil},
		{"ISET:SSE2,MEM:-nan(ind)", ptr("SSE2"), nil, nil},
		{"ISET:SSE3,MEM:6721,PROC:Intel", ptr("SSE3"), ptr(6721), nil},
		{"ISET:SSE4_2,MEM:32768,(select*from(select(sleep(20)))a)", ptr("SSE4_2"), ptr(32768), nil},
		{"ISET:SSE3,MEM:16268,JAWS:0'\"garbage", ptr("SSE3"), ptr(16268), nil},
		{"JAWS:1", ptr("JAWS:1"), nil, nil},
		{"a", ptr("a"), nil, nil},
		{"SSE,1,2", nil, nil, nil},
		// Python int(): whitespace, sign and digit separators.
		{"ISET:SSE2,MEM:%201_024%20,JAWS:-2", ptr("SSE2"), ptr(1024), ptr(true)},
		{"ISET:SSE2,MEM:1__0", ptr("SSE2"), nil, nil},
		{"ISET:,MEM:+5", ptr(""), ptr(5), nil},
		{"ISET:A,ISET:B,MEM:1,MEM:x", ptr("B"), nil, nil},
		{"ISET:SSE%C3%A9", ptr("SSEé"), nil, nil}, // not folded
		{"SSE,x", ptr("SSE"), nil, nil},
		{"ISETX:SSE", ptr("ISETX:SSE"), nil, nil},
	}
	for _, tt := range tests {
		q := mustQuery(t, "/update/6/b/1.0/1/p/l/c/o/"+tt.caps+"/d/dv/update.xml", "")
		if !eqPtr(q.InstructionSet, tt.iset) || !eqPtr(q.Memory, tt.memory) || !eqPtr(q.Jaws, tt.jaws) || !q.HasSystemCapabilities {
			t.Errorf("%s: %s", tt.caps, dumpQuery(q))
		}
	}
}

func TestJSONQuery(t *testing.T) {
	q := mustQuery(t, "/json/2/Guardian/0.9.0.0/WINNT_x86_64/rel%C3%A9ase/Windows%2010/update.json?force=-1", "PPC")
	want := Query{Route: RouteJSON, QueryVersion: 2, Product: "Guardian", Version: "0.9.0.0", BuildTarget: "WINNT_x86_64",
		Channel: "reléase", OSVersion: ptr("Windows 10"), Force: ForceFallback}
	if got, exp := dumpQuery(q), dumpQuery(&want); got != exp {
		t.Errorf("J2:\n got %s\nwant %s", got, exp)
	}
	q = mustQuery(t, "/json/1/Guardian/0.9.0.0/WINNT_x86_64/release/update.json", "")
	if q.OSVersion != nil || q.BuildID != nil || q.Locale != nil || q.Force != ForceNone {
		t.Errorf("J1: %s", dumpQuery(q))
	}
}

func TestDecodePath(t *testing.T) {
	tests := []struct{ in, out string }{
		{"/a/b", "/a/b"},
		{"/a%20b", "/a b"},
		{"/a%2Cb%2cc", "/a,b,c"},
		{"/a%2Fb", "/a/b"},
		{"/a+b", "/a+b"},
		{"/a%%b", "/a%b"},
		{"/a%zzb", "/a\x00b"},
		{"/a%4", "/a"},
		{"/a%", "/a"},
		{"/a#b", "/a"},
		{"/a%4#b", "/a"},
		{"/a/./b", "/a/b"},
		{"/a/../b", "/b"},
		{"/a/b/..", "/a/"},
		{"/a/b/.", "/a/b/"},
		{"/a/.b", "/a/.b"},
		{"/a/..b", "/a/..b"},
		{"/a/", "/a/"},
		{"/a//b", "/a//b"},
		{"/../a", "/a"},
		{"a/b", "a/b"},
		{"/a/%2e%2e/b", "/a/../b"}, // escaped dots are not dot segments
		{"/%C3%A9", "/\xc3\xa9"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := DecodePath(tt.in); got != tt.out {
			t.Errorf("DecodePath(%q) = %q, want %q", tt.in, got, tt.out)
		}
	}
}

// TestDecodePathFastPath checks the unescaping shortcut of DecodePath
// against uwsgi's full state machine.
func TestDecodePathFastPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []string{"/", "%", "2", "F", "f", "z", "#", "+", "a", ".", "%%", "%2F", "%C3%A9"}
	for i := 0; i < 20000; i++ {
		var b strings.Builder
		b.WriteByte('/')
		for n := rng.IntN(12); n > 0; n-- {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		raw := b.String()
		if got, want := DecodePath(raw), decodePathSegments(raw); got != want {
			t.Fatalf("DecodePath(%q) = %q, state machine %q", raw, got, want)
		}
	}
}

func TestPyDecodeReplace(t *testing.T) {
	tests := []struct{ in, out string }{
		{"abc", "abc"},
		{"é", "é"},
		{"\xe2\x82", "\uFFFD"},
		{"\xe2\x82x", "\uFFFDx"},
		{"\xff", "\uFFFD"},
		{"\xed\xa0\x80", "\uFFFD\uFFFD\uFFFD"},
		{"\xf0\x9f\x98", "\uFFFD"},
		{"\xc3", "\uFFFD"},
		{"\xc0\xaf", "\uFFFD\uFFFD"},
		{"\xe0\x80\x80", "\uFFFD\uFFFD\uFFFD"},
		{"\xf4\x90\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD"},
	}
	for _, tt := range tests {
		if got := pyDecodeReplace(tt.in); got != tt.out {
			t.Errorf("pyDecodeReplace(%q) = %q, want %q", tt.in, got, tt.out)
		}
	}
}

func eqPtr[T comparable](a, b *T) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}
