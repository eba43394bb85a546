package rules

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
)

// rule builds a C27-style rule with an id, a priority and a mapping.
func rule(id int, priority *int, mapping string) Rule {
	r := baseRule()
	r.RuleID, r.Priority, r.Mapping = id, priority, ptr(mapping)
	return r
}

func evaluate(t *testing.T, ix *Index, target string, dice func() int) Decision {
	t.Helper()
	d, err := ix.Evaluate(mustQuery(t, target, ""), dice)
	if err != nil {
		t.Fatalf("%s: %v", target, err)
	}
	return d
}

func noDice(t *testing.T) func() int {
	return func() int { t.Fatal("dice rolled"); return 0 }
}

func TestPriorities(t *testing.T) {
	req := u3For("a", "0.5")
	tests := []struct {
		name  string
		rules []Rule
		want  string
	}{
		{"C27 tie: smallest rule_id", []Rule{rule(5, ptr(90), "b2"), rule(3, ptr(90), "b1")}, "3"},
		{"higher priority", []Rule{rule(1, ptr(90), "b1"), rule(2, ptr(91), "b2")}, "2"},
		{"null priority is lowest", []Rule{rule(1, nil, "b1"), rule(2, ptr(-5), "b2")}, "2"},
		{"null priority alone", []Rule{rule(7, nil, "b1")}, "7"},
		{"two null priorities", []Rule{rule(9, nil, "b1"), rule(8, nil, "b2")}, "8"},
		{"no rule", nil, "unknown"},
	}
	for _, tt := range tests {
		d := evaluate(t, NewIndex(tt.rules, nil, nil), req, noDice(t))
		if d.RuleIDHeader() != tt.want {
			t.Errorf("%s: Rule-ID %s, want %s", tt.name, d.RuleIDHeader(), tt.want)
		}
	}
	// The winner is taken over all buckets: product null vs product b,
	// exact channel vs glob vs null channel.
	rs := []Rule{rule(1, ptr(10), "exact"), rule(2, ptr(30), "glob"), rule(3, ptr(20), "any"), rule(4, ptr(40), "noproduct")}
	rs[0].Channel, rs[1].Channel, rs[3].Product = ptr("release"), ptr("rel*"), nil
	ix := NewIndex(rs, nil, nil)
	if d := evaluate(t, ix, u3For("release-cck-x", "0.5"), nil); d.Mapping != "noproduct" {
		t.Errorf("across buckets: %s", d.Mapping)
	}
	if d := evaluate(t, ix, "/update/3/c/0.5/1/p/l/release/a/a/a/update.xml", nil); d.Mapping != "noproduct" {
		t.Errorf("other product: %s", d.Mapping)
	}
}

