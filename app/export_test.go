package app

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/balrog-go/balrog/store/gormstore"
	"github.com/balrog-go/balrog/store/storetest"
)

// TestExportRoundTrip imports every conformance scenario, exports it,
// imports the export into a fresh database and replays every case against
// both: the copy must answer exactly as the original (status, recorded
// headers, body), and as the recording where the recording binds. A second
// export, of the copy, must equal the first file for file.
func TestExportRoundTrip(t *testing.T) {
	scenarios := scenarioDirs(t)
	for _, dir := range scenarios {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			cases := readCases(t, filepath.Join(dir, "cases.jsonl"))
			config := filepath.Join(dir, "config.json")
			originals, copies := storetest.Databases(t), storetest.Databases(t)
			for i, orig := range originals {
				cp := copies[i]
				t.Run(orig.Name, func(t *testing.T) {
					for _, url := range []string{orig.URL, cp.URL} {
						if r := runCmd(t, nil, "migrate", "pre", "--db", url); r.code != 0 {
							t.Fatalf("migrate pre: %s", r.stderr)
						}
					}
					quiet := []string{"--log-format", "text", "--log-level", "error", "--config", config}
					if r := runCmd(t, nil, append([]string{"import", "--skip-validation", "--db", orig.URL, dir}, quiet...)...); r.code != 0 {
						t.Fatalf("import: %s", r.stderr)
					}
					exported := filepath.Join(t.TempDir(), "export")
					r := runCmd(t, nil, append([]string{"export", "--db", orig.URL, exported}, quiet...)...)
					if r.code != 0 {
						t.Fatalf("export: %s", r.stderr)
					}
					releases, _ := filepath.Glob(filepath.Join(dir, "releases", "*.json"))
					got, _ := filepath.Glob(filepath.Join(exported, "releases", "*.json"))
					if len(got) != len(releases) || !strings.Contains(r.stdout, "exported ") {
						t.Fatalf("exported %d release files, want %d (%s)", len(got), len(releases), r.stdout)
					}
					if r := runCmd(t, nil, append([]string{"import", "--skip-validation", "--db", cp.URL, exported}, quiet...)...); r.code != 0 {
						t.Fatalf("import of the export: %s", r.stderr)
					}
					if a, b := counts(t, orig.URL), counts(t, cp.URL); a["releases"] != b["releases"] || a["rules"] != b["rules"] ||
						a["emergency_shutoffs"] != b["emergency_shutoffs"] || a["pinnable_releases"] != b["pinnable_releases"] {
						t.Fatalf("row counts: original %v, copy %v", a, b)
					}

					again := filepath.Join(t.TempDir(), "again")
					if r := runCmd(t, nil, append([]string{"export", "--db", cp.URL, again}, quiet...)...); r.code != 0 {
						t.Fatalf("export of the copy: %s", r.stderr)
					}
					compareTrees(t, exported, again)

					a := &rawClient{addr: startServe(t, orig.URL, "--role", "public", "--config", config, "--log-level", "error").addr("public")}
					b := &rawClient{addr: startServe(t, cp.URL, "--role", "public", "--config", config, "--log-level", "error").addr("public")}
					defer a.reset()
					defer b.reset()
					differ := 0
					for _, c := range cases {
						ra, bodyA, errA := a.do(c.Method, c.Path, c.Headers)
						rb, bodyB, errB := b.do(c.Method, c.Path, c.Headers)
						if errA != nil || errB != nil {
							t.Fatalf("case %s: %v / %v", c.ID, errA, errB)
						}
						why := sameAnswer(ra, bodyA, rb, bodyB)
						if why == "" && !c.Free {
							why = compareCase(c, rb, bodyB)
						}
						if why != "" {
							if differ++; differ <= 15 {
								t.Errorf("case %s: %s %s: %s", c.ID, c.Method, c.Path, why)
							}
						}
					}
					t.Logf("%s/%s: %d cases, %d differ", name, orig.Name, len(cases), differ)
				})
			}
		})
	}
}

