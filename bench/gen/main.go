// Command gen writes the production-size data set and the request list of
// the load benchmark (bench/run.sh), deterministically from a seed:
//
//	go run ./bench/gen -out DIR [-seed N] [-rules N] [-urls N]
//
// DIR receives a scenario directory in the format `balrog import` reads
// (releases/, rules.json, shutoffs.json; shared/conformance/README.md), a
// config.json with the domain allowlist for `balrog serve --config`,
// urls.txt (one request target a line, the wrk request mix),
// large_urls.txt (one request per large release, for the cold-path and
// memory measurements) and typical.xml's target (typical_url.txt).
//
// With -rules-sql FILE nothing else is written: FILE replaces the rules
// table's rows (MySQL), so the rule-count variants share one release set.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

var (
	products = []string{"Firefox", "Thunderbird", "Devedition", "Fennec", "SeaMonkey", "Focus", "Pinebuild", "FirefoxVPN", "GMP", "SystemAddons"}
	// appProducts get app-release blobs; the first three get the large ones.
	appProducts = []string{"Firefox", "Thunderbird", "Devedition", "Fennec", "SeaMonkey", "Focus", "Pinebuild", "FirefoxVPN"}
	channels    = []string{
		"release", "release-localtest", "release-cdntest", "beta", "beta-localtest", "beta-cdntest",
		"aurora", "aurora-localtest", "aurora-cdntest", "nightly", "nightly-try", "nightly-oak",
		"nightly-elm", "nightly-cedar", "nightly-maple", "nightly-larch", "nightly-ash", "nightly-birch",
		"esr", "esr-localtest", "esr-cdntest", "esr115", "esr128", "esr140",
		"default", "release-sysaddon", "beta-sysaddon", "dev-edition", "thunderbird-release-test", "partner-release",
	}
	// realTargets are the build targets clients send; the large blobs add
	// synthetic ones up to 100 platforms.
	realTargets = []string{
		"WINNT_x86_64-msvc-x64", "WINNT_x86-msvc-x86", "WINNT_x86-msvc-x64", "WINNT_aarch64-msvc-aarch64",
		"Darwin_x86_64-gcc3-u-i386-x86_64", "Darwin_aarch64-gcc3", "Linux_x86_64-gcc3", "Linux_x86-gcc3",
		"WINNT_x86_64-msvc", "WINNT_x86-msvc", "Darwin_x86_64-gcc3", "Linux_aarch64-gcc3",
	}
	baseLocales = []string{"en-US", "de", "fr", "es-ES", "it", "ja", "zh-CN", "zh-TW", "ru", "pl", "pt-BR", "nl", "sv-SE", "ko", "tr", "cs", "en-GB", "fi", "da", "nb-NO"}
	osVersions  = []string{
		"Windows_NT 10.0.0.0.19045.3803 (x64)", "Windows_NT 10.0.0.0.22631.2861 (x64)", "Windows_NT 6.1.1.0 (x64)",
		"Windows_NT 6.3.0.0 (x64)", "Windows_NT 5.1.3.0", "Darwin 23.2.0", "Darwin 19.6.0", "Linux 6.5.0-14-generic (GTK 3.24.38,libpulse 16.1.0)",
	}
	isets = []string{"SSE4_2", "SSE4_2", "SSE4_2", "AVX2", "SSE3", "SSE2", "SSE"}
)

type release struct {
	Name     string `json:"name"`
	Product  string `json:"product"`
	ReadOnly bool   `json:"read_only"`
	Data     any    `json:"data"`
}

