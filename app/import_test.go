package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/balrog-go/balrog/store/gormstore"
	"github.com/balrog-go/balrog/store/storetest"
)

// counts reads how many releases, rules, shutoffs and pins a database holds,
// and how many rows their history tables hold.
func counts(t *testing.T, url string) map[string]int {
	t.Helper()
	db, err := gormstore.Open(context.Background(), url, gormstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string]int{}
	for _, table := range []string{"releases", "releases_history", "rules", "rules_history", "emergency_shutoffs", "pinnable_releases", "assertions", "assertions_history"} {
		var n int
		if err := db.SQL().QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		out[table] = n
	}
	return out
}

// copyDir copies a scenario so a test can corrupt it.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestImportEveryScenario(t *testing.T) {
	scenarios := scenarioDirs(t)
	for _, dir := range scenarios {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			for _, d := range storetest.Databases(t) {
				t.Run(d.Name, func(t *testing.T) {
					// MySQL needs its schema first; the embedded default migrates itself.
					if r := runCmd(t, nil, "migrate", "pre", "--db", d.URL); r.code != 0 {
						t.Fatalf("migrate pre: %s", r.stderr)
					}
					r := runCmd(t, nil, "import", "--skip-validation", "--db", d.URL, "--log-format", "text", dir)
					if r.code != 0 {
						t.Fatalf("import %s: code %d\n%s", name, r.code, r.stderr)
					}
					releases, _ := filepath.Glob(filepath.Join(dir, "releases", "*.json"))
					got := counts(t, d.URL)
					if got["releases"] != len(releases) {
						t.Errorf("%d releases imported, want %d", got["releases"], len(releases))
					}
					if got["rules"] == 0 || got["rules_history"] != 2*got["rules"] || got["releases_history"] != 2*got["releases"] {
						t.Errorf("rows and history: %v (want a marker and a full history row per insert)", got)
					}
				})
			}
		})
	}
}

func TestImportRefusesCorruptScenario(t *testing.T) {
	src := filepath.Join(sharedDir(t), "conformance", "scenarios", "firefox-modern")
	corruptions := []struct {
		name    string
		corrupt func(t *testing.T, dir string)
		want    string
	}{
		{"truncated release", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "releases", "Firefox-56.0-build1.json")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)/2], 0o644)
		}, "Firefox-56.0-build1.json"},
		{"release without product", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "releases", "CDM-16.json"), []byte(`{"name": "CDM-16", "data": {"name": "CDM-16", "schema_version": 1000}}`), 0o644)
		}, "key product is required"},
		{"rule with a bad type", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "rules.json")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, []byte(strings.Replace(string(b), `"priority": 100`, `"priority": "high"`, 1)), 0o644)
		}, "rules.json: key priority"},
		{"rule with an unknown key", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "rules.json")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, []byte(strings.Replace(string(b), `"rule_id": 1,`, `"rule_id": 1, "whitelist": "x",`, 1)), 0o644)
		}, "rules.json"},
		// The database refuses the second rule 1 after the releases and the
		// first rules were written: the transaction must undo them all.
		{"duplicate rule id", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "rules.json")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, []byte(strings.Replace(string(b), `"rule_id": 2,`, `"rule_id": 1,`, 1)), 0o644)
		}, "rule 1"},
		{"shutoff without channel", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "shutoffs.json"), []byte(`[{"product": "Firefox"}]`), 0o644)
		}, "shutoffs.json"},
		{"assertion without url", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "assertions.json"), []byte(`[{"assertion_id": 1, "product": "Firefox", "expected_release": null}]`), 0o644)
		}, "assertions.json: assertion 1: product and url"},
		{"assertion with an unknown key", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "assertions.json"), []byte(`[{"assertion_id": 1, "product": "Firefox", "url": "/update/6/x", "expected": null}]`), 0o644)
		}, "assertions.json"},
		// The database refuses the second assertion 1 after everything
		// else was written: the transaction must undo it all.
		{"duplicate assertion id", func(t *testing.T, dir string) {
			a := `{"assertion_id": 1, "product": "Firefox", "url": "/update/6/Firefox/56.0/x/WINNT_x86-msvc/en-US/release/a/b/default/default/update.xml", "expected_release": null, "comment": null, "data_version": 1}`
			os.WriteFile(filepath.Join(dir, "assertions.json"), []byte("["+a+", "+a+"]"), 0o644)
		}, "assertion 1"},
	}
	for _, c := range corruptions {
		t.Run(c.name, func(t *testing.T) {
			for _, d := range storetest.Databases(t) {
				t.Run(d.Name, func(t *testing.T) {
					dir := copyDir(t, src)
					c.corrupt(t, dir)
					if r := runCmd(t, nil, "migrate", "pre", "--db", d.URL); r.code != 0 {
						t.Fatalf("migrate pre: %s", r.stderr)
					}
					r := runCmd(t, nil, "import", "--skip-validation", "--db", d.URL, "--log-format", "text", dir)
					if r.code == 0 {
						t.Fatalf("corrupt scenario imported: %s", r.stdout)
					}
					if !strings.Contains(r.stderr, c.want) {
						t.Errorf("error %q does not name %q", r.stderr, c.want)
					}
					for table, n := range counts(t, d.URL) {
						if n != 0 {
							t.Errorf("refused import left %d rows in %s", n, table)
						}
					}
				})
			}
		})
	}
}

