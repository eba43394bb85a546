package rules

import (
	"errors"
	"strings"
	"testing"
)

// baseRule is the rule of §14 C27: priority 90, mapping b1, product b.
func baseRule() Rule {
	return Rule{RuleID: 1, Priority: ptr(90), Mapping: ptr("b1"), BackgroundRate: ptr(100), UpdateType: "minor", Product: ptr("b"), DataVersion: 1}
}

// u3For is the C27 request with a channel and version substituted.
func u3For(channel, version string) string {
	return "/update/3/b/" + version + "/1/p/l/" + channel + "/a/a/a/update.xml"
}

// selects evaluates a one-rule index for target and reports whether the
// rule was selected.
func selects(t *testing.T, r Rule, target, ua string) (bool, error) {
	t.Helper()
	q := mustQuery(t, target, ua)
	d, err := NewIndex([]Rule{r}, nil, nil).Evaluate(q, func() int { t.Fatal("dice rolled"); return 0 })
	return d.Rule != nil, err
}

type matchCase struct {
	rule   string // the column value
	target string
	want   bool
}

// runColumn checks a table of rule values for one column.
func runColumn(t *testing.T, set func(*Rule, string), cases []matchCase) {
	t.Helper()
	for _, c := range cases {
		r := baseRule()
		set(&r, c.rule)
		got, err := selects(t, r, c.target, "")
		if err != nil || got != c.want {
			t.Errorf("rule %q, request %s: matched %v (err %v), want %v", c.rule, c.target, got, err, c.want)
		}
	}
}

func TestChannelMatcher(t *testing.T) {
	runColumn(t, func(r *Rule, v string) { r.Channel = &v }, []matchCase{
		{"release", u3For("release", "0.5"), true},
		{"release", u3For("release-cck-yahoo", "0.5"), true},
		{"release", u3For("releasetest", "0.5"), false},
		{"release*", u3For("release", "0.5"), true},
		{"release*", u3For("releasetest", "0.5"), true},
		{"release*", u3For("release-localtest", "0.5"), true},
		{"release*", u3For("releasetest-cck-blah", "0.5"), true},
		{"release-cck-yahoo", u3For("release-cck-yahoo", "0.5"), true},
		{"release-cck-yahoo", u3For("release-cck-other", "0.5"), false},
		{"release-cck-yahoo", u3For("release", "0.5"), false},
		{"beta*", u3For("release-cck-beta", "0.5"), false},
		{"*", u3For("release", "0.5"), false},
		{"a*", u3For("ab", "0.5"), false},
		{"ab*", u3For("ab", "0.5"), true},
		{"ab*", u3For("a", "0.5"), false},
		{"-cck-*", u3For("-cck-x", "0.5"), true},
		{"", u3For("-cck-x", "0.5"), true}, // the fallback channel is ""
		{"rel.ase*", u3For("release", "0.5"), false},
		{"rel*ase*", u3For("rel*ase", "0.5"), true},
		{"release*", u3For("release%0Ax", "0.5"), false},
		{"release*", u3For("releasex%0A", "0.5"), true},
		{"Release", u3For("release", "0.5"), false},
	})
}

func TestVersionMatcher(t *testing.T) {
	runColumn(t, func(r *Rule, v string) { r.Version = &v }, []matchCase{
		{">=4.0b1", u3For("c", "4.0"), true},
		{">=4.0b1", u3For("c", "4.0b2"), true},
		{">=4.0b1", u3For("c", "4.0.1"), true},
		{">=4.0b1", u3For("c", "3.0"), false},
		{"3.0.1,3.0.2,3.0b3", u3For("c", "3.0.1"), true},
		{"3.0.1,3.0.2,3.0b3", u3For("c", "3.0.2"), true},
		{"3.0.1,3.0.2,3.0b3", u3For("c", "3.0b3"), true},
		{"3.0.1,3.0.2,3.0b3", u3For("c", "3.0"), false},
		{"2.0.1,2.0.2,2.0.3", u3For("c", "2.0"), false},
		{"<3.6.8", u3For("c", "3.6.7"), true},
		{"<3.6.8", u3For("c", "3.6.8"), false},
		{"<=3.6.8", u3For("c", "3.6.8"), true},
		{">3.6.9", u3For("c", "3.6.10"), true},
		{">3.6.9", u3For("c", "3.6.9"), false},
		{"78.8.*", u3For("c", "78.8.0"), true},
		{"78.8.*", u3For("c", "78.8.1"), true},
		{"78.8.*", u3For("c", "78.9.0"), false},
		{"99.8.*", u3For("c", "99.8.1"), true},
		{"99.8.*", u3For("c", "99.9.0"), false},
		{"67.*", u3For("c", "67.0a1"), true},
		{"0.5", u3For("c", "0.5.0"), true},
		{"3.6", u3For("c", "3.6.0"), true},
		{">=56.0!!", u3For("c", "56.0"), true},
		{"<56.0", u3For("c", "54.0.1"), true},
		{"<56.0", u3For("c", "1.5.0.12"), true},
		// An unknown operator never matches (the reference crashes, free).
		{"=1.0", u3For("c", "1.0"), false},
		{" 1.0", u3For("c", "1.0"), false},
		{"", u3For("c", "1.0"), false},
		{"=1.0,1.0", u3For("c", "1.0"), true},
		// A glob query version is compared with the reference's semantics.
		{"67.0", u3For("c", "67.*"), true},
		{">=66.0", u3For("c", "67.*"), true},
		// An earlier matching piece hides a later unparsable one.
		{"67.0,3.6.*", u3For("c", "67.0"), true},
	})
}