type rule struct {
	RuleID             int     `json:"rule_id"`
	Alias              *string `json:"alias"`
	Priority           int     `json:"priority"`
	Mapping            *string `json:"mapping"`
	FallbackMapping    *string `json:"fallbackMapping"`
	BackgroundRate     int     `json:"backgroundRate"`
	UpdateType         string  `json:"update_type"`
	Product            *string `json:"product"`
	Version            *string `json:"version"`
	Channel            *string `json:"channel"`
	BuildTarget        *string `json:"buildTarget"`
	BuildID            *string `json:"buildID"`
	Locale             *string `json:"locale"`
	OSVersion          *string `json:"osVersion"`
	InstructionSet     *string `json:"instructionSet"`
	Memory             *string `json:"memory"`
	Distribution       *string `json:"distribution"`
	DistVersion        *string `json:"distVersion"`
	HeaderArchitecture *string `json:"headerArchitecture"`
	Mig64              *bool   `json:"mig64"`
	Jaws               *bool   `json:"jaws"`
	Comment            *string `json:"comment"`
	DataVersion        int     `json:"data_version"`
}

func p(s string) *string { return &s }

// appRelease is one version of an app product as clients know it.
type appRelease struct {
	name, product, version, buildID string
	major                           int
	large, complete                 bool
	targets, locales                []string
}

type gen struct {
	r        *rand.Rand
	out      string
	apps     map[string][]*appRelease // by product, oldest first
	gmp      []string                 // GMP superblobs
	sysaddon []string                 // SystemAddons superblobs
	desup    []string
	count    int
}

func main() {
	out := flag.String("out", "bench/data", "output directory")
	seed := flag.Uint64("seed", 1, "random seed")
	nRules := flag.Int("rules", 1000, "number of rules")
	nURLs := flag.Int("urls", 20000, "number of request targets")
	nReleases := flag.Int("releases", 5000, "number of releases (at least 500)")
	core := flag.Int("core", 0, "with -rules-sql: keep the first CORE rules of the data set and fill up to -rules with rules that match no request of the mix (partner distributions no client sends), so only the rule count differs")
	rulesSQL := flag.String("rules-sql", "", "write only this file: SQL replacing the rules table with -rules rules (a rule-count variant of the same data set)")
	flag.Parse()
	g := &gen{r: rand.New(rand.NewPCG(*seed, *seed^0x5eed)), out: *out, apps: map[string][]*appRelease{}}
	must(os.MkdirAll(filepath.Join(*out, "releases"), 0o755))
	g.releases(*nReleases, *rulesSQL == "")
	var rs []rule
	if *core > 0 {
		rs = g.fill(g.rules(*core), *nRules)
	} else {
		rs = g.rules(*nRules)
	}
	if *rulesSQL != "" {
		must(os.WriteFile(*rulesSQL, rulesSQLText(rs), 0o644))
		return
	}
	g.writeJSON("rules.json", rs)
	g.writeJSON("shutoffs.json", []map[string]any{
		{"product": "Firefox", "channel": "release-cdntest", "comment": "bench"},
		{"product": "Focus", "channel": "nightly-ash", "comment": "bench"},
	})
	g.writeJSON("config.json", map[string]any{
		"domain_allowlist": map[string]any{
			"download.mozilla.org":     appProducts,
			"archive.mozilla.org":      append(append([]string{}, appProducts...), "SystemAddons"),
			"ftp.mozilla.org":          []string{"SystemAddons"},
			"cdmdownload.adobe.com":    []string{"CDM"},
			"ciscobinary.openh264.org": []string{"OpenH264"},
		},
		"special_force_hosts": []string{"http://download.mozilla.org"},
	})
	g.urls(*nURLs)
	log.Printf("gen: %d releases, %d rules, %d urls in %s", g.count, *nRules, *nURLs, *out)
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

func (g *gen) writeJSON(name string, v any) {
	b, err := json.Marshal(v)
	must(err)
	must(os.WriteFile(filepath.Join(g.out, name), b, 0o644))
}

func (g *gen) writeRelease(write bool, r release) {
	g.count++
	if write {
		g.writeJSON(filepath.Join("releases", r.Name+".json"), r)
	}
}

func (g *gen) hash(n int) string {
	const hex = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = hex[g.r.IntN(16)]
	}
	return string(b)
}

