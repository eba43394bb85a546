package admin

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/balrog-go/balrog/store/storetest"
)

const (
	v2Name = "Firefox-110.0-build1"
	v2When = "4102444800000"
	v2Blob = `{"name": "Firefox-110.0-build1", "schema_version": 1, "hashFunction": "sha512", "appv": "10.0", "extv": "10.0",
		"platforms": {"WINNT_x86-msvc": {"buildID": "20200101000000", "locales": {
		"en-US": {"complete": {"filesize": 1000, "from": "*", "hashValue": "abcen-US", "fileUrl": "https://archive.mozilla.org/Firefox-110.0-build1/WINNT_x86-msvc/en-US/complete.mar"}},
		"de": {"complete": {"filesize": 1000, "from": "*", "hashValue": "abcde", "fileUrl": "https://archive.mozilla.org/Firefox-110.0-build1/WINNT_x86-msvc/de/complete.mar"}}}}}}`
)

// v2Fixture is an admin handler with one v2 release (base and two assets
// at version 1).
type v2Fixture struct {
	t  *testing.T
	h  http.Handler
	db *sql.DB
}

func newV2Fixture(t *testing.T, dbURL string) *v2Fixture {
	t.Helper()
	h, db := newTestServer(t, dbURL)
	f := &v2Fixture{t: t, h: h, db: db.SQL()}
	f.must("PUT", "/v2/releases/"+v2Name, `{"product": "Firefox", "blob": `+v2Blob+`}`, "balrogadmin", 200)
	return f
}

// must sends a request and fails the test unless it answers want.
func (f *v2Fixture) must(method, path, body, user string, want int) string {
	f.t.Helper()
	code, got := authzRequest(f.h, method, path, body, user)
	if code != want {
		f.t.Fatalf("%s %s: %d %s, want %d", method, path, code, got, want)
	}
	return got
}

// int reads one integer.
func (f *v2Fixture) int(query string, args ...any) int {
	f.t.Helper()
	var n sql.NullInt64
	if err := f.db.QueryRow(query, args...).Scan(&n); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	return int(n.Int64)
}

// snapshot is every row count and version the tests compare before and
// after a refused request.
func (f *v2Fixture) snapshot() string {
	f.t.Helper()
	var b strings.Builder
	for _, q := range []string{
		"SELECT data_version FROM releases_json WHERE name = 'Firefox-110.0-build1'",
		"SELECT SUM(data_version) FROM release_assets",
		"SELECT COUNT(*) FROM releases_json_history",
		"SELECT COUNT(*) FROM release_assets_history",
		"SELECT SUM(data_version) FROM releases_json_scheduled_changes",
		"SELECT SUM(data_version) FROM release_assets_scheduled_changes",
		"SELECT COUNT(*) FROM releases_json_scheduled_changes WHERE complete = 1",
		"SELECT COUNT(*) FROM release_assets_scheduled_changes WHERE complete = 1",
		"SELECT COUNT(*) FROM releases_json_scheduled_changes_history",
		"SELECT COUNT(*) FROM release_assets_scheduled_changes_history",
		"SELECT COUNT(*) FROM releases_json_scheduled_changes_signoffs",
	} {
		fmt.Fprintf(&b, "%s = %d\n", q, f.int(q))
	}
	return b.String()
}

// wantProblem checks an error body's detail and exception.
func wantProblem(t *testing.T, body, detail, exception string) {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	if p["detail"] != detail || p["exception"] != exception {
		t.Errorf("body %s, want detail %q, exception %q", body, detail, exception)
	}
}

