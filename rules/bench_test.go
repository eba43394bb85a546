package rules

import (
	"fmt"
	"strings"
	"testing"
)

const benchPath = "/update/6/Firefox/66.0/20190311211048/WINNT_x86_64-msvc-x64/en-US/release/Windows_NT%2010.0.0.0.18363.592%20(x64)/ISET:SSE4_2,MEM:16384,JAWS:0/default/default/update.xml"

// BenchmarkParseUpdateRequest measures building the query of a typical
// /update/6 request.
func BenchmarkParseUpdateRequest(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		m, err := ParseUpdateRequest(benchPath, "force=1", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:66.0) Gecko/20100101 Firefox/66.0")
		if err != nil || m.Query == nil {
			b.Fatal(m, err)
		}
	}
}

// BenchmarkParseUpdateRequestPlain measures a request without escapes.
func BenchmarkParseUpdateRequestPlain(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		m, err := ParseUpdateRequest("/update/3/Firefox/66.0/20190311211048/WINNT_x86-msvc/en-US/release/Windows_NT_10.0/default/default/update.xml", "", "")
		if err != nil || m.Query == nil {
			b.Fatal(m, err)
		}
	}
}

// benchRules spreads n rules over 10 products × 30 channels like a
// production table: every rule has a version constraint ("<N.0", most
// match the benchmark query), some a channel glob, and a quarter each
// a buildTarget, osVersion or locale column.
func benchRules(n int) []Rule {
	rs := make([]Rule, 0, n)
	for i := 0; i < n; i++ {
		k := i / 300 // position inside the product × channel bucket
		product := fmt.Sprintf("Product%d", i%10)
		if i%10 == 0 {
			product = "Firefox"
		}
		channel := fmt.Sprintf("channel%d", (i/10)%30)
		if (i/10)%30 == 0 {
			channel = "release"
		}
		if k%7 == 5 {
			channel += "*"
		}
		r := Rule{
			RuleID:         i + 1,
			Priority:       ptr((k * 37) % 500),
			Mapping:        ptr(fmt.Sprintf("release-%d", i)),
			BackgroundRate: ptr(100),
			UpdateType:     "minor",
			Product:        ptr(product),
			Channel:        ptr(channel),
			Version:        ptr(fmt.Sprintf("<%d.0", 60+(k*7)%40)),
			DataVersion:    1,
		}
		switch k % 4 {
		case 1:
			r.BuildTarget = ptr("WINNT_x86_64-msvc-x64")
		case 2:
			r.OSVersion = ptr("Windows_NT 6.1,Windows_NT 10")
		case 3:
			r.Locale = ptr("en-US,de,fr")
		}
		rs = append(rs, r)
	}
	return rs
}

// BenchmarkEvaluate shows that evaluation cost does not grow with rules of
// other products and channels.
func BenchmarkEvaluate(b *testing.B) {
	m, err := ParseUpdateRequest(benchPath, "", "")
	if err != nil {
		b.Fatal(err)
	}
	q := m.Query
	for _, n := range []int{10, 1000, 10000} {
		ix := NewIndex(benchRules(n), []Shutoff{{Product: "Firefox", Channel: "release-cdntest"}}, nil)
		d, err := ix.Evaluate(q, nil)
		if err != nil || d.Rule == nil && n > 10 {
			b.Fatalf("benchmark query matches no rule: %+v %v", d, err)
		}
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			dice := func() int { return 0 }
			for b.Loop() {
				if _, err := ix.Evaluate(q, dice); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEvaluateNoMatch is the worst case: no rule of the query's
// product and channel matches, so every candidate is checked. Its cost grows
// with the rules of that product and channel only.
func BenchmarkEvaluateNoMatch(b *testing.B) {
	m, err := ParseUpdateRequest(strings.Replace(benchPath, "/66.0/", "/99.0/", 1), "", "")
	if err != nil {
		b.Fatal(err)
	}
	q := m.Query
	for _, n := range []int{10, 1000, 10000} {
		ix := NewIndex(benchRules(n), nil, nil)
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if d, err := ix.Evaluate(q, nil); err != nil || d.Rule != nil {
					b.Fatal(d, err)
				}
			}
		})
	}
}

// BenchmarkEvaluateOtherProducts keeps the query's product and channel at
// ten rules and adds rules of other products and channels only: the cost
// stays flat.
func BenchmarkEvaluateOtherProducts(b *testing.B) {
	m, err := ParseUpdateRequest(strings.Replace(benchPath, "/66.0/", "/99.0/", 1), "", "")
	if err != nil {
		b.Fatal(err)
	}
	q := m.Query
	for _, n := range []int{10, 1000, 10000} {
		// Exactly the ten Firefox/release* rules of a 3000-rule table, plus
		// n rules of other products and channels.
		var kept []Rule
		for _, r := range benchRules(3000) {
			if isOwn(r) {
				kept = append(kept, r)
			}
		}
		for _, r := range benchRules(n) {
			if !isOwn(r) {
				r.RuleID += 100000
				kept = append(kept, r)
			}
		}
		ix := NewIndex(kept, nil, nil)
		b.Run(fmt.Sprintf("rules=%d", len(kept)), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ix.Evaluate(q, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func isOwn(r Rule) bool {
	return *r.Product == "Firefox" && strings.HasPrefix(*r.Channel, "release")
}