func buildID(major, minor, i int) string {
	// 2019..2025, deterministic and increasing with the version.
	day := major*37 + minor*3 + i
	return fmt.Sprintf("20%02d%02d%02d%02d%02d%02d", 19+day/365%7, 1+day/28%12, 1+day%28, day%24, minor%60, i%60)
}

// releases writes every release: 50 large app releases (100 platforms ×
// 100 locales with partials), small app releases (nightlies and older
// versions), GMP and SystemAddons superblobs with their parts, and
// Desupport blobs, n in all.
func (g *gen) releases(n int, write bool) {
	targets := append([]string{}, realTargets...)
	for i := 0; len(targets) < 100; i++ {
		targets = append(targets, fmt.Sprintf("%s-v%d", realTargets[i%len(realTargets)], i/len(realTargets)))
	}
	locales := append([]string{}, baseLocales...)
	for i := 0; len(locales) < 100; i++ {
		locales = append(locales, fmt.Sprintf("x%02d-%s", i, strings.ToUpper(baseLocales[i%len(baseLocales)][:2])))
	}
	// Large releases: 20 Firefox, 15 Thunderbird, 15 Devedition.
	large := map[string]int{"Firefox": 20, "Thunderbird": 15, "Devedition": 15}
	for _, prod := range []string{"Firefox", "Thunderbird", "Devedition"} {
		for i := 0; i < large[prod]; i++ {
			major := 100 + i
			a := &appRelease{product: prod, major: major, version: fmt.Sprintf("%d.0", major), large: true, targets: targets, locales: locales}
			a.name = fmt.Sprintf("%s-%s-build1", prod, a.version)
			a.buildID = buildID(major, 0, len(prod))
			g.apps[prod] = append(g.apps[prod], a)
		}
	}
	// GMP: 40 CDM + 40 OpenH264 parts, 20 superblobs; SystemAddons: 80
	// add-on blobs, 40 superblobs; 20 Desupport blobs.
	fixed := 50 + 80 + 20 + 80 + 40 + 20
	small := n - fixed
	if small < 300 {
		log.Fatalf("-releases %d is too small", n)
	}
	for i := 0; i < small; i++ {
		prod := appProducts[i%len(appProducts)]
		// Small releases are older than the large ones (majors 40–99).
		major := 40 + (i/len(appProducts))%60
		minor := (i / len(appProducts) / 60) % 40
		a := &appRelease{product: prod, major: major, version: fmt.Sprintf("%d.0.%d", major, minor), buildID: buildID(major, minor, i)}
		a.name = fmt.Sprintf("%s-%s-build%d", prod, a.version, 1+i%3)
		a.targets = realTargets[:3+i%5]
		a.locales = baseLocales[:2+i%5]
		g.apps[prod] = append(g.apps[prod], a)
	}
	for _, prod := range appProducts {
		sort.SliceStable(g.apps[prod], func(i, j int) bool {
			a, b := g.apps[prod][i], g.apps[prod][j]
			if a.major != b.major {
				return a.major < b.major
			}
			return a.version < b.version
		})
		list := g.apps[prod]
		// Releases that rules map to are complete: every build target and
		// locale clients send (the newest 15 of each product, and every
		// 20th as a watershed target).
		for i, a := range list {
			if !a.large && (i >= len(list)-15 || i%20 == 0) {
				a.targets, a.locales = realTargets, baseLocales
				a.complete = true
			}
			if a.large {
				a.complete = true
			}
		}
		for i, a := range list {
			g.writeRelease(write, release{Name: a.name, Product: prod, Data: g.appBlob(a, list[max(0, i-4):i])})
		}
	}
	for i := 0; i < 40; i++ {
		for _, v := range []string{"CDM", "OpenH264"} {
			name := fmt.Sprintf("%s-%d", v, i)
			g.writeRelease(write, release{Name: name, Product: v, Data: g.gmpBlob(name, v, i)})
		}
	}
	for i := 0; i < 20; i++ {
		name := fmt.Sprintf("GMP-Superblob-%d", i)
		g.gmp = append(g.gmp, name)
		g.writeRelease(write, release{Name: name, Product: "GMP", Data: map[string]any{"name": name, "schema_version": 4000, "products": []string{"CDM", "OpenH264"}}})
	}
	var addons []string
	for i := 0; i < 80; i++ {
		name := fmt.Sprintf("addon%d@mozilla.org-1.%d", i%20, i)
		addons = append(addons, name)
		g.writeRelease(write, release{Name: name, Product: "SystemAddons", Data: g.addonBlob(name, i)})
	}
	for i := 0; i < 40; i++ {
		name := fmt.Sprintf("Superblob-sysaddons-%03d", i)
		g.sysaddon = append(g.sysaddon, name)
		g.writeRelease(write, release{Name: name, Product: "SystemAddons", Data: map[string]any{"name": name, "schema_version": 4000, "blobs": []string{addons[i], addons[(i+40)%80]}}})
	}
	for i := 0; i < 20; i++ {
		name := fmt.Sprintf("%s-Desupport-%d", appProducts[i%len(appProducts)], i)
		g.desup = append(g.desup, name)
		g.writeRelease(write, release{Name: name, Product: appProducts[i%len(appProducts)], Data: map[string]any{
			"name": name, "schema_version": 50, "displayVersion": fmt.Sprintf("%d.0esr", 100+i),
			"detailsUrl": "https://support.mozilla.org/1/firefox/%VERSION%/%OS%/%LOCALE%/unsupported",
		}})
	}
}