func TestVersionMatcherErrors(t *testing.T) {
	tests := []struct {
		rule, version, message string
	}{
		{"3.6.*", "3.6.1", "Version number 3.6.* is invalid."},
		{"<80.*", "80.1", "Version number <80.* is invalid."},
		{">=60.0b3", "61.0", "Version number 60.0b3 is invalid."},
		{"<56.0", "1.0.x", "Version number 1.0.x is invalid."},
		{"3.6.*", "1.0.x", "Version number 1.0.x is invalid."}, // the query version is parsed first
		{"66.0,3.6.*", "67.0", "Version number 3.6.* is invalid."},
	}
	for _, tt := range tests {
		r := baseRule()
		r.Version = &tt.rule
		_, err := selects(t, r, u3For("c", tt.version), "")
		var bad *BadInputError
		if !errors.As(err, &bad) || bad.Message != tt.message {
			t.Errorf("rule %q, version %q: err %v, want %q", tt.rule, tt.version, err, tt.message)
		}
	}
	// Lazy (Q2): no error when no rule reaches the version matcher.
	r := baseRule()
	if ok, err := selects(t, r, u3For("c", "1.0.x"), ""); !ok || err != nil {
		t.Errorf("rule without version: %v %v", ok, err)
	}
	r.Version, r.Channel = ptr("<2.0"), ptr("other")
	if ok, err := selects(t, r, u3For("c", "1.0.x"), ""); ok || err != nil {
		t.Errorf("rule on another channel: %v %v", ok, err)
	}
	r.Channel, r.Version = nil, ptr("3.6.*")
	if ok, err := selects(t, r, "/update/3/other/3.6.1/1/p/l/c/a/a/a/update.xml", ""); ok || err != nil {
		t.Errorf("rule of another product: %v %v", ok, err)
	}
}

func TestLooseVersionMatcher(t *testing.T) {
	g := func(version string) string {
		return "/json/1/Guardian/" + version + "/WINNT_x86_64/release/update.json"
	}
	set := func(r *Rule, v string) { r.Product, r.Version = ptr("Guardian"), &v }
	runColumn(t, set, []matchCase{
		{"<0.5.0.0", g("0.4.0.0"), true},
		{"<0.5.0.0", g("0.5.0.0"), false},
		{"<1.0.0.0", g("0.9.0.0"), true},
		{"1.0", g("1.0"), true},
		{"1.0", g("1.0.0"), false},
		{">=1.0b2", g("1.0b3"), true},
	})
	r := baseRule()
	set(&r, "<1.0.0.0")
	if _, err := selects(t, r, g("abc"), ""); !errors.Is(err, ErrLooseVersionMixed) {
		t.Errorf("Guardian abc: err %v", err)
	}
	// FirefoxVPN uses LooseVersion too; others use MozillaVersion.
	r.Product = ptr("FirefoxVPN")
	if ok, err := selects(t, r, "/json/1/FirefoxVPN/0.9.0.0/WINNT_x86_64/release/update.json", ""); !ok || err != nil {
		t.Errorf("FirefoxVPN: %v %v", ok, err)
	}
}