func TestMappingAndThrottling(t *testing.T) {
	withRate := func(rate *int, fallback *string) *Index {
		r := rule(1, ptr(90), "main")
		r.BackgroundRate, r.FallbackMapping, r.DataVersion = rate, fallback, 4
		return NewIndex([]Rule{r}, nil, nil)
	}
	req := u3For("a", "0.5")
	fixed := func(n int) func() int { return func() int { return n } }
	tests := []struct {
		name     string
		ix       *Index
		query    string
		dice     func() int
		mapping  string
		fallback bool
	}{
		{"rate 100 never rolls", withRate(ptr(100), ptr("fb")), "", noDice(t), "main", false},
		{"null rate is 100", withRate(nil, ptr("fb")), "", noDice(t), "main", false},
		{"rate 25, draw 24", withRate(ptr(25), ptr("fb")), "", fixed(24), "main", false},
		{"rate 25, draw 25", withRate(ptr(25), ptr("fb")), "", fixed(25), "fb", true},
		{"rate 25, draw 25, no fallback", withRate(ptr(25), nil), "", fixed(25), "", false},
		{"rate 25, draw 25, empty fallback", withRate(ptr(25), ptr("")), "", fixed(25), "", false},
		{"rate 0", withRate(ptr(0), ptr("fb")), "", fixed(0), "fb", true},
		{"force=1 bypasses", withRate(ptr(0), ptr("fb")), "?force=1", noDice(t), "main", false},
		{"force=-1 forces fallback", withRate(ptr(99), ptr("fb")), "?force=-1", noDice(t), "fb", true},
		{"force=-1 at rate 100", withRate(ptr(100), ptr("fb")), "?force=-1", noDice(t), "main", false},
		{"force=-1 without fallback", withRate(ptr(50), nil), "?force=-1", noDice(t), "", false},
	}
	for _, tt := range tests {
		d := evaluate(t, tt.ix, req+tt.query, tt.dice)
		if d.Mapping != tt.mapping || d.Fallback != tt.fallback || d.Rule == nil || d.RuleDataVersionHeader() != "4" || d.UpdateType != "minor" {
			t.Errorf("%s: %+v", tt.name, d)
		}
	}
	// A null or empty mapping serves nothing but keeps the rule's metadata.
	for _, m := range []*string{nil, ptr("")} {
		r := rule(6, ptr(90), "")
		r.Mapping = m
		d := evaluate(t, NewIndex([]Rule{r}, nil, nil), req, noDice(t))
		if d.Mapping != "" || d.RuleIDHeader() != "6" {
			t.Errorf("mapping %v: %+v", m, d)
		}
	}
	// The default dice is math/rand: rate 50 gives both outcomes.
	seen := map[string]bool{}
	ix := withRate(ptr(50), ptr("fb"))
	for i := 0; i < 200; i++ {
		seen[evaluate(t, ix, req, nil).Mapping] = true
	}
	if !seen["main"] || !seen["fb"] {
		t.Errorf("default dice outcomes: %v", seen)
	}
}

func TestShutoffs(t *testing.T) {
	ix := NewIndex([]Rule{rule(1, ptr(90), "b1")}, []Shutoff{
		{Product: "b", Channel: "release"},
		{Product: "b", Channel: "beta-cck-x"},
	}, nil)
	tests := []struct {
		channel string
		off     bool
	}{
		{"release", true},
		{"release-cck-yahoo", true}, // fallback channel
		{"releasetest", false},
		{"beta-cck-x", true},
		{"beta-cck-y", false},
		{"beta", false},
	}
	for _, tt := range tests {
		if got := ix.ShutOff("b", tt.channel); got != tt.off {
			t.Errorf("ShutOff(b, %s) = %v", tt.channel, got)
		}
		d := evaluate(t, ix, u3For(tt.channel, "0.5"), nil)
		if d.ShutOff != tt.off || (d.Rule == nil) != tt.off || (tt.off && d.RuleIDHeader() != "unknown") {
			t.Errorf("channel %s: %+v", tt.channel, d)
		}
	}
	if ix.ShutOff("c", "release") {
		t.Error("shutoffs are per product")
	}
}

func TestLookupPin(t *testing.T) {
	ix := NewIndex(nil, nil, []Pin{
		{Product: "Firefox", Channel: "release", Version: "102.", Mapping: "Firefox-102.15.0-build1"},
		{Product: "Firefox", Channel: "release", Version: "102.1.", Mapping: "Firefox-102.1.2-build1"},
	})
	tests := []struct {
		channel, pin, mapping string
	}{
		{"release", "102.", "Firefox-102.15.0-build1"},
		{"release", "0102.", "Firefox-102.15.0-build1"},
		{"release-cck-x", "102.01.", "Firefox-102.1.2-build1"},
		{"release", "103.", ""},
		{"beta", "102.", ""},
	}
	for _, tt := range tests {
		p, err := ParsePin(tt.pin)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := ix.LookupPin("Firefox", tt.channel, p)
		if ok != (tt.mapping != "") || got.Mapping != tt.mapping {
			t.Errorf("LookupPin(%s, %s) = %+v, %v", tt.channel, tt.pin, got, ok)
		}
	}
	if _, ok := ix.LookupPin("Thunderbird", "release", PinVersion{}); ok {
		t.Error("zero pin found")
	}
}

