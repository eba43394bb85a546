package public

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/balrog-go/balrog/blobs"
	"github.com/balrog-go/balrog/store/storetest"
)

// TestEvaluatorAnswersAsTheLiveRole checks that the evaluator's answers are
// the live handler's, and that it names the release served.
func TestEvaluatorAnswersAsTheLiveRole(t *testing.T) {
	for _, d := range storetest.Databases(t) {
		t.Run(d.Name, func(t *testing.T) {
			db := openLoaded(t, d, testDataset())
			_, srv := newTestService(t, db)
			allow, err := blobs.NewAllowlist([]blobs.AllowlistHost{{Host: "download.mozilla.org", Products: []string{"Firefox"}}})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			ev, err := NewEvaluator(ctx, db, Config{Allowlist: allow, ForceHosts: []string{"http://download.mozilla.org"}}, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			cases := []struct {
				target, release string
				ruleID          int
			}{
				{updateURL, "Firefox-60.0-build1", 1},
				{strings.Replace(updateURL, "/release/", "/beta/", 1), "Firefox-61.0-build1", 2},
				{strings.Replace(updateURL, "/59.0/", "/62.0/", 1), "", 1},
				{strings.Replace(updateURL, "/release/", "/nightly/", 1), "", 0},
				{updateURL + "?force=1", "Firefox-60.0-build1", 1},
				{"/update/6/Firefox/59.0/20170101000000/WINNT_x86-msvc/en-US/release/Windows_NT%2010.0/ISET:SSE3,MEM:8192/default/default/update.xml?osVersion=%ZZ", "", 0},
			}
			for _, c := range cases {
				a, err := ev.Answer(ctx, c.target)
				if err != nil {
					t.Fatal(err)
				}
				status, body, hdr := fetch(t, srv.URL+c.target)
				if a.Status != status || string(a.Body) != body || a.Header.Get("Content-Length") != hdr.Get("Content-Length") || strings.Join(a.Header["Rule-ID"], ",") != hdr.Get("Rule-ID") || a.Header.Get("Content-Type") != hdr.Get("Content-Type") {
					t.Errorf("%s: evaluator %d %q %v, live %d %q %v", c.target, a.Status, a.Body, a.Header, status, body, hdr)
				}
				if a.Release != c.release {
					t.Errorf("%s: release %q, want %q", c.target, a.Release, c.release)
				}
				got := 0
				if a.Decision.Rule != nil {
					got = a.Decision.Rule.RuleID
				}
				if got != c.ruleID {
					t.Errorf("%s: rule %d, want %d", c.target, got, c.ruleID)
				}
				if (a.Query == nil) != (status == http.StatusBadRequest) {
					t.Errorf("%s: query %v with status %d", c.target, a.Query, status)
				}
			}
		})
	}
}