// appBlob is a schema 4 app-release blob; its partials come from the
// releases before it of the same product.
func (g *gen) appBlob(a *appRelease, from []*appRelease) map[string]any {
	lower := strings.ToLower(a.product)
	partialURLs := map[string]string{}
	for _, f := range from {
		partialURLs[f.name] = fmt.Sprintf("http://download.mozilla.org/?product=%s-%s-partial-%s&os=%%OS_BOUNCER%%&lang=%%LOCALE%%", lower, a.version, f.version)
	}
	platforms := map[string]any{}
	for ti, t := range a.targets {
		if ti > 0 && ti%10 == 9 {
			platforms[t] = map[string]any{"alias": a.targets[0]}
			continue
		}
		locs := map[string]any{}
		for _, l := range a.locales {
			var partials []map[string]any
			for _, f := range from {
				partials = append(partials, map[string]any{"from": f.name, "filesize": 3000000 + g.r.IntN(20000000), "hashValue": g.hash(128)})
			}
			loc := map[string]any{
				"appVersion": a.version, "displayVersion": a.version, "buildID": a.buildID,
				"completes": []map[string]any{{"from": "*", "filesize": 50000000 + g.r.IntN(10000000), "hashValue": g.hash(128)}},
			}
			if partials != nil {
				loc["partials"] = partials
			}
			locs[l] = loc
		}
		os := "win64"
		switch {
		case strings.HasPrefix(t, "Darwin"):
			os = "osx"
		case strings.HasPrefix(t, "Linux"):
			os = "linux64"
		}
		platforms[t] = map[string]any{"OS_BOUNCER": os, "OS_FTP": os, "locales": locs}
	}
	return map[string]any{
		"name": a.name, "schema_version": 4, "hashFunction": "sha512",
		"appVersion": a.version, "displayVersion": a.version,
		"detailsUrl": "https://www.mozilla.org/%LOCALE%/" + lower + "/" + a.version + "/releasenotes/",
		"fileUrls": map[string]any{
			"*": map[string]any{
				"completes": map[string]string{"*": fmt.Sprintf("http://download.mozilla.org/?product=%s-%s-complete&os=%%OS_BOUNCER%%&lang=%%LOCALE%%", lower, a.version)},
				"partials":  partialURLs,
			},
		},
		"platforms": platforms,
	}
}

