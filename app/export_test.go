package app

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/balrog-go/balrog/store/storetest"
)

// TestExportRoundTrip imports every conformance scenario, exports it,
// imports the export into a fresh database and replays every case against
// both: the copy must answer exactly as the original (status, recorded
// headers, body), and as the recording where the recording binds. A second
// export, of the copy, must equal the first file for file.
func TestExportRoundTrip(t *testing.T) {
	scenarios, _ := filepath.Glob(filepath.Join(sharedDir(t), "conformance", "scenarios", "*"))
	if len(scenarios) == 0 {
		t.Fatal("no scenarios")
	}
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
