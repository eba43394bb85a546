package public

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/balrog-go/balrog/blobs"
	"github.com/balrog-go/balrog/store/storetest"
)

// TestExplainSteps checks the steps an explanation reports for a pinned
// client, a shutoff, a throttled rule and its tie-break, each with the
// response the live handler sends.
func TestExplainSteps(t *testing.T) {
	ds := testDataset()
	// Release serves 61.0 to half the clients, 60.0 to the others; with
	// force=1 a "60." pin decides.
	r := &ds.Rules[0]
	r.Mapping, r.BackgroundRate, r.FallbackMapping = str("Firefox-61.0-build1"), num(50), str("Firefox-60.0-build1")
	for _, d := range storetest.Databases(t) {
		t.Run(d.Name, func(t *testing.T) {
			db := openLoaded(t, d, ds)
			allow, err := blobs.NewAllowlist([]blobs.AllowlistHost{{Host: "download.mozilla.org", Products: []string{"Firefox"}}})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			ev, err := NewEvaluator(ctx, db, Config{Allowlist: allow, Dice: func() int { return 70 }}, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			rel := updateURL

			x, err := ev.Explain(ctx, updateURL+"?pin=60.&force=1", nil)
			if err != nil {
				t.Fatal(err)
			}
			if x.ShouldServe == nil || x.ShouldServe.Decision != "Maybe" || x.Pin == nil || x.Pin.Row == nil || x.Pin.Row.Mapping != "Firefox-60.0-build1" ||
				x.Pin.ShouldServe == nil || x.Pin.ShouldServe.Decision != "Yes" || x.Release == nil || *x.Release != "Firefox-60.0-build1" ||
				!strings.Contains(x.Response.Body, `appVersion="60.0"`) || !x.Update {
				t.Errorf("pinned: should-serve %+v pin %+v release %v body %q", x.ShouldServe, x.Pin, x.Release, x.Response.Body)
			}

			x, err = ev.Explain(ctx, strings.Replace(updateURL, "/release/", "/release-cdntest/", 1), nil)
			if err != nil {
				t.Fatal(err)
			}
			if x.Shutoff == nil || x.Shutoff.Channel != "release-cdntest" || x.RuleID != nil || x.Release != nil || x.Update || x.Response.Body != blobs.EmptyXML {
				t.Errorf("shutoff: %+v rule %v release %v body %q", x.Shutoff, x.RuleID, x.Release, x.Response.Body)
			}

			x, err = ev.Explain(ctx, rel, nil)
			if err != nil {
				t.Fatal(err)
			}
			th := x.Throttle
			if th == nil || th.Roll == nil || *th.Roll != 70 || th.Result != "fallback" || th.BackgroundRate != 50 || x.Mapping == nil || *x.Mapping != "Firefox-60.0-build1" ||
				x.Response.Headers["Rule-ID"] != "1" || x.Response.Status != 200 || !strings.Contains(x.Response.Body, `appVersion="60.0"`) || x.Force != "as the URL says" {
				t.Errorf("throttled: %+v mapping %v headers %v body %s", th, x.Mapping, x.Response.Headers, x.Response.Body)
			}
			x, err = ev.Explain(ctx, rel+"?force=-1", new(bool))
			if err != nil {
				t.Fatal(err)
			}
			if x.URL != rel || x.Throttle.Result != "fallback" || x.Throttle.Roll == nil {
				t.Errorf("force false: url %s throttle %+v", x.URL, x.Throttle)
			}
			yes := true
			x, err = ev.Explain(ctx, "http://aus5.example"+rel+"?force=-1", &yes)
			if err != nil {
				t.Fatal(err)
			}
			if x.URL != rel+"?force=1" || x.Throttle.Result != "main" || x.Throttle.Roll != nil || *x.Release != "Firefox-61.0-build1" {
				t.Errorf("force true: url %s throttle %+v release %v", x.URL, x.Throttle, x.Release)
			}

			for _, bad := range []string{"/api/v1/rules", "update/6", "/robots.txt"} {
				if _, err := ev.Explain(ctx, bad, nil); !errors.Is(err, ErrBadTarget) {
					t.Errorf("%s: %v", bad, err)
				}
			}
		})
	}
}

// TestWithForce checks that the force override keeps the other parameters
// byte for byte.
func TestWithForce(t *testing.T) {
	yes, no := true, false
	for _, c := range []struct {
		target string
		force  *bool
		want   string
	}{
		{"/update/x?a=%2F&force=-1&b", nil, "/update/x?a=%2F&force=-1&b"},
		{"/update/x?a=%2F&force=-1&b", &yes, "/update/x?a=%2F&b&force=1"},
		{"/update/x?a=%2F&%66orce=1&b", &no, "/update/x?a=%2F&b"},
		{"/update/x?force=1", &no, "/update/x"},
		{"/json/x", &yes, "/json/x?force=1"},
		{"https://h/update/x?force=1", nil, "/update/x?force=1"},
	} {
		got, _, err := withForce(c.target, c.force)
		if err != nil || got != c.want {
			t.Errorf("withForce(%q, %v) = %q, %v; want %q", c.target, c.force, got, err, c.want)
		}
	}
}
