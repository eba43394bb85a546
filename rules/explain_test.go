package rules

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExplainReasons checks the reason of each column's failure.
func TestExplainReasons(t *testing.T) {
	const u6 = "/update/6/Firefox/66.0.5/20190101000000/WINNT_x86-msvc/en-US/release/Windows_NT%2010.0/ISET:SSE3,MEM:8192/default/default/update.xml"
	base := Rule{RuleID: 1, Product: ptr("Firefox"), Channel: ptr("release"), Mapping: ptr("r")}
	with := func(f func(*Rule)) Rule { r := base; f(&r); return r }
	tests := []struct {
		name, target string
		rule         Rule
		want         string
	}{
		{"match", u6, base, "matched"},
		{"version", u6, with(func(r *Rule) { r.Version = ptr("<60.0") }), "version: client 66.0.5 is not <60.0"},
		{"version list", u6, with(func(r *Rule) { r.Version = ptr("50.0,51.0") }), `version: client 66.0.5 matches none of "50.0,51.0"`},
		{"version error", u6, with(func(r *Rule) { r.Version = ptr(">=abc") }), "version: cannot compare: "},
		{"channel", u6, with(func(r *Rule) { r.Channel = ptr("beta") }), `channel: client "release" is not "beta"`},
		{"channel glob", u6, with(func(r *Rule) { r.Channel = ptr("bet*") }), `channel: client "release" does not start with "bet"`},
		{"channel short glob", u6, with(func(r *Rule) { r.Channel = ptr("*") }), `channel: glob "*" is shorter than 3 characters and never matches`},
		{"channel fallback", strings.Replace(u6, "/release/", "/release-cck-x/", 1), with(func(r *Rule) { r.Channel = ptr("beta") }), `channel: client "release-cck-x" (fallback "release") is not "beta"`},
		{"buildTarget", u6, with(func(r *Rule) { r.BuildTarget = ptr("Linux") }), `buildTarget: client "WINNT_x86-msvc" is not "Linux"`},
		{"buildID", u6, with(func(r *Rule) { r.BuildID = ptr("<20180101000000") }), `buildID: client "20190101000000" is not <20180101000000`},
		{"memory", u6, with(func(r *Rule) { r.Memory = ptr("<4096") }), "memory: client 8192 is not <4096"},
		{"osVersion", u6, with(func(r *Rule) { r.OSVersion = ptr("Windows_NT 5.1,Darwin") }), `osVersion: client "Windows_NT 10.0" contains none of the alternatives "Windows_NT 5.1,Darwin"`},
		{"instructionSet", u6, with(func(r *Rule) { r.InstructionSet = ptr("SSE,MMX") }), `instructionSet: client "SSE3" is not one of "SSE,MMX"`},
		{"distribution", u6, with(func(r *Rule) { r.Distribution = ptr("acme") }), `distribution: client "default" is not one of "acme"`},
		{"distVersion", u6, with(func(r *Rule) { r.DistVersion = ptr("2.0") }), `distVersion: client "default" is not "2.0"`},
		{"locale", u6, with(func(r *Rule) { r.Locale = ptr("de,fr") }), `locale: client "en-US" is not one of "de,fr"`},
		{"headerArchitecture", u6, with(func(r *Rule) { r.HeaderArchitecture = ptr("PPC") }), `headerArchitecture: client "Intel" is not "PPC"`},
		{"mig64 absent", u6, with(func(r *Rule) { r.Mig64 = ptr(true) }), "mig64: client sends none, rule needs true"},
		{"mig64", u6 + "?mig64=0", with(func(r *Rule) { r.Mig64 = ptr(true) }), "mig64: client false, rule needs true"},
		{"jaws", u6, with(func(r *Rule) { r.Jaws = ptr(true) }), "jaws: client sends none, rule needs true"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := NewIndex([]Rule{tc.rule}, nil, nil).Explain(mustQuery(t, tc.target, ""))
			if len(tr.Rules) != 1 {
				t.Fatalf("traced %d rules", len(tr.Rules))
			}
			rt := tr.Rules[0]
			if !strings.HasPrefix(rt.Reason, tc.want) || (tc.want == "matched") != rt.Matched {
				t.Errorf("reason %q (matched %v), want %q", rt.Reason, rt.Matched, tc.want)
			}
			if rt.Matched != (rt.Column == nil) || !rt.Matched && !strings.HasPrefix(rt.Reason, *rt.Column+": ") {
				t.Errorf("column %v does not fit reason %q", rt.Column, rt.Reason)
			}
		})
	}
}

