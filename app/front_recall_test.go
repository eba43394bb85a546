package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/balrog-go/balrog/blobs"
	"github.com/balrog-go/balrog/public"
	"github.com/balrog-go/balrog/rules"
	"github.com/balrog-go/balrog/store"
	"github.com/balrog-go/balrog/store/storetest"
)

// TestFrontKeepsThrottleRate: through the front, with answers recalled
// from memory, a rule throttled at 25 % still sends a quarter of requests
// to its main mapping, also over the first requests of each target (no
// request is decided twice).
func TestFrontKeepsThrottleRate(t *testing.T) {
	ctx := context.Background()
	str := func(s string) *string { return &s }
	num := func(n int) *int { return &n }
	ds := store.Dataset{
		Releases: []store.Release{
			{Name: "Firefox-2.0-build1", Product: "Firefox", Data: storyBlob("Firefox-2.0-build1", "2.0", "20300101000000"), DataVersion: 1},
			{Name: "Firefox-1.5-build1", Product: "Firefox", Data: storyBlob("Firefox-1.5-build1", "1.5", "20290101000000"), DataVersion: 1},
		},
		Rules: []rules.Rule{{RuleID: 1, Priority: num(100), Mapping: str("Firefox-2.0-build1"), FallbackMapping: str("Firefox-1.5-build1"),
			BackgroundRate: num(25), UpdateType: "minor", Product: str("Firefox"), Channel: str("release"), DataVersion: 1}},
	}
	db := importedDatabase(t, storetest.SQLite(t), ds)
	allow, _ := blobs.NewAllowlist([]blobs.AllowlistHost{{Host: "download.mozilla.org", Products: []string{"Firefox"}}})
	svc := public.New(db, public.Config{Allowlist: allow}, slog.New(slog.DiscardHandler))
	if _, err := svc.Load(ctx); err != nil {
		t.Fatal(err)
	}
	h := svc.NewHandler()
	l, err := listen("public", "127.0.0.1:0", h, slog.New(slog.DiscardHandler), public.WrapListener)
	if err != nil {
		t.Fatal(err)
	}
	l.withFront(h)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- l.Run(runCtx) }()
	t.Cleanup(func() { cancel(); <-done })

	const targets, each = 1000, 4
	var raw strings.Builder
	for i := range targets {
		for range each {
			fmt.Fprintf(&raw, "GET /update/3/Firefox/1.0/2018%010d/WINNT_x86-msvc/en-US/release/Windows_NT%%2010.0/default/default/update.xml HTTP/1.1\r\nHost: h\r\nUser-Agent: test\r\n\r\n", i)
		}
	}
	methods := make([]string, targets*each)
	for i := range methods {
		methods[i] = http.MethodGet
	}
	ex := exchange(l.Addr(), raw.String(), methods...)
	if ex.err != nil {
		t.Fatal(ex.err)
	}
	main, fallback := 0, 0
	for i, b := range ex.bodies {
		switch {
		case strings.Contains(b, `appVersion="2.0"`):
			main++
		case strings.Contains(b, `appVersion="1.5"`):
			fallback++
		default:
			t.Fatalf("answer %d: %d %q", i, ex.responses[i].StatusCode, b)
		}
	}
	// 4 000 requests at 25 %: 1 000 expected, standard deviation 27.
	if main < 850 || main > 1150 {
		t.Errorf("%d of %d requests got the main mapping, want about 1000 (25 %%)", main, main+fallback)
	}
}
