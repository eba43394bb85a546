package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/balrog-go/balrog/store/gormstore"
	"github.com/balrog-go/balrog/store/storetest"
)

// previewAnswer is the JSON of POST /rules/preview.
type previewAnswer struct {
	RuleID   int      `json:"rule_id"`
	Refusals []string `json:"refusals"`
	Sampled  bool     `json:"sampled"`
	Checked  int      `json:"checked"`
	Changed  []struct {
		URL    string           `json:"url"`
		Before []map[string]any `json:"before"`
		After  []map[string]any `json:"after"`
	} `json:"changed"`
}

// dbState is what a preview must leave as it was.
func dbState(t *testing.T, dbURL string) string {
	t.Helper()
	db, err := gormstore.Open(context.Background(), dbURL, gormstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var parts []string
	for _, q := range []string{
		"SELECT COUNT(*) FROM rules", "SELECT SUM(data_version) FROM rules", "SELECT COUNT(*) FROM rules_history",
		"SELECT data_version FROM rules WHERE rule_id = 13", "SELECT backgroundRate FROM rules WHERE rule_id = 13",
	} {
		var n int
		if err := db.SQL().QueryRow(q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		parts = append(parts, fmt.Sprintf("%s = %d", q, n))
	}
	return strings.Join(parts, "; ")
}

// previewAdmin imports the scenario dir into d, makes ops@example.com an
// admin and serves the admin role (dev auth); it returns the API's base URL.
func previewAdmin(t *testing.T, d storetest.Database, dir string) string {
	t.Helper()
	importScenario(t, d, dir)
	if r := runCmd(t, nil, "create-admin", "ops@example.com", "--db", d.URL); r.code != 0 {
		t.Fatalf("create-admin: %s", r.stderr)
	}
	s := startServe(t, d.URL, "--role", "admin", "--auth", "dev", "--config", filepath.Join(dir, "config.json"), "--log-level", "error")
	return "http://" + s.addr("admin") + "/api"
}

// TestPreviewThrottleChange previews backgroundRate 100 -> 0 on a rule with
// a fallbackMapping (firefox-modern's beta rule 13, first set to 100 for
// real) and checks the exact set of requests that change, from what to
// what, and that the database is unchanged afterwards.
func TestPreviewThrottleChange(t *testing.T) {
	dir := filepath.Join(sharedDir(t), "conformance", "scenarios", "firefox-modern")
	for _, d := range storetest.Databases(t) {
		t.Run(d.Name, func(t *testing.T) {
			base := previewAdmin(t, d, dir)
			req, _ := http.NewRequest(http.MethodPut, base+"/rules/13", strings.NewReader(`{"backgroundRate": 100, "data_version": 1}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Balrog-Dev-User", "ops@example.com")
			if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("PUT /rules/13: %v %v", resp, err)
			}

			const u6 = "/update/6/Firefox/%s/%s/WINNT_x86-msvc-x64/en-US/%s/Windows_NT%%2010.0.0.0.18363.592%%20(x64)/ISET:SSE4_2,MEM:16384/default/default/update.xml"
			urls := map[string]string{
				"beta 54":          fmt.Sprintf(u6, "54.0.1", "20170628075643", "beta"),
				"beta 66":          fmt.Sprintf(u6, "66.0", "20190311211048", "beta"),
				"beta 67":          fmt.Sprintf(u6, "67.0", "20190513195729", "beta"),
				"beta cck 54":      fmt.Sprintf(u6, "54.0.1", "20170628075643", "beta-cck-partner"),
				"beta 54 force":    fmt.Sprintf(u6, "54.0.1", "20170628075643", "beta") + "?force=1",
				"beta-localtest":   fmt.Sprintf(u6, "54.0.1", "20170628075643", "beta-localtest"),
				"release 54":       fmt.Sprintf(u6, "54.0.1", "20170628075643", "release"),
				"aurora 54":        fmt.Sprintf(u6, "54.0.1", "20170628075643", "aurora"),
				"beta 54 fallback": fmt.Sprintf(u6, "54.0.1", "20170628075643", "beta") + "?force=-1",
			}
			var list []string
			for _, u := range urls {
				list = append(list, u)
			}
			slices.Sort(list)
			urlJSON, _ := json.Marshal(list)
			body := `{"action": "update", "rule_id": 13, "rule": {"backgroundRate": 0, "data_version": 2}, "urls": ` + string(urlJSON) + `}`

			before := dbState(t, d.URL)
			status, raw := devPost(t, base+"/rules/preview", "ops@example.com", body)
			if status != http.StatusOK {
				t.Fatalf("preview: %d %s", status, raw)
			}
			var got previewAnswer
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatal(err)
			}
			if after := dbState(t, d.URL); after != before {
				t.Fatalf("the preview changed the database:\n before %s\n after  %s", before, after)
			}
			rel := func(name string) map[string]any {
				return map[string]any{"rule_id": 13.0, "release": name, "status": 200.0, "update": true, "share": 100.0}
			}
			none := map[string]any{"rule_id": 13.0, "release": nil, "status": 200.0, "update": false, "share": 100.0}
			// Rate 0 sends every beta client without force=1 to the
			// fallback, 66.0 (force=-1 too, which rate 100 ignored); a
			// client already on 66.0 gets nothing.
			want := map[string][2]map[string]any{
				urls["beta 54"]:          {rel("Firefox-67.0-build1"), rel("Firefox-66.0-build1")},
				urls["beta 54 fallback"]: {rel("Firefox-67.0-build1"), rel("Firefox-66.0-build1")},
				urls["beta 66"]:          {rel("Firefox-67.0-build1"), none},
				urls["beta cck 54"]:      {rel("Firefox-67.0-build1"), rel("Firefox-66.0-build1")},
			}
			if got.Checked != len(list) || got.Sampled || len(got.Refusals) != 0 || got.RuleID != 13 {
				t.Errorf("checked %d sampled %v refusals %v rule %d", got.Checked, got.Sampled, got.Refusals, got.RuleID)
			}
			seen := map[string]bool{}
			for _, c := range got.Changed {
				w, ok := want[c.URL]
				seen[c.URL] = true
				if !ok {
					t.Errorf("unexpected change %s: %v -> %v", c.URL, c.Before, c.After)
					continue
				}
				if len(c.Before) != 1 || len(c.After) != 1 || fmt.Sprint(c.Before[0]) != fmt.Sprint(w[0]) || fmt.Sprint(c.After[0]) != fmt.Sprint(w[1]) {
					t.Errorf("%s: %v -> %v, want %v -> %v", c.URL, c.Before, c.After, w[0], w[1])
				}
			}
			for u := range want {
				if !seen[u] {
					t.Errorf("change of %s not reported", u)
				}
			}

			// A sample without URLs: every change is on the beta channel.
			status, raw = devPost(t, base+"/rules/preview", "someone", `{"action": "update", "rule_id": 13, "data_version": 2, "rule": {"backgroundRate": 0}}`)
			got = previewAnswer{}
			if err := json.Unmarshal(raw, &got); err != nil || status != http.StatusOK {
				t.Fatalf("sampled preview: %d %s", status, raw)
			}
			// 5 recent versions x 4 platforms x 3 locales x the beta channel.
			if !got.Sampled || got.Checked != 60 || len(got.Changed) == 0 || len(got.Refusals) != 1 || !strings.Contains(got.Refusals[0], "not allowed to modify rules") {
				t.Errorf("sampled: checked %d, %d changed, refusals %v", got.Checked, len(got.Changed), got.Refusals)
			}
			t.Logf("sampled preview: %d URLs checked, %d changed", got.Checked, len(got.Changed))
			sawEnUS := false
			for _, c := range got.Changed {
				if !strings.Contains(c.URL, "/beta/") {
					t.Errorf("sampled change off the beta channel: %s", c.URL)
				}
				sawEnUS = sawEnUS || strings.Contains(c.URL, "/en-US/")
			}
			if !sawEnUS {
				t.Error("no sampled change for en-US clients")
			}
			if after := dbState(t, d.URL); after != before {
				t.Fatalf("the sampled preview changed the database: %s", after)
			}
		})
	}
}

// TestPreviewActions previews a throttled rule (a distribution of
// outcomes), a deletion and a creation, and checks that an invalid change
// is refused as the real call refuses it, all without writing.
func TestPreviewActions(t *testing.T) {
	dir := filepath.Join(sharedDir(t), "conformance", "scenarios", "firefox-modern")
	d := storetest.SQLite(t)
	base := previewAdmin(t, d, dir)
	const beta = "/update/6/Firefox/54.0.1/20170628075643/WINNT_x86-msvc-x64/en-US/beta/Windows_NT%2010.0.0.0.18363.592%20(x64)/ISET:SSE4_2,MEM:16384/default/default/update.xml"
	before := dbState(t, d.URL)
	preview := func(body string) previewAnswer {
		t.Helper()
		status, raw := devPost(t, base+"/rules/preview", "someone", body)
		var got previewAnswer
		if err := json.Unmarshal(raw, &got); err != nil || status != http.StatusOK {
			t.Fatalf("%s: %d %s", body, status, raw)
		}
		return got
	}
	outcome := func(o map[string]any) string { return fmt.Sprintf("%v %v %v", o["rule_id"], o["release"], o["share"]) }
	outcomes := func(os []map[string]any) []string {
		var out []string
		for _, o := range os {
			out = append(out, outcome(o))
		}
		return out
	}
	for _, c := range []struct {
		name, body    string
		before, after []string
	}{
		{"throttled rule to rate 0", `{"action": "update", "rule_id": 13, "data_version": 1, "rule": {"backgroundRate": 0}, "urls": ["` + beta + `"]}`,
			[]string{"13 Firefox-67.0-build1 30", "13 Firefox-66.0-build1 70"}, []string{"13 Firefox-66.0-build1 100"}},
		{"delete the beta rule", `{"action": "delete", "rule_id": 13, "data_version": 1, "urls": ["` + beta + `"]}`,
			[]string{"13 Firefox-67.0-build1 30", "13 Firefox-66.0-build1 70"}, []string{"<nil> <nil> 100"}},
		{"create a higher rule", `{"action": "create", "rule": {"product": "Firefox", "channel": "beta", "mapping": "Firefox-65.0-build1", "priority": 500, "backgroundRate": 100, "update_type": "minor"}, "urls": ["` + beta + `"]}`,
			[]string{"13 Firefox-67.0-build1 30", "13 Firefox-66.0-build1 70"}, []string{"27 Firefox-65.0-build1 100"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := preview(c.body)
			if len(got.Changed) != 1 || got.Changed[0].URL != beta {
				t.Fatalf("changed %+v", got.Changed)
			}
			if b, a := outcomes(got.Changed[0].Before), outcomes(got.Changed[0].After); !slices.Equal(b, c.before) || !slices.Equal(a, c.after) {
				t.Errorf("%v -> %v, want %v -> %v", b, a, c.before, c.after)
			}
		})
	}
	// Invalid changes get the real call's answer (which writes nothing
	// either, as it fails).
	for _, c := range []struct {
		name, preview, method, path, real string
	}{
		{"stale data_version", `{"action": "update", "rule_id": 13, "rule": {"backgroundRate": 0, "data_version": 7}}`,
			http.MethodPost, "/rules/13", `{"backgroundRate": 0, "data_version": 7}`},
		{"unknown release", `{"action": "create", "rule": {"product": "Firefox", "mapping": "nope", "priority": 1, "backgroundRate": 1, "update_type": "minor"}}`,
			http.MethodPost, "/rules", `{"product": "Firefox", "mapping": "nope", "priority": 1, "backgroundRate": 1, "update_type": "minor"}`},
		{"bad rate", `{"action": "update", "rule_id": 13, "rule": {"backgroundRate": 101, "data_version": 1}}`,
			http.MethodPost, "/rules/13", `{"backgroundRate": 101, "data_version": 1}`},
		{"no rule", `{"action": "update", "rule_id": 999, "rule": {"backgroundRate": 1, "data_version": 1}}`,
			http.MethodPost, "/rules/999", `{"backgroundRate": 1, "data_version": 1}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			pStatus, pBody := devPost(t, base+"/rules/preview", "ops@example.com", c.preview)
			req, _ := http.NewRequest(c.method, base+c.path, strings.NewReader(c.real))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Balrog-Dev-User", "ops@example.com")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var real map[string]any
			_ = json.NewDecoder(resp.Body).Decode(&real)
			var got map[string]any
			_ = json.Unmarshal(pBody, &got)
			if pStatus == http.StatusOK || pStatus != resp.StatusCode || fmt.Sprint(got) != fmt.Sprint(real) {
				t.Errorf("preview %d %v, real call %d %v", pStatus, got, resp.StatusCode, real)
			}
		})
	}
	for _, bad := range []string{`{"action": "move"}`, `{"action": "update", "rule": {}}`, `{"action": "delete", "rule_id": 13}`, `{"action": "create", "rule": {}, "urls": "x"}`} {
		if status, raw := devPost(t, base+"/rules/preview", "someone", bad); status != http.StatusBadRequest {
			t.Errorf("%s: %d %s", bad, status, raw)
		}
	}
	if after := dbState(t, d.URL); after != before {
		t.Fatalf("previews changed the database:\n before %s\n after  %s", before, after)
	}
}

// TestPreviewSampleIncludesAssertionURLs checks that a preview without
// "urls" also answers the URLs of the product's rule assertions: an
// asserted URL outside the generated sample is checked (once, though two
// assertions name it) and reported when its outcome changes; an asserted
// URL the sample already holds is not checked twice; another product's
// assertions are left out.
func TestPreviewSampleIncludesAssertionURLs(t *testing.T) {
	dir := filepath.Join(sharedDir(t), "conformance", "scenarios", "firefox-modern")
	for _, d := range storetest.Databases(t) {
		t.Run(d.Name, func(t *testing.T) {
			base := previewAdmin(t, d, dir)
			const change = `{"action": "update", "rule_id": 13, "data_version": 1, "rule": {"backgroundRate": 0}}`
			sampled := func() previewAnswer {
				t.Helper()
				status, raw := devPost(t, base+"/rules/preview", "ops@example.com", change)
				var got previewAnswer
				if err := json.Unmarshal(raw, &got); err != nil || status != http.StatusOK || !got.Sampled {
					t.Fatalf("sampled preview: %d %s", status, raw)
				}
				return got
			}
			plain := sampled()
			if len(plain.Changed) == 0 {
				t.Fatal("the sample has no changed URL to assert")
			}
			inSample := plain.Changed[0].URL

			// MEM:16384 and this OS string are not what the sample sends.
			const asserted = "/update/6/Firefox/54.0.1/20170628075643/WINNT_x86-msvc-x64/de/beta/Windows_NT%2010.0.0.0.18363.592%20(x64)/ISET:SSE4_2,MEM:16384/default/default/update.xml"
			for _, a := range []struct{ product, url string }{
				{"Firefox", asserted},
				{"Firefox", asserted},
				{"Firefox", inSample},
				{"Thunderbird", "/update/6/Thunderbird/54.0.1/20170628075643/WINNT_x86-msvc-x64/de/beta/x/y/default/default/update.xml"},
			} {
				body := `{"product": "` + a.product + `", "url": "` + a.url + `", "expected_release": "Firefox-67.0-build1"}`
				if status, raw := devPost(t, base+"/assertions", "ops@example.com", body); status != http.StatusCreated {
					t.Fatalf("POST /assertions: %d %s", status, raw)
				}
			}

			got := sampled()
			if got.Checked != plain.Checked+1 {
				t.Errorf("checked %d URLs with the assertions, %d without; want one more", got.Checked, plain.Checked)
			}
			if len(got.Changed) != len(plain.Changed)+1 {
				t.Errorf("%d changes with the assertions, %d without; want one more", len(got.Changed), len(plain.Changed))
			}
			found := false
			for _, c := range got.Changed {
				if c.URL != asserted {
					continue
				}
				found = true
				if len(c.After) != 1 || c.After[0]["release"] != "Firefox-66.0-build1" || c.After[0]["share"] != 100.0 || len(c.Before) != 2 {
					t.Errorf("asserted URL: %v -> %v, want the 30/70 split -> Firefox-66.0-build1 for all", c.Before, c.After)
				}
			}
			if !found {
				t.Errorf("the asserted URL is not among the changes: %+v", got.Changed)
			}
		})
	}
}