// TestGoldenExplain explains every request of testdata/explain.txt against
// testdata/explain_rules.json and compares with testdata/explain.golden
// (-update rewrites it). The chosen rule and the error must be Evaluate's.
func TestGoldenExplain(t *testing.T) {
	var rs []Rule
	loadJSON(t, filepath.Join("testdata", "explain_rules.json"), &rs, false)
	ix := NewIndex(rs, []Shutoff{{Product: "Fennec", Channel: "esr"}}, nil)
	src, err := os.ReadFile(filepath.Join("testdata", "explain.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, line := range strings.Split(string(src), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		q := mustQuery(t, line, "")
		tr := ix.Explain(q)
		d, evalErr := ix.Evaluate(q, func() int { return 0 })
		checkTraceAgrees(t, line, tr, d, evalErr)
		fmt.Fprintf(&out, "%s\n", line)
		if tr.Shutoff != nil {
			fmt.Fprintf(&out, "  shutoff: %s/%s\n", tr.Shutoff.Product, tr.Shutoff.Channel)
		}
		for _, rt := range tr.Rules {
			prio := "null"
			if rt.Priority != nil {
				prio = fmt.Sprint(*rt.Priority)
			}
			fmt.Fprintf(&out, "  rule %d (priority %s): %s\n", rt.RuleID, prio, rt.Reason)
		}
		fmt.Fprintf(&out, "  chosen: %d\n", tr.RuleID)
		if tr.TieBreak != "" {
			fmt.Fprintf(&out, "  tie-break: %s\n", tr.TieBreak)
		}
		if tr.Err != nil {
			fmt.Fprintf(&out, "  error: %v\n", tr.Err)
		}
	}
	checkGolden(t, "explain.golden", out.String())
}

// checkTraceAgrees fails when tr disagrees with Evaluate's d and err.
func checkTraceAgrees(t *testing.T, name string, tr Trace, d Decision, err error) {
	t.Helper()
	switch {
	case (err == nil) != (tr.Err == nil) || err != nil && err.Error() != tr.Err.Error():
		t.Errorf("%s: trace error %v, Evaluate %v", name, tr.Err, err)
	case d.ShutOff != (tr.Shutoff != nil):
		t.Errorf("%s: trace shutoff %v, Evaluate %v", name, tr.Shutoff, d.ShutOff)
	case d.ShutOff || err != nil:
	case d.Rule == nil && tr.RuleID != 0, d.Rule != nil && d.Rule.RuleID != tr.RuleID:
		t.Errorf("%s: trace chose %d, Evaluate %s", name, tr.RuleID, d.RuleIDHeader())
	}
}

// TestExplainAgreesOnCorpus checks, for every recorded update request, that
// the trace chooses the rule Evaluate chooses and raises the same error.
func TestExplainAgreesOnCorpus(t *testing.T) {
	n := 0
	for _, s := range loadScenarios(t) {
		for _, c := range s.cases {
			rawPath, rawQuery, _ := strings.Cut(c.Path, "?")
			m, err := ParseUpdateRequest(rawPath, rawQuery, c.Headers["User-Agent"])
			if err != nil || m.Kind != UpdateRoute || m.Query == nil {
				continue
			}
			d, evalErr := s.ix.Evaluate(m.Query, func() int { return 0 })
			checkTraceAgrees(t, s.name+"/"+c.ID, s.ix.Explain(m.Query), d, evalErr)
			n++
		}
	}
	if n == 0 {
		t.Fatal("no update requests in the corpus")
	}
}

// TestQueryJSON checks the query's JSON field names and nulls.
func TestQueryJSON(t *testing.T) {
	q := mustQuery(t, "/update/3/Firefox/59.0/2018/WINNT_x86-msvc/en-US/release-cck-x/Windows_NT%2010.0/default/default/update.xml?force=-1", "")
	b, err := json.Marshal(q)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"product": "Firefox", "version": "59.0", "channel": "release-cck-x", "fallbackChannel": "release",
		"force": "fallback", "memory": nil, "queryVersion": 3.0, "route": "update", "headerArchitecture": "Intel"}
	for k, v := range want {
		if got, ok := m[k]; !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, v)
		}
	}
}