func (g *gen) gmpBlob(name, vendor string, i int) map[string]any {
	host := map[string]string{"CDM": "https://cdmdownload.adobe.com/firefox/", "OpenH264": "http://ciscobinary.openh264.org/"}[vendor]
	plats := map[string]any{}
	for _, t := range realTargets[:8] {
		plats[t] = map[string]any{"fileUrl": host + name + "-" + t + ".zip", "filesize": 1000000 + i, "hashValue": g.hash(128)}
	}
	return map[string]any{"name": name, "schema_version": 1000, "hashFunction": "sha512",
		"vendors": map[string]any{"gmp-" + strings.ToLower(vendor): map[string]any{"version": fmt.Sprint(i + 1), "platforms": plats}}}
}

func (g *gen) addonBlob(name string, i int) map[string]any {
	id := name[:strings.LastIndex(name, "-")]
	ver := name[strings.LastIndex(name, "-")+1:]
	return map[string]any{"name": name, "schema_version": 5000, "hashFunction": "sha512",
		"addons": map[string]any{id: map[string]any{"version": ver, "platforms": map[string]any{
			"default": map[string]any{"fileUrl": "https://ftp.mozilla.org/pub/system-addons/" + name + ".xpi", "filesize": 10000 + i, "hashValue": g.hash(128)},
		}}}}
}

