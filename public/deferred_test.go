package public

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/balrog-go/balrog/blobs"
	"github.com/balrog-go/balrog/metrics"
	"github.com/balrog-go/balrog/store"
	"github.com/balrog-go/balrog/store/storetest"
)

// largeBlob is testBlob with platforms × locales (platform 0 is
// WINNT_x86-msvc, locale 0 en-US): over a megabyte, so that the public
// role parses it in two steps (blobs.ParseDeferred).
func largeBlob(name, version, buildID string, platforms, locales int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `{"name": %q, "schema_version": 2, "hashFunction": "sha512", "appVersion": %q, "displayVersion": %q, "platformVersion": %q,
 "fileUrls": {"release": "http://download.mozilla.org/?product=%%PRODUCT%%&os=%%OS_BOUNCER%%&lang=%%LOCALE%%"},
 "ftpFilenames": {"complete": "x.mar"}, "bouncerProducts": {"complete": "firefox-%s-complete"}, "platforms": {`, name, version, version, version, version)
	for p := range platforms {
		fmt.Fprintf(&b, `%s%q: {"buildID": %q, "OS_BOUNCER": "os%d", "OS_FTP": "ftp%d", "locales": {`,
			separator(p), indexed("plat", p, "WINNT_x86-msvc"), buildID, p, p)
		for l := range locales {
			fmt.Fprintf(&b, `%s%q: {"complete": {"filesize": %d, "from": "*", "hashValue": "%0128x"}}`,
				separator(l), indexed("l", l, "en-US"), 1000+p*locales+l, p*locales+l)
		}
		b.WriteString("}}")
	}
	b.WriteString("}}")
	return []byte(b.String())
}

// indexed is prefix and i, or first when i is 0.
func indexed(prefix string, i int, first string) string {
	if i == 0 {
		return first
	}
	return fmt.Sprint(prefix, i)
}

// separator is the comma before a JSON member but the first.
func separator(i int) string {
	if i == 0 {
		return ""
	}
	return ","
}

// TestLargeReleaseDeferred checks the two-step load of a large release
// through the database: the request that misses is answered from the
// first blob, the complete parse then replaces it in the cache, and every
// answer is the same before and after — from a source that overwrites the
// driver's buffer once it is lent, so the first blob's deferred tables
// must read a copy.
func TestLargeReleaseDeferred(t *testing.T) {
	const platforms, locales = 60, 100
	for _, d := range storetest.Databases(t) {
		t.Run(d.Name, func(t *testing.T) {
			ds := testDataset()
			ds.Releases[0].Data = largeBlob("Firefox-60.0-build1", "60.0", "20180101000000", platforms, locales)
			if len(ds.Releases[0].Data) < 1<<20 {
				t.Fatalf("the large blob has %d bytes only", len(ds.Releases[0].Data))
			}
			db := openLoaded(t, d, ds)
			sink := &tagSink{seen: map[string]int{}}
			allow, err := blobs.NewAllowlist([]blobs.AllowlistHost{{Host: "download.mozilla.org", Products: []string{"Firefox"}}})
			if err != nil {
				t.Fatal(err)
			}
			s := New(scribblingSource{db}, Config{Allowlist: allow, ForceHosts: []string{"http://download.mozilla.org"}, Metrics: sink},
				slog.New(slog.NewTextHandler(io.Discard, nil)))
			s.noResponseCache = true // the answers are rendered each time
			if _, err := s.Load(context.Background()); err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(s.NewHandler())
			defer srv.Close()

			var targets []string
			for _, pl := range [][2]string{{"WINNT_x86-msvc", "en-US"}, {"plat7", "l42"}, {"plat59", "l99"}, {"plat3", "xx"}, {"nope", "en-US"}} {
				targets = append(targets, strings.Replace(strings.Replace(updateURL, "WINNT_x86-msvc", pl[0], 1), "en-US", pl[1], 1))
			}
			answers := func() []string {
				var out []string
				for _, target := range targets {
					status, body, _ := fetch(t, srv.URL+target)
					out = append(out, fmt.Sprint(status, " ", body))
				}
				return out
			}
			first := answers()
			s.blobs.wait()
			if n := sink.get(metrics.BlobLoadDuration + " phase:complete"); n != 1 {
				t.Fatalf("%d complete parses, want 1: the release was not loaded in two steps", n)
			}
			if n := s.blobs.deferred.Load(); n != 0 {
				t.Errorf("%d blobs still wait for their complete parse", n)
			}
			after := answers()
			for i := range targets {
				if first[i] != after[i] {
					t.Errorf("%s:\n first: %s\n after: %s", targets[i], first[i], after[i])
				}
			}
			for i, want := range []string{`<patch type="complete" URL="http://download.mozilla.org/?product=firefox-60.0-complete&amp;os=os0&amp;lang=en-US" hashFunction="sha512" hashValue="` + fmt.Sprintf("%0128x", 0) + `" size="1000"/>`,
				`lang=l42" hashFunction="sha512" hashValue="` + fmt.Sprintf("%0128x", 7*locales+42),
				`lang=l99" hashFunction="sha512" hashValue="` + fmt.Sprintf("%0128x", 59*locales+99),
				"400 No such locale 'xx' in platform 'plat3'", "200 " + blobs.EmptyXML} {
				if !strings.Contains(first[i], want) {
					t.Errorf("%s: %s\nwant it to hold %s", targets[i], first[i], want)
				}
			}
		})
	}
}

// TestDeferredCompleteAfterRetain checks that a complete parse that ends
// after its release was dropped from the cache does not bring it back,
// and that a miss parses in full while maxDeferred blobs wait.
func TestDeferredCompleteAfterRetain(t *testing.T) {
	ds := testDataset()
	ds.Releases[0].Data = largeBlob("Firefox-60.0-build1", "60.0", "20180101000000", 60, 100)
	db := openLoaded(t, storetest.Databases(t)[0], ds)
	sink := &tagSink{seen: map[string]int{}}
	c := newBlobCache(db, sink, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()

	c.completing <- struct{}{} // hold the complete parse back
	if _, err := c.get(ctx, "Firefox-60.0-build1", 1); err != nil {
		t.Fatal(err)
	}
	if n := c.deferred.Load(); n != 1 {
		t.Fatalf("%d blobs wait for their complete parse, want 1", n)
	}
	c.retain(map[string]store.ReleaseInfo{})
	<-c.completing
	c.wait()
	if n := c.len(); n != 0 {
		t.Errorf("%d entries after the release was dropped", n)
	}

	c.deferred.Store(maxDeferred)
	if _, err := c.get(ctx, "Firefox-60.0-build1", 1); err != nil {
		t.Fatal(err)
	}
	c.wait()
	if n := sink.get(metrics.BlobLoadDuration + " phase:complete"); n != 1 {
		t.Errorf("%d complete parses, want only the first load's", n)
	}
}
