// Package rulestest builds rule tables and update requests shaped like the
// load benchmark's data set (bench/gen), for the benchmarks of packages
// rules and public.
package rulestest

import (
	"fmt"

	"github.com/balrog-go/balrog/rules"
)

// Products, Channels, Targets and Locales are the values that RuleCount's
// rules and URLs spread over. FirefoxVPN compares versions as
// LooseVersions; release-cck-partner falls back to release.
var (
	Products = []string{"Firefox", "Thunderbird", "Devedition", "Fennec", "SeaMonkey", "Focus", "Pinebuild", "FirefoxVPN"}
	Channels = []string{
		"release", "release-localtest", "release-cdntest", "beta", "beta-localtest", "beta-cdntest",
		"aurora", "aurora-localtest", "aurora-cdntest", "nightly", "nightly-try", "nightly-oak",
		"nightly-elm", "nightly-cedar", "nightly-maple", "nightly-larch", "nightly-ash", "nightly-birch",
		"esr", "esr-localtest", "esr-cdntest", "esr115", "esr128", "esr140",
		"default", "release-sysaddon", "beta-sysaddon", "dev-edition", "partner-release", "release-cck-partner",
	}
	Targets = []string{"WINNT_x86_64-msvc-x64", "Darwin_x86_64-gcc3", "Linux_x86_64-gcc3"}
	Locales = []string{"en-US", "de", "fr"}
)

// Release is a release that RuleCount's rules map to.
type Release struct {
	Name, Product, Version string
}

// Core is the number of rules that decide RuleCount's answers.
const Core = 100

// RuleCount returns n rules (n ≥ Core) shaped like the load benchmark's
// rule-count variants, and the releases they map to. The same Core rules
// decide every answer to URLs: one per product and channel, release* and
// nightly* globs with version and build ID limits, a desupport rule by OS
// version, a throttled rule with a fallback. The rest, spread over every
// product and channel at priorities above and below those, match none of
// URLs: each names a partner distribution that no request sends, and a
// quarter each also a version limit, a locale or a build target.
func RuleCount(n int) ([]rules.Rule, []Release) {
	var rs []rules.Rule
	var rels []Release
	release := func(product, version string) *string {
		name := product + "-" + version + "-build1"
		for _, r := range rels {
			if r.Name == name {
				return &name
			}
		}
		rels = append(rels, Release{Name: name, Product: product, Version: version})
		return &name
	}
	add := func(r rules.Rule) {
		r.RuleID, r.DataVersion, r.UpdateType = len(rs)+1, 1, "minor"
		if r.BackgroundRate == nil {
			r.BackgroundRate = ptr(100)
		}
		rs = append(rs, r)
	}
	for _, p := range Products[:2] {
		for _, c := range Channels {
			add(rules.Rule{Priority: ptr(100), Mapping: release(p, "119.0"), Product: ptr(p), Channel: ptr(c)})
		}
		add(rules.Rule{Priority: ptr(200), Mapping: release(p, "116.0"), Product: ptr(p), Channel: ptr("release*"), Version: ptr("<116.0")})
		add(rules.Rule{Priority: ptr(300), Mapping: release(p, "115.0"), Product: ptr(p), Channel: ptr("release*"), Version: ptr(">=100.0"), OSVersion: ptr("Windows_NT 6.1,Windows_NT 6.2")})
		add(rules.Rule{Priority: ptr(150), Mapping: release(p, "119.0"), FallbackMapping: release(p, "118.0"), BackgroundRate: ptr(25), Product: ptr(p), Channel: ptr("beta")})
	}
	add(rules.Rule{Priority: ptr(140), Mapping: release("Firefox", "60.0"), Product: ptr("Firefox"), Channel: ptr("nightly*"), BuildID: ptr("<20250201040040")})
	for _, c := range Channels {
		add(rules.Rule{Priority: ptr(100), Mapping: release("FirefoxVPN", "2.20.0"), Product: ptr("FirefoxVPN"), Channel: ptr(c), Version: ptr("<2.20.0")})
	}
	for _, c := range Channels[:Core-len(rs)] {
		add(rules.Rule{Priority: ptr(100), Mapping: release("Devedition", "119.0"), Product: ptr("Devedition"), Channel: ptr(c)})
	}
	for i := len(rs); i < n; i++ {
		p := Products[i%len(Products)]
		r := rules.Rule{Priority: ptr(20 + i*37%800), Mapping: release(p, "119.0"), Product: ptr(p),
			Channel: ptr(Channels[i/len(Products)%len(Channels)]), Distribution: ptr(fmt.Sprint("unused-partner-", i))}
		switch i % 4 {
		case 1:
			r.Version = ptr(fmt.Sprintf("<%d.0", 40+i%80))
		case 2:
			r.Locale = ptr(Locales[i%len(Locales)])
		case 3:
			r.BuildTarget = ptr(Targets[i%len(Targets)])
		}
		add(r)
	}
	return rs, rels
}

// URLs are update requests over every product and channel, with versions
// below and above the deciding rules' limits, several build targets,
// locales and OS versions, and the distribution "default".
func URLs() []string {
	var urls []string
	versions := map[bool][]string{false: {"99.0", "110.0", "117.0"}, true: {"2.10.1", "2.19.0"}}
	osVersions := []string{"Windows_NT%2010.0.0.0.19045.3803%20(x64)", "Windows_NT%206.1.0.0%20(x64)", "Darwin%2023.2.0"}
	i := 0
	for _, p := range Products {
		for _, c := range Channels {
			for _, v := range versions[p == "FirefoxVPN"] {
				urls = append(urls, fmt.Sprintf("/update/6/%s/%s/20230101000000/%s/%s/%s/%s/ISET:SSE4_2,MEM:8192/default/default/update.xml",
					p, v, Targets[i%len(Targets)], Locales[i/3%len(Locales)], c, osVersions[i%len(osVersions)]))
				i++
			}
		}
	}
	return urls
}

func ptr[T any](v T) *T { return &v }