// rules writes n rules over the 10 products and 30 channels: for each
// product and channel a latest-release rule, watersheds, desupport by
// osVersion, an instructionSet rule with a null mapping, throttled rules
// with fallbacks, and locale / buildTarget / distribution specific rules up
// to n.
func (g *gen) rules(n int) []rule {
	var out []rule
	add := func(r rule) {
		if len(out) >= n {
			return
		}
		r.RuleID = len(out) + 1
		r.DataVersion = 1 + r.RuleID%3
		if r.UpdateType == "" {
			r.UpdateType = "minor"
		}
		if r.BackgroundRate == 0 && r.Comment == nil {
			r.BackgroundRate = 100
		}
		out = append(out, r)
	}
	// Pass 1: the rules that decide most answers.
	for _, prod := range appProducts {
		list := g.apps[prod]
		latest := list[len(list)-1]
		for ci, ch := range channels {
			if ci%len(appProducts) == 7 && prod != "Firefox" {
				continue // not every product ships on every channel
			}
			pr, chn := p(prod), p(ch)
			add(rule{Product: pr, Channel: chn, Priority: 100, Mapping: p(latest.name), Alias: p(fmt.Sprintf("%s-%s", strings.ToLower(prod), ch))})
		}
		// Watersheds on the release-ish channels.
		for wi, w := range []int{3, 6, 10} {
			if len(list) <= w {
				continue
			}
			target := nearestComplete(list, len(list)-1-w)
			add(rule{Product: p(prod), Channel: p("release*"), Version: p("<" + target.version), Priority: 200 + 10*wi, Mapping: p(target.name)})
		}
		add(rule{Product: p(prod), Channel: p("release*"), Priority: 300, Version: p(">=100.0"), OSVersion: p("Windows_NT 6.1,Windows_NT 6.2,Windows_NT 6.3"), Mapping: p(g.desup[0])})
		add(rule{Product: p(prod), Channel: p("esr*"), Priority: 310, OSVersion: p("Windows_NT 5.1,Windows_NT 5.2,Windows_NT 6.0"), Mapping: p(nearestComplete(list, len(list)/2).name)})
		add(rule{Product: p(prod), Priority: 400, InstructionSet: p("SSE,MMX")})
		// Throttled rollouts with a fallback.
		add(rule{Product: p(prod), Channel: p("beta"), Priority: 150, BackgroundRate: 25, Mapping: p(latest.name), FallbackMapping: p(list[len(list)-2].name), Comment: p("throttled 25%")})
		add(rule{Product: p(prod), Channel: p("release"), Priority: 120, BackgroundRate: 10, Version: p(">=" + list[len(list)-3].version), Mapping: p(latest.name), FallbackMapping: p(list[len(list)-2].name), Comment: p("throttled 10%")})
		add(rule{Product: p(prod), Channel: p("aurora"), Priority: 130, BackgroundRate: 0, Mapping: p(latest.name), Comment: p("rate 0")})
		nb := nearestComplete(list, len(list)/3)
		add(rule{Product: p(prod), Channel: p("nightly*"), Priority: 140, BuildID: p("<" + nb.buildID), Mapping: p(nb.name)})
	}
	// Partner builds pinned to a release: one distribution per large
	// release, so each large blob has a request that it answers.
	for _, prod := range []string{"Firefox", "Thunderbird", "Devedition"} {
		for _, a := range g.apps[prod] {
			if a.large {
				add(rule{Product: p(prod), Channel: p("release"), Distribution: p("partner-" + a.name), Priority: 700, Mapping: p(a.name)})
			}
		}
	}
	for i, ch := range channels[:15] {
		add(rule{Product: p("GMP"), Channel: p(ch), Priority: 100, Mapping: p(g.gmp[i%len(g.gmp)])})
		add(rule{Product: p("SystemAddons"), Channel: p(ch), Priority: 100, Mapping: p(g.sysaddon[i%len(g.sysaddon)]), Version: p(fmt.Sprintf("1%02d.*", i))})
	}
	// Pass 2: specific rules up to n (locale, build target, distribution,
	// memory, mig64), at lower priority unless they are narrower.
	for i := 0; len(out) < n; i++ {
		prod := products[i%len(products)]
		ch := channels[(i/len(products))%len(channels)]
		r := rule{Product: p(prod), Channel: p(ch), Priority: 50 + i%200}
		var mapping string
		if list := g.apps[prod]; list != nil {
			mapping = g.completeRelease(list).name
		} else if prod == "GMP" {
			mapping = g.gmp[i%len(g.gmp)]
		} else {
			mapping = g.sysaddon[i%len(g.sysaddon)]
		}
		r.Mapping = p(mapping)
		switch i % 7 {
		case 0:
			r.Locale = p(baseLocales[i%len(baseLocales)] + "," + baseLocales[(i+3)%len(baseLocales)])
		case 1:
			r.BuildTarget = p(realTargets[i%len(realTargets)])
		case 2:
			r.Distribution = p(fmt.Sprintf("partner%d", i%40))
			r.DistVersion = p("1.0")
			r.Priority += 500
		case 3:
			r.Memory = p("<2048")
		case 4:
			r.Version = p(fmt.Sprintf("<%d.0", 60+i%60))
		case 5:
			r.Mig64 = p2(true)
			r.BuildTarget = p("WINNT_x86-msvc-x64")
		case 6:
			r.BackgroundRate = 1 + i%99
			r.Comment = p("throttled")
			r.FallbackMapping = p(mapping)
		}
		add(r)
	}
	return out
}

func p2(b bool) *bool { return &b }