func TestBuildIDMatcher(t *testing.T) {
	u := func(buildID string) string { return "/update/3/b/0.5/" + buildID + "/p/l/c/a/a/a/update.xml" }
	j := "/json/1/b/0.5/p/c/update.json"
	runColumn(t, func(r *Rule, v string) { r.BuildID = &v }, []matchCase{
		{"<20", u("9"), false}, // string comparison
		{"<20", u("10"), true},
		{"20190101", u("20190101"), true},
		{">=20190101000000", u("20190311211048"), true},
		{"<20180101000000", u("20190311211048"), false},
		{"2019*", u("20190101"), false},
		{"2019*", u("2019*"), true},
		{"=1", u("1"), false},
		// JSON routes have no buildID: "" sorts first.
		{"<20190101", j, true},
		{"<=20190101", j, true},
		{">20190101", j, false},
		{">=20190101", j, false},
		{"20190101", j, false},
	})
}

func TestMemoryMatcher(t *testing.T) {
	u6 := func(caps string) string { return "/update/6/b/0.5/1/p/l/c/o/" + caps + "/d/dv/update.xml" }
	runColumn(t, func(r *Rule, v string) { r.Memory = &v }, []matchCase{
		{"<=8000", u6("ISET:SSE2,MEM:8000"), true},
		{"<=8000", u6("ISET:SSE2,MEM:1500"), true},
		{"<=8000", u6("ISET:SSE2,MEM:8001"), false},
		{"9000", u6("ISET:SSE2,MEM:9000"), true},
		{"9000", u6("ISET:SSE2,MEM:9001"), false},
		{">10000", u6("ISET:SSE2,MEM:11000"), true},
		{"<2048", u6("SSE2,1024"), true},
		{"<2048", u6("SSE2,4096"), false},
		// No memory reported: the rule still matches.
		{"<2048", u6("ISET:SSE2"), true},
		{"<2048", u6("ISET:SSE2,MEM:8.1023"), true},
		{"<2048", u6("SSE2"), true},
		{"<2048", u3For("c", "0.5"), true},
		// Operands that are not integers never match (free).
		{"8000*", u6("ISET:SSE2,MEM:8000"), false},
		{"<8.5", u6("ISET:SSE2,MEM:8"), false},
		{"=8", u6("ISET:SSE2,MEM:8"), false},
		{"8000 ", u6("ISET:SSE2,MEM:8000"), true},
	})
}

func TestOSVersionMatcher(t *testing.T) {
	u := func(os string) string { return "/update/3/b/0.5/1/p/l/c/" + os + "/a/a/update.xml" }
	win := u("Windows_NT%206.1.0.0%20(x86)")
	runColumn(t, func(r *Rule, v string) { r.OSVersion = &v }, []matchCase{
		{"Windows_NT 6.1", win, true},
		{"Windows_NT 5.1,Windows_NT 6.1 && (x86)", win, true},
		{"Windows && (websense-", win, false},
		{"Darwin 6,Darwin 7,", win, true}, // the empty alternative matches everything
		{"foo 1", u("foo%201.2.3"), true},
		{"foo 1", u("bbb,foo%201.2.3"), true},
		{"foo 2,blah 6,bar && baz", u("bar%201.3%20baz%202.3"), true},
		{"windows_nt", win, false},
		{"Windows_NT 6.1", "/update/1/b/0.5/1/p/l/c/update.xml", false},
		{"", "/update/1/b/0.5/1/p/l/c/update.xml", true},
		{"Windows_NT 6.1", "/json/1/b/0.5/p/c/update.json", false},
	})
}