func TestCreateAdmin(t *testing.T) {
	for _, d := range storetest.Databases(t) {
		t.Run(d.Name, func(t *testing.T) {
			if r := runCmd(t, nil, "migrate", "pre", "--db", d.URL); r.code != 0 {
				t.Fatalf("migrate pre: %s", r.stderr)
			}
			first := runCmd(t, nil, "create-admin", "ops@example.com", "--db", d.URL)
			second := runCmd(t, nil, "create-admin", "ops@example.com", "--db", d.URL)
			if first.code != 0 || second.code != 0 {
				t.Fatalf("create-admin: %v / %v", first, second)
			}
			if !strings.Contains(first.stdout, "is now an admin") || !strings.Contains(second.stdout, "already") {
				t.Errorf("outputs: %q then %q", first.stdout, second.stdout)
			}
			db, err := gormstore.Open(context.Background(), d.URL, gormstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var perms, hist int
			db.SQL().QueryRow("SELECT COUNT(*) FROM permissions WHERE permission = 'admin' AND username = 'ops@example.com' AND options IS NULL").Scan(&perms)
			db.SQL().QueryRow("SELECT COUNT(*) FROM permissions_history WHERE username = 'ops@example.com' AND changed_by = 'create-admin'").Scan(&hist)
			if perms != 1 || hist != 2 {
				t.Errorf("permissions rows %d (want 1), history rows %d (want 2)", perms, hist)
			}
		})
	}
}

func TestImportValidatesBlobs(t *testing.T) {
	src := filepath.Join(sharedDir(t), "conformance", "scenarios", "firefox-modern")
	config := filepath.Join(src, "config.json")
	d := storetest.SQLite(t)
	if r := runCmd(t, nil, "migrate", "pre", "--db", d.URL); r.code != 0 {
		t.Fatalf("migrate pre: %s", r.stderr)
	}

	// Two Guardian blobs of this scenario point at a host its allowlist
	// lacks: real Balrog's admin would refuse them too.
	r := runCmd(t, nil, "import", "--db", d.URL, "--config", config, src)
	if r.code == 0 || !strings.Contains(r.stderr, "Guardian-1.0.0.0.json") || !strings.Contains(r.stderr, "forbidden domain") {
		t.Fatalf("import without --skip-validation: code %d, stderr %q", r.code, r.stderr)
	}
	if n := counts(t, d.URL)["releases"]; n != 0 {
		t.Fatalf("refused import wrote %d releases", n)
	}

	// Without them, the rest validates and imports.
	dir := copyDir(t, src)
	for _, f := range []string{"Guardian-1.0.0.0.json", "Guardian-2.1.0.0.json"} {
		if err := os.Remove(filepath.Join(dir, "releases", f)); err != nil {
			t.Fatal(err)
		}
	}
	if r := runCmd(t, nil, "import", "--db", d.URL, "--config", config, dir); r.code != 0 {
		t.Fatalf("import of valid blobs: %s", r.stderr)
	}

	// A wrong field is named with its path.
	bad := copyDir(t, src)
	p := filepath.Join(bad, "releases", "Firefox-56.0-build1.json")
	b, _ := os.ReadFile(p)
	os.WriteFile(p, []byte(strings.Replace(string(b), `"hashFunction": "sha512"`, `"hashFunction": 512`, 1)), 0o644)
	r = runCmd(t, nil, "import", "--db", storetest.SQLite(t).URL, "--config", config, bad)
	if r.code == 0 || !strings.Contains(r.stderr, "Firefox-56.0-build1.json") || !strings.Contains(r.stderr, "hashFunction") {
		t.Fatalf("bad field: code %d, stderr %q", r.code, r.stderr)
	}
}