// urls writes the request mix: /update/6 mostly (clients on many versions,
// build ids, targets, locales and channels), some /update/3 and /update/4,
// GMP and SystemAddons requests and /json/ requests.
func (g *gen) urls(n int) {
	var lines []string
	for i := 0; i < n; i++ {
		var u string
		switch k := g.r.IntN(100); {
		case k < 70: // app update, /update/6
			u = g.appURL(6)
		case k < 78:
			u = g.appURL(3 + g.r.IntN(3))
		case k < 86: // GMP
			u = fmt.Sprintf("/update/3/GMP/%d.0/%s/%s/%s/%s/%s/default/default/update.xml",
				100+g.r.IntN(20), buildID(100+g.r.IntN(20), 0, 1), realTargets[g.r.IntN(8)], baseLocales[g.r.IntN(len(baseLocales))],
				channels[g.r.IntN(15)], esc(osVersions[g.r.IntN(len(osVersions))]))
		case k < 94: // System add-ons
			v := g.r.IntN(15)
			u = fmt.Sprintf("/update/3/SystemAddons/1%02d.0.1/%s/%s/%s/%s/%s/default/default/update.xml",
				v, buildID(100+v, 1, 0), realTargets[g.r.IntN(8)], baseLocales[g.r.IntN(len(baseLocales))], channels[v], esc(osVersions[g.r.IntN(len(osVersions))]))
		default: // /json/
			prod := appProducts[g.r.IntN(len(appProducts))]
			u = fmt.Sprintf("/json/1/%s/%d.0.%d/%s/%s/update.json", prod, 60+g.r.IntN(60), g.r.IntN(5), realTargets[g.r.IntN(8)], channels[g.r.IntN(len(channels))])
		}
		lines = append(lines, u)
	}
	// The typical answer: a Firefox client two versions behind on a
	// channel whose rule is not throttled gets the latest release with a
	// partial.
	fx := g.apps["Firefox"]
	a := fx[len(fx)-3]
	typical := fmt.Sprintf("/update/6/Firefox/%s/%s/%s/en-US/release-localtest/%s/ISET:SSE4_2,MEM:16384/default/default/update.xml", a.version, a.buildID, realTargets[0], esc(osVersions[0]))
	must(os.WriteFile(filepath.Join(g.out, "urls.txt"), []byte(strings.Join(lines, "\n")+"\n"), 0o644))
	must(os.WriteFile(filepath.Join(g.out, "typical_url.txt"), []byte(typical+"\n"), 0o644))
	// One request per large release: a client one version behind, so the
	// answer is that release with partials.
	var large []string
	for _, prod := range []string{"Firefox", "Thunderbird", "Devedition"} {
		list := g.apps[prod]
		for i, a := range list {
			if !a.large || i == 0 {
				continue
			}
			prev := list[i-1]
			// The partner distribution's rule maps to this release; the
			// client is one version behind, so the answer has a partial.
			large = append(large, fmt.Sprintf("%s\t/update/6/%s/%s/%s/%s/en-US/release/%s/ISET:SSE4_2,MEM:16384/partner-%s/default/update.xml",
				a.name, prod, prev.version, prev.buildID, realTargets[0], esc(osVersions[0]), a.name))
		}
	}
	must(os.WriteFile(filepath.Join(g.out, "large_urls.txt"), []byte(strings.Join(large, "\n")+"\n"), 0o644))
}

// appURL is an app client's update request.
func (g *gen) appURL(route int) string {
	prod := appProducts[g.r.IntN(len(appProducts))]
	if g.r.IntN(2) == 0 {
		prod = "Firefox"
	}
	list := g.apps[prod]
	a := list[len(list)-1-min(len(list)-1, int(g.r.ExpFloat64()*8))] // mostly recent versions
	target := realTargets[g.r.IntN(len(realTargets))]
	locale := baseLocales[min(len(baseLocales)-1, int(g.r.ExpFloat64()*4))]
	ch := channels[min(len(channels)-1, int(g.r.ExpFloat64()*5))]
	osv := osVersions[g.r.IntN(len(osVersions))]
	dist, distv := "default", "default"
	if g.r.IntN(20) == 0 {
		dist, distv = fmt.Sprintf("partner%d", g.r.IntN(40)), "1.0"
	}
	base := fmt.Sprintf("/update/%d/%s/%s/%s/%s/%s/%s/%s", route, prod, a.version, a.buildID, target, locale, ch, esc(osv))
	var u string
	switch route {
	case 6:
		u = fmt.Sprintf("%s/ISET:%s,MEM:%d/%s/%s/update.xml", base, isets[g.r.IntN(len(isets))], []int{2048, 4096, 8192, 16384, 32768}[g.r.IntN(5)], dist, distv)
	case 4:
		u = fmt.Sprintf("%s/%s/%s/%s/update.xml", base, dist, distv, "default")
	case 5:
		u = fmt.Sprintf("%s/%s/%s/%s/update.xml", base, dist, distv, "default")
	default:
		u = fmt.Sprintf("%s/%s/%s/update.xml", base, dist, distv)
	}
	// Background-rate rules need a roll: most clients do not force; a
	// few do, as Firefox's "check for updates" button does.
	if g.r.IntN(10) == 0 {
		u += "?force=1"
	}
	return u
}