func TestListMatchers(t *testing.T) {
	loc := func(l string) string { return "/update/3/b/0.5/1/p/" + l + "/c/a/a/a/update.xml" }
	runColumn(t, func(r *Rule, v string) { r.Locale = &v }, []matchCase{
		{"foo,bar-baz", loc("foo"), true},
		{"foo,bar-baz", loc("bar"), false},
		{"foo,bar-baz", loc("bar-baz"), true},
		{"en-US,l", loc("l"), true},
		{"en-US, l", loc("l"), false}, // no trimming
		{"", "/json/1/b/0.5/p/c/update.json", true},
	})
	dist := func(d string) string { return "/update/3/b/0.5/1/p/l/c/o/" + d + "/dv/update.xml" }
	runColumn(t, func(r *Rule, v string) { r.Distribution = &v }, []matchCase{
		{"mozilla1,mozilla2,mozilla3", dist("mozilla2"), true},
		{"mozilla1,mozilla2,mozilla3", dist("zilla"), false},
		{"mozilla1,mozilla2,mozilla3", dist("notinlist"), false},
		{"default", "/update/2/b/0.5/1/p/l/c/o/update.xml", false},
		{"default", "/update/1/b/0.5/1/p/l/c/update.xml", false},
	})
	u6 := func(caps string) string { return "/update/6/b/0.5/1/p/l/c/o/" + caps + "/d/dv/update.xml" }
	runColumn(t, func(r *Rule, v string) { r.InstructionSet = &v }, []matchCase{
		{"SSE", u6("ISET:SSE2,MEM:100"), false},
		{"MMX,SSE", u6("ISET:SSE,MEM:100"), true},
		{"SSE,MMX", u6("SSE"), true},
		{"SSE", u6("SSE,1,2"), false}, // null instructionSet
		{"", u6("SSE,1,2"), false},
		{"", u6("ISET:,MEM:1"), true},
		{"", u3For("c", "0.5"), true}, // absent on U3: ""
		{"SSE", u3For("c", "0.5"), false},
	})
}

func TestBooleanMatchers(t *testing.T) {
	q := map[string]string{
		"false": u3For("c", "0.5") + "?mig64=0",
		"true":  u3For("c", "0.5") + "?mig64=1",
		"null":  u3For("c", "0.5"),
	}
	table := []struct {
		rule          *bool
		f, tr, absent bool
	}{
		{nil, true, true, true},
		{ptr(false), true, false, false},
		{ptr(true), false, true, false},
	}
	for _, row := range table {
		for name, want := range map[string]bool{"false": row.f, "true": row.tr, "null": row.absent} {
			r := baseRule()
			r.Mig64 = row.rule
			if got, _ := selects(t, r, q[name], ""); got != want {
				t.Errorf("mig64 rule %v, query %s: %v, want %v", fmtPtr(row.rule), name, got, want)
			}
			r = baseRule()
			r.Jaws = row.rule
			jaws := map[string]string{"false": "ISET:SSE,JAWS:0", "true": "ISET:SSE,JAWS:1", "null": "ISET:SSE,JAWS:x"}[name]
			if got, _ := selects(t, r, "/update/6/b/0.5/1/p/l/c/o/"+jaws+"/d/dv/update.xml", ""); got != want {
				t.Errorf("jaws rule %v, query %s: %v, want %v", fmtPtr(row.rule), name, got, want)
			}
		}
	}
}

func TestStorageLayerColumns(t *testing.T) {
	darwin := "/update/3/b/0.5/1/Darwin_ppc/l/c/a/a/a/update.xml"
	for _, tt := range []struct {
		arch, ua string
		target   string
		want     bool
	}{
		{"PPC", "PPC", darwin, true},
		{"PPC", "", darwin, false},
		{"Intel", "", darwin, true},
		{"Intel", "", "/json/1/b/0.5/p/c/update.json", false},
		{"ppc", "PPC", darwin, false},
	} {
		r := baseRule()
		r.HeaderArchitecture = &tt.arch
		if got, _ := selects(t, r, tt.target, tt.ua); got != tt.want {
			t.Errorf("headerArchitecture %q UA %q %s: %v", tt.arch, tt.ua, tt.target, got)
		}
	}
	runColumn(t, func(r *Rule, v string) { r.DistVersion = &v }, []matchCase{
		{"1.0", "/update/3/b/0.5/1/p/l/c/a/a/1.0/update.xml", true},
		{"1.0", "/update/3/b/0.5/1/p/l/c/a/a/1.5/update.xml", false},
		{"1.0", "/update/2/b/0.5/1/p/l/c/a/update.xml", false},
		{"1.0", "/json/2/b/0.5/p/c/o/update.json", false},
	})
	runColumn(t, func(r *Rule, v string) { r.BuildTarget = &v }, []matchCase{
		{"p", u3For("c", "0.5"), true},
		{"P", u3For("c", "0.5"), false},
	})
	runColumn(t, func(r *Rule, v string) { r.Product = &v }, []matchCase{
		{"b", u3For("c", "0.5"), true},
		{"B", u3For("c", "0.5"), false},
	})
	r := baseRule()
	r.Product = nil
	if ok, _ := selects(t, r, strings.Replace(u3For("c", "0.5"), "/b/", "/anything/", 1), ""); !ok {
		t.Error("a rule without product must match every product")
	}
}