// TestC27 replays the rows of public.md §14 C27 (rule selection only).
func TestC27(t *testing.T) {
	with := func(f func(*Rule)) []Rule {
		r := baseRule()
		f(&r)
		return []Rule{r}
	}
	tests := []struct {
		rules  []Rule
		target string
		rid    string
	}{
		{[]Rule{rule(5, ptr(90), "b2"), rule(3, ptr(90), "b1")}, u3For("a", "0.5"), "3"},
		{with(func(r *Rule) { r.Channel = ptr("a*") }), u3For("ab", "0.5"), "unknown"},
		{with(func(r *Rule) { r.Channel = ptr("ab*") }), u3For("ab", "0.5"), "1"},
		{with(func(r *Rule) { r.Version = ptr("0.5") }), u3For("a", "0.5.0"), "1"},
		{with(func(r *Rule) { r.BuildID = ptr("<20") }), "/update/3/b/0.5/9/p/l/a/a/a/a/update.xml", "unknown"},
		{with(func(r *Rule) { r.OSVersion = ptr("Windows_NT 5.1,Windows_NT 6.1 && (x86)") }),
			"/update/6/b/0.5/1/p/l/a/Windows_NT%206.1.0.0%20(x86)/SSE/a/a/update.xml", "1"},
		{with(func(r *Rule) { r.Locale = ptr("en-US,l") }), u3For("a", "0.5"), "1"},
		{with(func(r *Rule) { r.DistVersion = ptr("1.0") }), "/update/3/b/0.5/1/p/l/a/a/a/1.0/update.xml", "1"},
		{with(func(r *Rule) { r.DistVersion = ptr("1.0") }), "/update/2/b/0.5/1/p/l/a/a/update.xml", "unknown"},
		{with(func(r *Rule) { r.InstructionSet = ptr("MMX,SSE") }), "/update/6/b/0.5/1/p/l/a/a/ISET:SSE,MEM:100/a/a/update.xml", "1"},
		{with(func(r *Rule) { r.Product = nil }), u3For("a", "0.5"), "1"},
		{with(func(r *Rule) { r.HeaderArchitecture = ptr("PPC") }), u3For("a", "0.5"), "unknown"},
	}
	for i, tt := range tests {
		d := evaluate(t, NewIndex(tt.rules, nil, nil), tt.target, nil)
		if d.RuleIDHeader() != tt.rid {
			t.Errorf("row %d (%s): Rule-ID %s, want %s", i+1, tt.target, d.RuleIDHeader(), tt.rid)
		}
	}
}

// TestC26RuleErrors covers the rule-level rows of §14 C26.
func TestC26RuleErrors(t *testing.T) {
	r := rule(1, ptr(90), "b1")
	r.Version = ptr("3.6.*")
	_, err := NewIndex([]Rule{r}, nil, nil).Evaluate(mustQuery(t, "/update/3/b/3.6.1/1/p/l/a/a/a/a/update.xml", ""), nil)
	var bad *BadInputError
	if !errors.As(err, &bad) || bad.Message != "Version number 3.6.* is invalid." {
		t.Errorf("3.6.* rule: %v", err)
	}
	// The %PRODUCT% placeholder URL never reaches evaluation (uwsgi eats
	// its slashes), and a literal placeholder product matches no rule.
	d := evaluate(t, NewIndex([]Rule{rule(1, ptr(90), "b1")}, nil, nil), "/update/1/PRODUCT/VERSION/BUILD_ID/BUILD_TARGET/LOCALE/CHANNEL/update.xml", nil)
	if d.Rule != nil {
		t.Errorf("placeholder request matched %+v", d)
	}
}

// TestFirstErrorWins checks that the error of the rule with the smallest
// rule_id is reported, whatever the priorities, and that a rule that fails
// an earlier matcher never raises.
func TestFirstErrorWins(t *testing.T) {
	a, b, c := rule(1, ptr(1), "x"), rule(2, ptr(100), "y"), rule(3, ptr(1000), "z")
	a.Version, b.Version, c.Version = ptr("<9.*"), ptr("<8.*"), ptr("<7.0")
	for _, rs := range [][]Rule{{a, b, c}, {c, b, a}} {
		_, err := NewIndex(rs, nil, nil).Evaluate(mustQuery(t, u3For("a", "10.0"), ""), nil)
		if err == nil || err.Error() != "Version number <9.* is invalid." {
			t.Errorf("error %v", err)
		}
	}
	a.Channel = ptr("other")
	_, err := NewIndex([]Rule{a, b, c}, nil, nil).Evaluate(mustQuery(t, u3For("a", "10.0"), ""), nil)
	if err == nil || err.Error() != "Version number <8.* is invalid." {
		t.Errorf("error %v", err)
	}
}

