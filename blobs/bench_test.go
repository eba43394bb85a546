package blobs

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/balrog-go/balrog/rules"
)

// bigRelease generates an app-release blob (schema 4 or 9) with the given
// number of platforms and locales, one complete and three partials per
// locale (from from-0, from-1, from-2), unified file URLs with per-channel
// blocks and a catch-all, and one alias per platform.
func bigRelease(schema, platforms, locales int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `{"name": "Firefox-big", "schema_version": %d, "hashFunction": "sha512", "appVersion": "100.0", "displayVersion": "100.0",`, schema)
	if schema == 9 {
		b.WriteString(`"updateLine": [{"for": {}, "fields": {"detailsURL": "https://www.mozilla.org/%LOCALE%/firefox/100.0/releasenotes/", "type": "minor"}},
  {"for": {"channels": ["release", "release-cdntest"], "locales": ["de", "fr", "l7"], "versions": ["<99.0"]}, "fields": {"actions": "showURL", "openURL": "https://www.mozilla.org/%LOCALE%/whatsnew/"}}],`)
	} else {
		b.WriteString(`"detailsUrl": "https://www.mozilla.org/%LOCALE%/firefox/100.0/releasenotes/", "platformVersion": "100.0",`)
	}
	b.WriteString(`"fileUrls": {`)
	for i, c := range []string{"*", "beta", "release-localtest"} {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `%q: {"completes": {"*": "http://download.mozilla.org/?product=firefox-100.0-complete&os=%%OS_BOUNCER%%&lang=%%LOCALE%%"}, "partials": {`, c)
		for f := 0; f < 3; f++ {
			if f > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `"from-%d": "http://download.mozilla.org/?product=firefox-100.0-partial-%d&os=%%OS_BOUNCER%%&lang=%%LOCALE%%"`, f, f)
		}
		b.WriteString("}}")
	}
	b.WriteString(`}, "platforms": {`)
	for p := 0; p < platforms; p++ {
		if p > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"plat%d-alias": {"alias": "plat%d"}, "plat%d": {"OS_BOUNCER": "os%d", "OS_FTP": "ftp%d", "locales": {`, p, p, p, p, p)
		for l := 0; l < locales; l++ {
			if l > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `"l%d": {"buildID": "20220101000000", "completes": [{"filesize": 58000000, "from": "*", "hashValue": "%0128d"}], "partials": [`, l, p*1000+l)
			for f := 0; f < 3; f++ {
				if f > 0 {
					b.WriteString(",")
				}
				fmt.Fprintf(&b, `{"filesize": %d, "from": "from-%d", "hashValue": "%0128d"}`, 12000000+f, f, f)
			}
			b.WriteString("]}")
		}
		b.WriteString("}}")
	}
	b.WriteString("}}")
	return b.String()
}

// fromRelease generates an older release whose platforms all have build
// ID bid.
func fromRelease(name, bid string, platforms, locales int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `{"name": %q, "schema_version": 4, "appVersion": "99.0", "platforms": {`, name)
	for p := 0; p < platforms; p++ {
		if p > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"plat%d": {"buildID": %q, "locales": {`, p, bid)
		for l := 0; l < locales; l++ {
			if l > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `"l%d": {}`, l)
		}
		b.WriteString("}}")
	}
	b.WriteString("}}")
	return b.String()
}

func benchEnv(b testing.TB, platforms, locales int) (*Env, ReleaseMap) {
	al, err := ParseAllowlist([]byte(`{"download.mozilla.org": ["Firefox"], "archive.mozilla.org": ["Firefox"]}`))
	if err != nil {
		b.Fatal(err)
	}
	m := ReleaseMap{}
	for f := 0; f < 3; f++ {
		blob, err := Parse([]byte(fromRelease(fmt.Sprintf("from-%d", f), fmt.Sprintf("2021010100000%d", f), platforms, locales)))
		if err != nil {
			b.Fatal(err)
		}
		m[fmt.Sprintf("from-%d", f)] = blob
	}
	return &Env{Allowlist: al, ForceHosts: ForceHosts{"http://download.mozilla.org"}, Releases: m}, m
}

func benchRender(b *testing.B, schema int) {
	const platforms, locales = 100, 100
	data := bigRelease(schema, platforms, locales)
	blob, err := Parse([]byte(data))
	if err != nil {
		b.Fatal(err)
	}
	env, _ := benchEnv(b, platforms, locales)
	// Queries spread over platforms and locales; the client runs from-1,
	// so the from-0 partial is skipped and the from-1 partial served.
	queries := make([]*rules.Query, 64)
	for i := range queries {
		bid, loc := "20210101000001", fmt.Sprintf("l%d", (i*37)%locales)
		queries[i] = &rules.Query{
			Route: rules.RouteXML, Product: "Firefox", Version: "98.0", BuildID: &bid,
			BuildTarget: fmt.Sprintf("plat%d-alias", (i*13)%platforms), Locale: &loc, Channel: "release",
			Force: rules.Force(i % 2),
		}
	}
	out, err := AppendXML(nil, blob, queries[0], "minor", nil, env)
	if err != nil || !strings.Contains(string(out), `type="partial"`) {
		b.Fatalf("unexpected render: %v\n%s", err, out)
	}
	buf := make([]byte, 0, 4096)
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		q := queries[i%len(queries)]
		if d, err := blob.ShouldServe(q); err != nil || d != Yes {
			b.Fatal(d, err)
		}
		if buf, err = AppendXML(buf[:0], blob, q, "minor", nil, env); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderLargeV4 is should-serve plus rendering of a 100 × 100
// schema-4 blob with partials.
func BenchmarkRenderLargeV4(b *testing.B) { benchRender(b, 4) }

// BenchmarkRenderLargeV9 is the same with a schema-9 blob and updateLine.
func BenchmarkRenderLargeV9(b *testing.B) { benchRender(b, 9) }

// BenchmarkParseLarge parses the 100 × 100 blob, its platforms read in two
// halves at once (split.go) and in order.
func BenchmarkParseLarge(b *testing.B) {
	data := []byte(bigRelease(4, 100, 100))
	for _, c := range []struct {
		name string
		min  int
	}{{"split", splitMin}, {"in-order", math.MaxInt}} {
		b.Run(c.name, func(b *testing.B) {
			defer func(n int) { splitMin = n }(splitMin)
			splitMin = c.min
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParseDeferredLarge is what the first request for the 100 × 100
// blob waits for: ParseDeferred's first step, with its copy of the text,
// and the read of one platform's locale table. The copy is then released
// as the complete parse (BenchmarkParseLarge/in-order) would release it.
func BenchmarkParseDeferredLarge(b *testing.B) {
	data := []byte(bigRelease(4, 100, 100))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		first, complete, err := ParseDeferred(data)
		if err != nil || complete == nil {
			b.Fatal("not deferred:", err)
		}
		r := first.(*AppRelease)
		p := r.Platforms["plat7"]
		if _, ok, err := r.locale(p, "l42"); !ok || err != nil {
			b.Fatal(ok, err)
		}
		p.deferred.text.release(&AppRelease{})
	}
}

// BenchmarkRenderGuardianJSON renders a Guardian JSON answer.
func BenchmarkRenderGuardianJSON(b *testing.B) {
	blob, err := Parse([]byte(`{"name": "G", "schema_version": 10000, "version": "1.0.0.0", "required": true, "hashFunction": "sha512",
	  "platforms": {"WINNT_x86_64": {"fileUrl": "https://fpn.firefox.com/1.0.0.0.msi", "hashValue": "mnopqr"}}}`))
	if err != nil {
		b.Fatal(err)
	}
	al, _ := ParseAllowlist([]byte(`{"fpn.firefox.com": ["Guardian"]}`))
	env := &Env{Allowlist: al}
	q := &rules.Query{Route: rules.RouteJSON, Product: "Guardian", Version: "0.5.0.0", BuildTarget: "WINNT_x86_64", Channel: "release"}
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		if buf, err = AppendJSON(buf[:0], blob, q, env); err != nil {
			b.Fatal(err)
		}
	}
}
