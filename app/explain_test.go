package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/balrog-go/balrog/blobs"
	"github.com/balrog-go/balrog/public"
	"github.com/balrog-go/balrog/store/gormstore"
	"github.com/balrog-go/balrog/store/storetest"
)

// scenarioEvaluator returns the evaluator the admin role gets with the
// scenario directory's config.
func scenarioEvaluator(t *testing.T, d storetest.Database, dir string) publicEvaluator {
	t.Helper()
	config := filepath.Join(dir, "config.json")
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	AddFlags(fs)
	if err := fs.Parse([]string{"--db", d.URL, "--config", config}); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(fs, environ(nil))
	if err != nil {
		t.Fatal(err)
	}
	allow, err := blobs.NewAllowlist(cfg.DomainAllowlist)
	if err != nil {
		t.Fatal(err)
	}
	p := &process{cfg: cfg, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ev, err := p.evaluator(allow)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// isUpdateTarget reports whether a recorded case is a GET of an update URL,
// what explain answers.
func isUpdateTarget(c conformanceCase) bool {
	return c.Method == http.MethodGet && (strings.HasPrefix(c.Path, "/update/") || strings.HasPrefix(c.Path, "/json/"))
}

// TestExplainAnswersAsThePublicRole explains every recorded update request
// of every conformance scenario and checks that the explanation's response
// (status, body, Rule-ID, Rule-Data-Version, Content-Type) is the one the
// running public role sends for the same request, and that its rule and
// release agree with that response.
func TestExplainAnswersAsThePublicRole(t *testing.T) {
	eachScenario(t, func(t *testing.T, name, dir string, cases []conformanceCase, d storetest.Database, client *rawClient) {
		pe := scenarioEvaluator(t, d, dir)
		ctx := context.Background()
		db, err := gormstore.Open(ctx, d.URL, gormstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		ev, err := public.NewEvaluator(ctx, db, pe.cfg, pe.log)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, c := range cases {
			if !isUpdateTarget(c) {
				continue
			}
			resp, body, err := client.do(c.Method, c.Path, c.Headers)
			if err != nil {
				t.Fatal(err)
			}
			x, err := ev.Explain(ctx, c.Path, nil)
			if err != nil {
				t.Errorf("case %s: %v", c.ID, err)
				continue
			}
			n++
			if why := explainDiffers(x, resp, body); why != "" {
				t.Errorf("case %s: %s: %s", c.ID, c.Path, why)
			}
		}
		if n == 0 {
			t.Fatal("no update requests explained")
		}
		fmt.Printf("explain: %s/%s: %d update requests answered as the public role\n", name, d.Name, n)
	})
}

// explainDiffers returns how x's response or decision differs from the
// public role's response, or "".
func explainDiffers(x *public.Explanation, resp *http.Response, body []byte) string {
	r := x.Response
	switch {
	case r.Status != resp.StatusCode:
		return fmt.Sprintf("status %d, public role %d", r.Status, resp.StatusCode)
	case r.Body != string(body):
		return fmt.Sprintf("body differs:\nexplain: %q\n public: %q", r.Body, body)
	}
	for _, h := range []string{"Rule-ID", "Rule-Data-Version", "Content-Type"} {
		if r.Headers[h] != strings.Join(resp.Header.Values(h), ", ") {
			return fmt.Sprintf("%s %q, public role %q", h, r.Headers[h], resp.Header.Get(h))
		}
	}
	ruleID := "unknown"
	if x.RuleID != nil {
		ruleID = fmt.Sprint(*x.RuleID)
	}
	if rid := resp.Header.Get("Rule-ID"); rid != "" && rid != ruleID {
		return fmt.Sprintf("rule_id %s, Rule-ID %s", ruleID, rid)
	}
	update := resp.StatusCode == http.StatusOK && len(body) > 0 && !bytes.Equal(body, []byte(blobs.EmptyXML))
	if x.Update != update || update && x.Release == nil {
		return fmt.Sprintf("update %v, release %v, but the public role's answer carries an update: %v", x.Update, x.Release, update)
	}
	if x.Query != nil && x.RuleID != nil && x.Error == nil && x.Shutoff == nil {
		for _, rt := range x.Rules {
			if rt.Matched {
				if rt.RuleID != *x.RuleID {
					return fmt.Sprintf("first matching rule %d, chosen %d", rt.RuleID, *x.RuleID)
				}
				break
			}
		}
	}
	return ""
}

// TestExplainOverHTTPAndCommandLine explains requests through POST
// /api/evaluate on `balrog serve --role=admin` and through `balrog
// explain`, with each force setting, and checks the bad inputs.
func TestExplainOverHTTPAndCommandLine(t *testing.T) {
	dir := filepath.Join(sharedDir(t), "conformance", "scenarios", "firefox-modern")
	config := filepath.Join(dir, "config.json")
	d := storetest.SQLite(t)
	importScenario(t, d, dir)
	s := startServe(t, d.URL, "--role", "admin,public", "--auth", "dev", "--config", config, "--log-level", "error")
	const beta = "/update/6/Firefox/54.0.1/20170628075643/WINNT_x86-msvc-x64/en-US/beta/Windows_NT%2010.0.0.0.18363.592%20(x64)/ISET:SSE4_2,MEM:16384/default/default/update.xml"
	post := func(user, body string) (int, map[string]any) {
		t.Helper()
		status, raw := devPost(t, "http://"+s.addr("admin")+"/api/evaluate", user, body)
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		return status, m
	}
	for _, c := range []struct {
		name, body   string
		wantRelease  any
		wantThrottle string
	}{
		{"force true", `{"url": "` + beta + `?force=-1", "force": true}`, "Firefox-67.0-build1", "main"},
		{"url force", `{"url": "` + beta + `?force=-1", "force": null}`, "Firefox-66.0-build1", "fallback"},
		{"full url", `{"url": "https://aus5.mozilla.org` + beta + `?force=1"}`, "Firefox-67.0-build1", "main"},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, m := post("someone", c.body)
			if status != http.StatusOK {
				t.Fatalf("status %d: %v", status, m)
			}
			th, _ := m["throttle"].(map[string]any)
			if m["release"] != c.wantRelease || th["result"] != c.wantThrottle || m["rule_id"] != 13.0 {
				t.Errorf("release %v, throttle %v, rule %v", m["release"], th, m["rule_id"])
			}
			resp := m["response"].(map[string]any)
			_, body, _ := get(t, "http://"+s.addr("public")+strings.TrimPrefix(m["url"].(string), "https://aus5.mozilla.org"))
			if resp["body"] != body {
				t.Errorf("body %q, public role %q", resp["body"], body)
			}
		})
	}
	// force false rolls the dice: either outcome, reported with the roll.
	status, m := post("someone", `{"url": "`+beta+`?force=1", "force": false}`)
	th, _ := m["throttle"].(map[string]any)
	if status != http.StatusOK || th["roll"] == nil || strings.Contains(m["url"].(string), "force") {
		t.Errorf("force false: %d %v url %v", status, th, m["url"])
	}
	for _, c := range []struct {
		user, body string
		want       int
	}{
		{"", `{"url": "` + beta + `"}`, http.StatusUnauthorized},
		{"someone", `{"url": "/api/v1/rules"}`, http.StatusBadRequest},
		{"someone", `{"url": 5}`, http.StatusBadRequest},
		{"someone", `{"url": "` + beta + `", "force": "yes"}`, http.StatusBadRequest},
		{"someone", `{"url": "` + beta + `", "extra": 1}`, http.StatusBadRequest},
	} {
		if status, m := post(c.user, c.body); status != c.want {
			t.Errorf("%s as %q: status %d, want %d (%v)", c.body, c.user, status, c.want, m)
		}
	}

	r := runCmd(t, nil, "explain", "--db", d.URL, "--config", config, "--force=true", beta)
	var x map[string]any
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &x) != nil {
		t.Fatalf("explain: code %d, stdout %.300q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if x["release"] != "Firefox-67.0-build1" || !strings.Contains(r.stdout, `"reason": "matched"`) {
		t.Errorf("explain printed %.500s", r.stdout)
	}
	if r := runCmd(t, nil, "explain", "--db", d.URL, "--config", config, "/robots.txt"); r.code == 0 || !strings.Contains(r.stderr, "not an update URL") {
		t.Errorf("explain /robots.txt: code %d, stderr %q", r.code, r.stderr)
	}
}

// devPost posts a JSON body as user (--auth=dev) and returns the status and
// the body of the answer.
func devPost(t *testing.T, url, user, body string) (int, []byte) {
	t.Helper()
	code, b := adminRequest(t, http.MethodPost, url, user, "", body)
	return code, []byte(b)
}