// TestExportAssertionsRoundTrip checks that rule assertions survive export
// and import: assertions.json lists them (ids with a gap, a data_version
// above 1, a null expected release), the copy holds them with their history
// rows, `balrog check` passes on both databases, a second export is byte
// for byte the first, and an assertion created on the copy takes the next
// free id.
func TestExportAssertionsRoundTrip(t *testing.T) {
	originals, copies := storetest.Databases(t), storetest.Databases(t)
	for i, orig := range originals {
		cp := copies[i]
		t.Run(orig.Name, func(t *testing.T) {
			config := storyConfig(t)
			_, call := storyAdmin(t, storyDatabase(t, orig))
			for _, step := range []struct {
				method, path, body string
				status             int
			}{
				{"POST", "/assertions", `{"product": "Firefox", "url": "` + storyNightlyURL + `", "expected_release": "` + storyNightly + `", "comment": "nightly stays on nightly"}`, 201},
				{"POST", "/assertions", `{"product": "Firefox", "url": "` + storyBetaURL + `", "expected_release": "` + storyBeta + `"}`, 201},
				{"POST", "/assertions", `{"product": "Firefox", "url": "` + storyReleaseURL + `", "expected_release": null}`, 201},
				{"POST", "/assertions", `{"product": "Firefox", "url": "` + storyReleaseURL + `", "expected_release": null, "comment": "release gets no update"}`, 201},
				{"DELETE", "/assertions/3?data_version=1", "", 200},
				{"PUT", "/assertions/2", `{"data_version": 1, "comment": "beta stays on beta"}`, 200},
			} {
				if code, body := call(step.method, step.path, step.body); code != step.status {
					t.Fatalf("%s %s: %d %s", step.method, step.path, code, body)
				}
			}
			quiet := []string{"--log-format", "text", "--log-level", "error", "--config", config}
			check := func(url string) {
				t.Helper()
				if r := runCmd(t, nil, append([]string{"check", "--db", url}, quiet...)...); r.code != 0 || !strings.Contains(r.stdout, "3 assertions, 0 failed") {
					t.Fatalf("check %s: exit %d\n%s%s", url, r.code, r.stdout, r.stderr)
				}
			}
			check(orig.URL)

			exported := filepath.Join(t.TempDir(), "export")
			r := runCmd(t, nil, append([]string{"export", "--db", orig.URL, exported}, quiet...)...)
			if r.code != 0 || !strings.Contains(r.stdout, ", 3 assertions from ") {
				t.Fatalf("export: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			b, err := os.ReadFile(filepath.Join(exported, "assertions.json"))
			if err != nil {
				t.Fatal(err)
			}
			var listed []map[string]any
			if err := json.Unmarshal(b, &listed); err != nil {
				t.Fatal(err)
			}
			want := []map[string]any{
				{"assertion_id": 1.0, "product": "Firefox", "url": storyNightlyURL, "expected_release": storyNightly, "comment": "nightly stays on nightly", "data_version": 1.0},
				{"assertion_id": 2.0, "product": "Firefox", "url": storyBetaURL, "expected_release": storyBeta, "comment": "beta stays on beta", "data_version": 2.0},
				{"assertion_id": 4.0, "product": "Firefox", "url": storyReleaseURL, "expected_release": nil, "comment": "release gets no update", "data_version": 1.0},
			}
			if len(listed) != len(want) {
				t.Fatalf("assertions.json: %s", b)
			}
			for i, w := range want {
				if len(listed[i]) != len(w) {
					t.Errorf("assertion %d: keys %v, want %v", i, listed[i], w)
				}
				for k, v := range w {
					if listed[i][k] != v {
						t.Errorf("assertion %d: %s = %v, want %v", i, k, listed[i][k], v)
					}
				}
			}

			if r := runCmd(t, nil, "migrate", "pre", "--db", cp.URL); r.code != 0 {
				t.Fatalf("migrate pre: %s", r.stderr)
			}
			if r := runCmd(t, nil, append([]string{"import", "--db", cp.URL, exported}, quiet...)...); r.code != 0 || !strings.Contains(r.stdout, ", 3 assertions into ") {
				t.Fatalf("import of the export: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			if n := counts(t, cp.URL); n["assertions"] != 3 || n["assertions_history"] != 6 {
				t.Errorf("copy holds %d assertions with %d history rows, want 3 and 6", n["assertions"], n["assertions_history"])
			}
			check(cp.URL)
			again := filepath.Join(t.TempDir(), "again")
			if r := runCmd(t, nil, append([]string{"export", "--db", cp.URL, again}, quiet...)...); r.code != 0 {
				t.Fatalf("export of the copy: %s", r.stderr)
			}
			compareTrees(t, exported, again)

			copyDB, err := gormstore.Open(context.Background(), cp.URL, gormstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer copyDB.Close()
			if _, err := copyDB.SQL().Exec("INSERT INTO permissions (permission, username, options, data_version) VALUES ('admin', 'balrogadmin', NULL, 1)"); err != nil {
				t.Fatal(err)
			}
			_, callCopy := storyAdmin(t, copyDB)
			if code, body := callCopy("POST", "/assertions", `{"product": "Firefox", "url": "`+storyBetaURL+`", "expected_release": "`+storyBeta+`"}`); code != 201 || !strings.Contains(body, `"assertion_id":5`) {
				t.Errorf("new assertion on the copy: %d %s, want assertion_id 5", code, body)
			}
		})
	}
}

// sameAnswer returns why two answers to one request differ, or "".
func sameAnswer(a *http.Response, bodyA []byte, b *http.Response, bodyB []byte) string {
	if a.StatusCode != b.StatusCode {
		return "status " + a.Status + " became " + b.Status
	}
	for _, name := range recordedHeaders {
		if va, vb := a.Header.Values(name), b.Header.Values(name); strings.Join(va, "\n") != strings.Join(vb, "\n") || len(va) != len(vb) {
			return "header " + name + ": " + strings.Join(va, ",") + " became " + strings.Join(vb, ",")
		}
	}
	if !bytes.Equal(bodyA, bodyB) {
		return "body differs:\n original: " + string(bodyA) + "\n     copy: " + string(bodyB)
	}
	return ""
}

// compareTrees fails unless two directories hold the same files with the
// same bytes.
func compareTrees(t *testing.T, a, b string) {
	t.Helper()
	files := func(root string) map[string][]byte {
		out := map[string][]byte{}
		filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			out[rel], _ = os.ReadFile(path)
			return nil
		})
		return out
	}
	fa, fb := files(a), files(b)
	if len(fa) != len(fb) {
		t.Errorf("exports hold %d and %d files", len(fa), len(fb))
	}
	for name, body := range fa {
		if other, ok := fb[name]; !ok {
			t.Errorf("second export lacks %s", name)
		} else if !bytes.Equal(body, other) {
			t.Errorf("%s differs between the exports", name)
		}
	}
}

func TestExportRefusesNonEmptyDir(t *testing.T) {
	d := storetest.SQLite(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rules.json"), []byte("[]"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCmd(t, nil, "export", "--db", d.URL, "--log-format", "text", dir)
	if r.code == 0 || !strings.Contains(r.stderr, "is not empty") {
		t.Fatalf("code %d, stderr %q", r.code, r.stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "rules.json")); string(b) != "[]" {
		t.Errorf("rules.json was overwritten: %q", b)
	}
}

func TestExportRefusesDatabaseWithoutSchema(t *testing.T) {
	d := storetest.SQLite(t)
	dir := filepath.Join(t.TempDir(), "out")
	r := runCmd(t, nil, "export", "--db", d.URL, "--log-format", "text", dir)
	if r.code != 3 || !strings.Contains(r.stderr, "pre-deploy schema step") {
		t.Fatalf("code %d, stderr %q", r.code, r.stderr)
	}
}