// TestV2DirectUpdateMergesIntoPending: a direct v2 write of a row with a
// pending scheduled change is merged into the change when it touches other
// columns (admin.md §8.6), so that the change still applies afterwards.
func TestV2DirectUpdateMergesIntoPending(t *testing.T) {
	for _, d := range storetest.Databases(t) {
		t.Run(d.Name, func(t *testing.T) {
			f := newV2Fixture(t, d.URL)
			f.must("POST", "/v2/releases/"+v2Name, `{"blob": {"appv": "10.0.1"}, "old_data_versions": {".": 1}, "when": `+v2When+`}`, "balrogadmin", 200)
			scBase := func() (dv, readOnly int) {
				return f.int("SELECT base_data_version FROM releases_json_scheduled_changes WHERE sc_id = 1"),
					f.int("SELECT base_read_only FROM releases_json_scheduled_changes WHERE sc_id = 1")
			}

			// read_only is not what the change changes: merged.
			f.must("PUT", "/v2/releases/"+v2Name+"/read_only", `{"read_only": true, "old_data_version": 1}`, "balrogadmin", 200)
			if dv, ro := scBase(); dv != 2 || ro != 1 {
				t.Fatalf("pending change targets version %d, read_only %d; want 2, 1", dv, ro)
			}
			f.must("PUT", "/v2/releases/"+v2Name+"/read_only", `{"read_only": false, "old_data_version": 2}`, "balrogadmin", 200)
			if dv, ro := scBase(); dv != 3 || ro != 0 {
				t.Fatalf("pending change targets version %d, read_only %d; want 3, 0", dv, ro)
			}
			if n := f.int("SELECT data_version FROM releases_json_scheduled_changes WHERE sc_id = 1"); n != 3 {
				t.Errorf("pending change at sc_data_version %d after two merges, want 3", n)
			}

			// The merged change enacts cleanly on the current row.
			f.must("POST", "/v2/releases/"+v2Name+"/enact", "", "balrogadmin", 200)
			got := f.must("GET", "/v2/releases/"+v2Name, "", "", 200)
			var rel struct {
				Blob         map[string]any `json:"blob"`
				DataVersions map[string]any `json:"data_versions"`
			}
			if err := json.Unmarshal([]byte(got), &rel); err != nil {
				t.Fatal(err)
			}
			if rel.Blob["appv"] != "10.0.1" || rel.DataVersions["."] != float64(4) {
				t.Errorf("after enact: appv %v at version %v, want 10.0.1 at 4", rel.Blob["appv"], rel.DataVersions["."])
			}
		})
	}
}

// TestV2DirectUpdateConflicts: a direct v2 write that changes what a pending
// change changes is refused with UpdateMergeError (an asset deletion with
// ChangeScheduledError), and nothing of the request is written.
func TestV2DirectUpdateConflicts(t *testing.T) {
	for _, d := range storetest.Databases(t) {
		t.Run(d.Name, func(t *testing.T) {
			f := newV2Fixture(t, d.URL)
			de := `{"complete": {"filesize": 2000}}`
			f.must("POST", "/v2/releases/"+v2Name, `{"blob": {"appv": "10.0.1", "platforms": {"WINNT_x86-msvc": {"locales": {"de": `+de+`}}}},
				"old_data_versions": {".": 1, "platforms": {"WINNT_x86-msvc": {"locales": {"de": 1}}}}, "when": `+v2When+`}`, "balrogadmin", 200)
			before := f.snapshot()

			cases := []struct {
				name, method, body, detail, exception string
			}{
				{"base data", "POST", `{"blob": {"appv": "10.0.2"}, "old_data_versions": {".": 1}}`,
					"UpdateMergeError", "Couldn't perform the request POST due to merge error. Is there a scheduled change that conflicts with yours?"},
				// en-US has no pending change; de has one that changes
				// it, so neither is written.
				{"asset data", "POST", `{"blob": {"platforms": {"WINNT_x86-msvc": {"locales": {"en-US": {"complete": {"filesize": 3000}}, "de": {"complete": {"filesize": 3000}}}}}},
					"old_data_versions": {".": 1, "platforms": {"WINNT_x86-msvc": {"locales": {"en-US": 1, "de": 1}}}}}`,
					"UpdateMergeError", "Couldn't perform the request POST due to merge error. Is there a scheduled change that conflicts with yours?"},
				{"asset deletion", "PUT", `{"blob": ` + strings.Replace(v2Blob, `"de": {"complete": {"filesize": 1000, "from": "*", "hashValue": "abcde", "fileUrl": "https://archive.mozilla.org/Firefox-110.0-build1/WINNT_x86-msvc/de/complete.mar"}}`, `"fr": {"complete": {"filesize": 1000, "from": "*", "hashValue": "abcfr", "fileUrl": "https://archive.mozilla.org/Firefox-110.0-build1/WINNT_x86-msvc/fr/complete.mar"}}`, 1) + `,
					"old_data_versions": {".": 1, "platforms": {"WINNT_x86-msvc": {"locales": {"en-US": 1, "de": 1}}}}}`,
					"ChangeScheduledError", "Couldn't perform the request PUT due a conflict with a scheduled change. Cannot delete rows that have changes scheduled."},
				// A stale version is still OutdatedDataError, not a merge error.
				{"stale base", "POST", `{"blob": {"appv": "10.0.2"}, "old_data_versions": {".": 7}}`,
					"OutdatedDataError", "Couldn't perform the request POST. Outdated Data Version. old_data_version doesn't match current data_version"},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					body := f.must(c.method, "/v2/releases/"+v2Name, c.body, "balrogadmin", 400)
					wantProblem(t, body, c.detail, c.exception)
					if after := f.snapshot(); after != before {
						t.Errorf("refused request wrote:\nbefore:\n%s\nafter:\n%s", before, after)
					}
				})
			}
		})
	}
}