func esc(s string) string {
	return strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", ",", "%2C").Replace(s)
}

// nearestComplete is the complete release at or before list[i].
func nearestComplete(list []*appRelease, i int) *appRelease {
	for ; i > 0 && !list[i].complete; i-- {
	}
	return list[i]
}

func (g *gen) completeRelease(list []*appRelease) *appRelease {
	return nearestComplete(list, len(list)-1-g.r.IntN(min(len(list), 40)))
}

// rulesSQLText replaces the rules table's rows with rs.
func rulesSQLText(rs []rule) []byte {
	var b strings.Builder
	b.WriteString("DELETE FROM rules;\n")
	q := func(s *string) string {
		if s == nil {
			return "NULL"
		}
		return "'" + strings.NewReplacer(`\`, `\\`, "'", "''").Replace(*s) + "'"
	}
	qb := func(v *bool) string {
		switch {
		case v == nil:
			return "NULL"
		case *v:
			return "1"
		}
		return "0"
	}
	for _, r := range rs {
		fmt.Fprintf(&b, "INSERT INTO rules (rule_id, alias, priority, mapping, fallbackMapping, backgroundRate, update_type, product, version, channel, buildTarget, buildID, locale, osVersion, memory, instructionSet, jaws, mig64, distribution, distVersion, headerArchitecture, comment, data_version) VALUES (%d, %s, %d, %s, %s, %d, '%s', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %d);\n",
			r.RuleID, q(r.Alias), r.Priority, q(r.Mapping), q(r.FallbackMapping), r.BackgroundRate, r.UpdateType, q(r.Product), q(r.Version), q(r.Channel), q(r.BuildTarget), q(r.BuildID), q(r.Locale), q(r.OSVersion), q(r.Memory), q(r.InstructionSet), qb(r.Jaws), qb(r.Mig64), q(r.Distribution), q(r.DistVersion), q(r.HeaderArchitecture), q(r.Comment), r.DataVersion)
	}
	return []byte(b.String())
}

// fill adds rules up to n that no request of the mix matches: partner
// distributions that no client sends, over every product and channel, at
// priorities above and below the core rules (so evaluation looks at them).
func (g *gen) fill(rs []rule, n int) []rule {
	for i := len(rs); i < n; i++ {
		prod := products[i%len(products)]
		ch := channels[(i/len(products))%len(channels)]
		var mapping string
		if list := g.apps[prod]; list != nil {
			mapping = nearestComplete(list, len(list)-1).name
		} else if prod == "GMP" {
			mapping = g.gmp[0]
		} else {
			mapping = g.sysaddon[0]
		}
		r := rule{RuleID: i + 1, Product: p(prod), Channel: p(ch), Priority: 20 + g.r.IntN(800), Mapping: p(mapping),
			Distribution: p(fmt.Sprintf("unused-partner-%d", i)), BackgroundRate: 100, UpdateType: "minor", DataVersion: 1}
		switch i % 4 {
		case 1:
			r.Version = p(fmt.Sprintf("<%d.0", 40+i%80))
		case 2:
			r.Locale = p(baseLocales[i%len(baseLocales)])
		case 3:
			r.BuildTarget = p(realTargets[i%len(realTargets)])
		}
		rs = append(rs, r)
	}
	return rs
}