// TestEvaluateAgreesWithExplain compares Evaluate, with its index and fast
// path, with Explain, which runs every rule of the query's product in
// rule_id order, on random tables whose rules constrain the indexed columns
// (distribution, buildTarget, locale) and the version, for Mozilla and loose
// version products and for query versions that do not parse.
func TestEvaluateAgreesWithExplain(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(xs ...string) *string { // null half the time
		if rng.IntN(2) == 0 {
			return nil
		}
		return ptr(xs[rng.IntN(len(xs))])
	}
	var targets []string
	for _, product := range []string{"b", "FirefoxVPN"} {
		for _, v := range []string{"60.0", "3.6", "70.0a1", "1.0", "1.0a", "junk"} {
			for _, tail := range []string{"p/l/release/a/a/a", "q/de/release-cck-x/a/d/1.0", "p/fr/rel/a/e/a", "p/de/beta/a/d,e/a", "p/l/release/a/d/1.0"} {
				targets = append(targets, "/update/3/"+product+"/"+v+"/1/"+tail+"/update.xml")
			}
		}
	}
	errs, matches, split := 0, 0, 0
	for round := 0; round < 400; round++ {
		var rs []Rule
		// Every other pair of rounds crowds the rules into few products
		// and channels, so that the index splits them by distribution,
		// build target and locale.
		crowd := round%4 >= 2
		n := 4 + rng.IntN(160)
		for i := range n {
			r := rule(rng.IntN(100), nil, fmt.Sprint("m", i))
			r.Priority = nil
			if p := pick("1", "5", "10"); p != nil {
				r.Priority = ptr(len(*p))
			}
			r.Product = pick("b", "b", "FirefoxVPN", "c")
			r.Channel = pick("release", "release*", "beta", "rel*", "re*", "release-cck-x")
			if crowd {
				r.Product, r.Channel = pick("b"), pick("release")
			}
			r.Version = pick("<61.0", ">=3.6", "60.*", "70.0a1,1.0", "3.6.*", ">=1.0")
			if round%2 == 0 && rng.IntN(10) == 0 { // operands that raise errors
				r.Version = pick("<1.0b", "<9.*", "<")
			}
			r.Locale = pick("l,de", "fr", "de,de")
			r.BuildTarget = pick("p", "q")
			r.Distribution = pick("d", "e,d", "a", "")
			r.Memory = pick("<5000", ">5000")
			r.DistVersion = pick("1.0")
			rs = append(rs, r)
		}
		ix := NewIndex(rs, nil, nil)
		if ci := ix.all.byProduct["b"]; ci != nil && ci.exact["release"] != nil && ci.exact["release"].split {
			split++
		}
		for _, target := range targets {
			q := mustQuery(t, target, "")
			d, err := ix.Evaluate(q, nil)
			tr := ix.Explain(q)
			got := 0
			if d.Rule != nil {
				got = d.Rule.RuleID
			}
			if fmt.Sprint(err) != fmt.Sprint(tr.Err) || err == nil && got != tr.RuleID {
				t.Fatalf("round %d %s: Evaluate rule %d, %v; Explain rule %d, %v", round, target, got, err, tr.RuleID, tr.Err)
			}
			if err != nil {
				errs++
			} else if got != 0 {
				matches++
			}
		}
	}
	// The tables must exercise both outcomes, or the comparison proves little.
	t.Logf("%d errors, %d matches, %d tables split", errs, matches, split)
	if errs < 100 || matches < 1000 || split < 50 {
		t.Errorf("%d errors, %d matches, %d tables split: too few", errs, matches, split)
	}
}