// TestV2EnactVerifiesSignoffsFirst: an enactment refused for missing
// signoffs writes nothing, not even the completion of the changes before the
// one that fails, and the changes can be enacted once signed off.
func TestV2EnactVerifiesSignoffsFirst(t *testing.T) {
	for _, d := range storetest.Databases(t) {
		t.Run(d.Name, func(t *testing.T) {
			f := newV2Fixture(t, d.URL)
			for _, s := range []struct{ method, path, body string }{
				{"POST", "/rules", `{"priority": 100, "backgroundRate": 100, "update_type": "minor", "product": "Firefox", "channel": "release", "mapping": "` + v2Name + `"}`},
				{"PUT", "/users/alice@example.com/permissions/release", `{"options": null}`},
				{"PUT", "/users/alice@example.com/roles/releng", ``},
				{"POST", "/required_signoffs/product", `{"product": "Firefox", "channel": "release", "role": "releng", "signoffs_required": 1}`},
			} {
				code, body := authzRequest(f.h, s.method, s.path, s.body, "balrogadmin")
				if code >= 300 {
					t.Fatalf("%s %s: %d %s", s.method, s.path, code, body)
				}
			}
			// balrogadmin holds no role: the changes have no signoff.
			f.must("POST", "/v2/releases/"+v2Name, `{"blob": {"appv": "10.0.1", "platforms": {"WINNT_x86-msvc": {"locales": {"de": {"complete": {"filesize": 2000}}}}}},
				"old_data_versions": {".": 1, "platforms": {"WINNT_x86-msvc": {"locales": {"de": 1}}}}, "when": `+v2When+`}`, "balrogadmin", 200)
			histMax := f.int("SELECT MAX(change_id) FROM releases_json_scheduled_changes_history")
			before := f.snapshot()

			body := f.must("POST", "/v2/releases/"+v2Name+"/enact", "", "balrogadmin", 400)
			wantProblem(t, body, "Signoff Required", "No Signoffs given")
			if after := f.snapshot(); after != before {
				t.Fatalf("refused enact wrote:\nbefore:\n%s\nafter:\n%s", before, after)
			}

			f.must("PUT", "/v2/releases/"+v2Name+"/signoff", `{"role": "releng"}`, "alice@example.com", 200)
			f.must("POST", "/v2/releases/"+v2Name+"/enact", "", "balrogadmin", 200)
			// Nothing was written by the refused enact, not even history
			// rows rolled back (MySQL does not give their ids back).
			if n := f.int("SELECT MIN(change_id) FROM releases_json_scheduled_changes_history WHERE change_id > ?", histMax); n != histMax+1 {
				t.Errorf("first history row after the refused enact has change_id %d, want %d: the refused enact wrote and rolled back", n, histMax+1)
			}
			if n := f.int("SELECT COUNT(*) FROM releases_json_scheduled_changes WHERE complete = 1") + f.int("SELECT COUNT(*) FROM release_assets_scheduled_changes WHERE complete = 1"); n != 2 {
				t.Errorf("%d changes complete after the signed-off enact, want 2", n)
			}
			if v := f.int("SELECT data_version FROM releases_json WHERE name = ?", v2Name); v != 2 {
				t.Errorf("release at version %d after enact, want 2", v)
			}
		})
	}
}
