package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/balrog-go/balrog/admin"
	"github.com/balrog-go/balrog/admin/agent"
	"github.com/balrog-go/balrog/admin/auth"
	"github.com/balrog-go/balrog/blobs"
	"github.com/balrog-go/balrog/public"
	"github.com/balrog-go/balrog/rules"
	"github.com/balrog-go/balrog/store"
	"github.com/balrog-go/balrog/store/gormstore"
	"github.com/balrog-go/balrog/store/storetest"
)

const (
	storyNightlyURL = "/update/6/Firefox/59.0a1/20170101000000/WINNT_x86-msvc/en-US/nightly/Windows_NT%2010.0/ISET:SSE3,MEM:8192/default/default/update.xml"
	storyBetaURL    = "/update/6/Firefox/60.0/20170101000000/WINNT_x86-msvc/en-US/beta/Windows_NT%2010.0/ISET:SSE3,MEM:8192/default/default/update.xml"
	storyReleaseURL = "/update/6/Firefox/59.0/20170101000000/WINNT_x86-msvc/en-US/release/Windows_NT%2010.0/ISET:SSE3,MEM:8192/default/default/update.xml"
	storyNightly    = "Firefox-nightly-latest"
	storyBeta       = "Firefox-61.0b1-build1"
)

// storyBlob is a schema 2 release blob serving WINNT_x86-msvc/en-US.
func storyBlob(name, version, buildID string) []byte {
	const fileURL = "http://download.mozilla.org/?product=%PRODUCT%&os=%OS_BOUNCER%&lang=%LOCALE%"
	return []byte(`{"name":"` + name + `","schema_version":2,"hashFunction":"sha512","appVersion":"` + version +
		`","displayVersion":"` + version + `","platformVersion":"` + version + `",` +
		`"fileUrls":{"nightly":"` + fileURL + `","beta":"` + fileURL + `","release":"` + fileURL + `"},` +
		`"ftpFilenames":{"complete":"x.mar"},"bouncerProducts":{"complete":"firefox-` + version + `-complete"},` +
		`"platforms":{"WINNT_x86-msvc":{"buildID":"` + buildID + `","OS_BOUNCER":"win","OS_FTP":"win32",` +
		`"locales":{"en-US":{"complete":{"filesize":1234,"from":"*","hashValue":"abc"}}}}}}`)
}

// importedDatabase migrates d (pre steps) and imports ds into it.
func importedDatabase(t testing.TB, d storetest.Database, ds store.Dataset) *gormstore.DB {
	t.Helper()
	if r := runCmd(t, nil, "migrate", "pre", "--db", d.URL); r.code != 0 {
		t.Fatalf("migrate pre: %s", r.stderr)
	}
	db, err := gormstore.Open(context.Background(), d.URL, gormstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Import(context.Background(), ds, "test"); err != nil {
		t.Fatal(err)
	}
	return db
}

// storyDatabase migrates d, loads a nightly and a beta rule with their
// releases, and grants balrogadmin admin and alice rules and assertions.
func storyDatabase(t testing.TB, d storetest.Database) *gormstore.DB {
	t.Helper()
	str := func(s string) *string { return &s }
	num := func(n int) *int { return &n }
	ds := store.Dataset{
		Releases: []store.Release{
			{Name: storyNightly, Product: "Firefox", Data: storyBlob(storyNightly, "61.0a1", "20180301000000")},
			{Name: storyBeta, Product: "Firefox", Data: storyBlob(storyBeta, "61.0", "20180201000000")},
		},
		Rules: []rules.Rule{
			{RuleID: 1, Priority: num(100), Mapping: str(storyNightly), BackgroundRate: num(100), UpdateType: "minor", Product: str("Firefox"), Channel: str("nightly"), DataVersion: 1},
			{RuleID: 2, Priority: num(90), Mapping: str(storyBeta), BackgroundRate: num(100), UpdateType: "minor", Product: str("Firefox"), Channel: str("beta"), DataVersion: 1},
		},
	}
	db := importedDatabase(t, d, ds)
	for _, q := range []string{
		"INSERT INTO permissions (permission, username, options, data_version) VALUES ('admin', 'balrogadmin', NULL, 1)",
		"INSERT INTO permissions (permission, username, options, data_version) VALUES ('rule', 'alice@example.com', NULL, 1)",
		`INSERT INTO permissions (permission, username, options, data_version) VALUES ('assertion', 'alice@example.com', '{"products": ["Firefox"]}', 1)`,
	} {
		if _, err := db.SQL().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// storyConfig writes a configuration allowing the story's download host.
func storyConfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(path, []byte(`{"domain_allowlist": {"download.mozilla.org": ["Firefox"]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// adminCall sends an admin API request as user (the dev header) and
// returns the status and the body.
func adminCall(t *testing.T, base, method, path, body, user string) (int, string) {
	t.Helper()
	return adminRequest(t, method, base+path, user, "", body)
}

// TestAssertionStory is the scripted story of rule assertions: a rule
// change that would send Nightly clients to a Beta release is refused
// naming the broken assertion, passes with an admin's override (recorded),
// after which `balrog check` fails; a shutoff is checked too.
func TestAssertionStory(t *testing.T) {
	for _, d := range storetest.Databases(t) {
		t.Run(d.Name, func(t *testing.T) {
			storyDatabase(t, d)
			config := storyConfig(t)
			s := startServe(t, d.URL, "--role", "admin", "--auth", "dev", "--config", config, "--log-level", "error")
			base := "http://" + s.addr("admin") + "/api"
			must := func(method, path, body, user string, status int, want ...string) string {
				t.Helper()
				code, got := adminCall(t, base, method, path, body, user)
				if code != status {
					t.Fatalf("%s %s as %s: %d %s; want %d", method, path, user, code, got, status)
				}
				for _, w := range want {
					if !strings.Contains(got, w) {
						t.Errorf("%s %s as %s: %s lacks %q", method, path, user, got, w)
					}
				}
				return got
			}

			// Assertions for Firefox: nightly stays on nightly, beta on
			// beta, release gets no update.
			must("POST", "/assertions", `{"product": "Firefox", "url": "`+storyNightlyURL+`", "expected_release": "`+storyNightly+`", "comment": "nightly clients stay on nightly"}`, "alice@example.com", 201, `{"assertion_id":1,"data_version":1}`)
			must("POST", "/assertions", `{"product": "Firefox", "url": "`+storyBetaURL+`", "expected_release": "`+storyBeta+`"}`, "alice@example.com", 201, `"assertion_id":2`)
			must("POST", "/assertions", `{"product": "Firefox", "url": "`+storyReleaseURL+`", "expected_release": null}`, "alice@example.com", 201, `"assertion_id":3`)
			if r := runCmd(t, nil, "check", "--db", d.URL, "--config", config); r.code != 0 || !strings.Contains(r.stdout, "3 assertions, 0 failed") {
				t.Fatalf("check before the change: %d\n%s%s", r.code, r.stdout, r.stderr)
			}

			// The change sending Nightly to Beta is refused, naming the
			// assertion with expected and actual release; nothing is written.
			change := `{"data_version": 1, "mapping": "` + storyBeta + `"}`
			must("PUT", "/rules/1", change, "alice@example.com", 400, "AssertionsBroken",
				"assertion 1 (Firefox "+storyNightlyURL+"): expected "+storyNightly+", got "+storyBeta, `"assertion_id":1`, `"actual_release":"`+storyBeta+`"`)
			must("GET", "/rules/1", "", "", 200, `"mapping":"`+storyNightly+`"`, `"data_version":1`)
			// Only an admin may override.
			must("PUT", "/rules/1?override_assertions=1", change, "alice@example.com", 403, "alice@example.com is not allowed to override assertions for product Firefox")
			must("PUT", "/rules/1?override_assertions=1", change, "balrogadmin", 200, `"new_data_version":2`)

			// The change is in the rule's history, the override recorded
			// beside it.
			must("GET", "/rules/1/revisions", "", "", 200, `"mapping":"`+storyBeta+`"`, `"changed_by":"balrogadmin"`)
			var overrides struct {
				Count     int              `json:"count"`
				Overrides []map[string]any `json:"overrides"`
			}
			if err := json.Unmarshal([]byte(must("GET", "/assertions/overrides", "", "", 200)), &overrides); err != nil {
				t.Fatal(err)
			}
			if overrides.Count != 1 {
				t.Fatalf("overrides: %+v", overrides)
			}
			o := overrides.Overrides[0]
			for k, v := range map[string]any{"assertion_id": 1.0, "changed_by": "balrogadmin", "request": "PUT /rules/1",
				"expected_release": storyNightly, "actual_release": storyBeta, "url": storyNightlyURL} {
				if o[k] != v {
					t.Errorf("override %s = %v, want %v", k, o[k], v)
				}
			}

			// balrog check now fails, naming the broken assertion.
			r := runCmd(t, nil, "check", "--db", d.URL, "--config", config)
			if r.code != 1 || !strings.Contains(r.stdout, "FAIL assertion 1 ") || !strings.Contains(r.stdout, "3 assertions, 1 failed") ||
				!strings.Contains(r.stdout, "ok   assertion 2 ") {
				t.Errorf("check after the override: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}

			// Shutting off beta breaks assertion 2: refused as well.
			must("POST", "/emergency_shutoff", `{"product": "Firefox", "channel": "beta"}`, "balrogadmin", 400,
				"assertion 2 (Firefox "+storyBetaURL+"): expected "+storyBeta+", got no update")
			must("GET", "/emergency_shutoff", "", "", 200, `"count":0`)
			// Changes to other products are not judged by Firefox's
			// assertions (assertion 1 stays broken).
			must("POST", "/rules", `{"priority": 1, "backgroundRate": 100, "update_type": "minor", "product": "Thunderbird", "mapping": "`+storyBeta+`"}`, "balrogadmin", 200)
		})
	}
}

// TestAgentEnactmentBreakingAssertion checks that a due scheduled rule
// change whose result breaks an assertion is not enacted: the agent
// counts it as failed and the rule keeps its mapping until the assertion
// goes.
func TestAgentEnactmentBreakingAssertion(t *testing.T) {
	for _, d := range storetest.Databases(t) {
		t.Run(d.Name, func(t *testing.T) {
			srv, call := storyAdmin(t, storyDatabase(t, d))
			if code, body := call("POST", "/assertions", `{"product": "Firefox", "url": "`+storyBetaURL+`", "expected_release": "`+storyBeta+`"}`); code != 201 {
				t.Fatalf("create assertion: %d %s", code, body)
			}
			when := time.Now().Add(time.Hour).UnixMilli()
			sc := fmt.Sprintf(`{"change_type": "update", "rule_id": 2, "data_version": 1, "when": %d, "priority": 90, "mapping": "%s", "backgroundRate": 100, "update_type": "minor", "product": "Firefox", "channel": "beta"}`, when, storyNightly)
			if code, body := call("POST", "/scheduled_changes/rules", sc); code != 200 {
				t.Fatalf("schedule: %d %s", code, body)
			}
			ag := agent.New(srv, agent.Config{Now: func() time.Time { return time.Now().Add(2 * time.Hour) }})
			ctx := context.Background()
			res, err := ag.Pass(ctx)
			if err != nil || res.Failed != 1 || res.Enacted != 0 {
				t.Fatalf("pass with the assertion: %+v, %v; want 1 failed, 0 enacted", res, err)
			}
			if _, body := call("GET", "/rules/2", ""); !strings.Contains(body, `"mapping":"`+storyBeta+`"`) {
				t.Errorf("rule 2 changed although its enactment broke an assertion: %s", body)
			}
			if _, body := call("GET", "/scheduled_changes/rules", ""); !strings.Contains(body, `"count":1`) {
				t.Errorf("the scheduled change is no longer pending: %s", body)
			}
			err = srv.EnactChange(ctx, admin.FamilyRules, 1, 0)
			var broken *admin.BrokenAssertions
			if !errors.As(err, &broken) || len(broken.Results) != 1 || broken.Results[0].Assertion.AssertionID != 1 {
				t.Errorf("EnactChange: %v; want the broken assertion 1", err)
			}
			if code, body := call("DELETE", "/assertions/1?data_version=1", ""); code != 200 {
				t.Fatalf("delete assertion: %d %s", code, body)
			}
			if res, err := ag.Pass(ctx); err != nil || res.Enacted != 1 || res.Failed != 0 {
				t.Fatalf("pass without the assertion: %+v, %v; want 1 enacted", res, err)
			}
			if _, body := call("GET", "/rules/2", ""); !strings.Contains(body, `"mapping":"`+storyNightly+`"`) {
				t.Errorf("rule 2 after enactment: %s", body)
			}
		})
	}
}

// TestAssertionsGuardEveryWrite checks that each kind of write that changes
// an asserted answer is refused with nothing written, and that writes that
// change no asserted answer pass.
func TestAssertionsGuardEveryWrite(t *testing.T) {
	olderBeta, err := json.Marshal(string(storyBlob(storyBeta, "59.0", "20180201000000")))
	if err != nil {
		t.Fatal(err)
	}
	unrelated, err := json.Marshal(string(storyBlob("Firefox-unmapped", "62.0", "20180401000000")))
	if err != nil {
		t.Fatal(err)
	}
	when := time.Now().Add(time.Hour).UnixMilli()
	cases := []struct {
		name  string
		steps []string // method, path, body triples done before the checked write
		write [3]string
		// broken is the assertion the write breaks, 0 when it must pass.
		broken int
	}{
		{name: "rule create", write: [3]string{"POST", "/rules", `{"priority": 200, "backgroundRate": 100, "update_type": "minor", "product": "Firefox", "channel": "nightly", "mapping": "` + storyBeta + `"}`}, broken: 1},
		{name: "rule update by POST", write: [3]string{"POST", "/rules/1", `{"data_version": 1, "mapping": "` + storyBeta + `"}`}, broken: 1},
		{name: "rule delete", write: [3]string{"DELETE", "/rules/2?data_version=1", ""}, broken: 2},
		{name: "rule moved to every product", write: [3]string{"PUT", "/rules/2", `{"data_version": 1, "product": null, "channel": "nightly", "priority": 200}`}, broken: 1},
		{name: "release replaced", write: [3]string{"PUT", "/releases/" + storyBeta, `{"name": "` + storyBeta + `", "product": "Firefox", "data_version": 1, "blob": ` + string(olderBeta) + `}`}, broken: 2},
		{name: "emergency shutoff", write: [3]string{"POST", "/emergency_shutoff", `{"product": "Firefox", "channel": "nightly"}`}, broken: 1},
		{name: "scheduled change enacted by hand",
			steps: []string{"POST", "/scheduled_changes/rules", fmt.Sprintf(`{"change_type": "delete", "rule_id": 1, "data_version": 1, "when": %d}`, when)},
			write: [3]string{"POST", "/scheduled_changes/rules/1/enact", ""}, broken: 1},
		{name: "unmapped release", write: [3]string{"PUT", "/releases/Firefox-unmapped", `{"name": "Firefox-unmapped", "product": "Firefox", "blob": ` + string(unrelated) + `}`}},
		{name: "rule priority change keeping answers", write: [3]string{"PUT", "/rules/1", `{"data_version": 1, "priority": 150}`}},
	}
	for _, fresh := range []struct {
		name string
		open func(testing.TB) storetest.Database
	}{{"sqlite", storetest.SQLite}, {"mysql", storetest.MySQL}} {
		t.Run(fresh.name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					db := storyDatabase(t, fresh.open(t))
					_, h := storyAdmin(t, db)
					for _, a := range []string{
						`{"product": "Firefox", "url": "` + storyNightlyURL + `", "expected_release": "` + storyNightly + `"}`,
						`{"product": "Firefox", "url": "` + storyBetaURL + `", "expected_release": "` + storyBeta + `"}`,
					} {
						if code, body := h("POST", "/assertions", a); code != 201 {
							t.Fatalf("create assertion: %d %s", code, body)
						}
					}
					for i := 0; i < len(c.steps); i += 3 {
						if code, body := h(c.steps[i], c.steps[i+1], c.steps[i+2]); code >= 300 {
							t.Fatalf("%s %s: %d %s", c.steps[i], c.steps[i+1], code, body)
						}
					}
					before, err := db.ChangeMarker(context.Background())
					if err != nil {
						t.Fatal(err)
					}
					code, body := h(c.write[0], c.write[1], c.write[2])
					after, err := db.ChangeMarker(context.Background())
					if err != nil {
						t.Fatal(err)
					}
					if c.broken == 0 {
						if code >= 300 {
							t.Errorf("%d %s; want it to pass", code, body)
						}
						return
					}
					if code != 400 || !strings.Contains(body, fmt.Sprintf("assertion %d (", c.broken)) {
						t.Errorf("%d %s; want 400 naming assertion %d", code, body, c.broken)
					}
					if before != after {
						t.Errorf("a refused write changed the data: %s -> %s", before, after)
					}
				})
			}
		})
	}
}

// storyAdmin returns the admin API over db with the public role's
// evaluator, and a function calling it as balrogadmin.
func storyAdmin(t testing.TB, db *gormstore.DB) (*admin.Server, func(method, path, body string) (int, string)) {
	t.Helper()
	allow, err := blobs.NewAllowlist([]blobs.AllowlistHost{{Host: "download.mozilla.org", Products: []string{"Firefox"}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := admin.New(gormstore.NewAdminStore(db), admin.Config{Auth: auth.NewDev(), Allowlist: allow,
		Evaluator: publicEvaluator{cfg: public.Config{Allowlist: allow}}})
	h := srv.Handler()
	return srv, func(method, path, body string) (int, string) {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(auth.DevUserHeader, "balrogadmin")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
}
