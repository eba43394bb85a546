package app

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/balrog-go/balrog/store/gormstore"
	"github.com/balrog-go/balrog/store/storetest"
)

// writeCleanupScenario writes a scenario: release Keep is mapped by rule 1,
// Orphan-1..3 by nothing.
func writeCleanupScenario(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "releases"), 0o755)
	for _, name := range []string{"Keep", "Orphan-1", "Orphan-2", "Orphan-3"} {
		body := `{"name": "` + name + `", "product": "Firefox", "data": {"name": "` + name + `", "schema_version": 1}}`
		if err := os.WriteFile(filepath.Join(dir, "releases", name+".json"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rules := `[{"rule_id": 1, "priority": 100, "mapping": "Keep", "backgroundRate": 100, "update_type": "minor", "product": "Firefox", "data_version": 1}]`
	if err := os.WriteFile(filepath.Join(dir, "rules.json"), []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCleanupCommand(t *testing.T) {
	for _, d := range storetest.Databases(t) {
		t.Run(d.Name, func(t *testing.T) {
			if r := runCmd(t, nil, "migrate", "pre", "--db", d.URL); r.code != 0 {
				t.Fatalf("migrate pre: %s", r.stderr)
			}
			if r := runCmd(t, nil, "import", "--skip-validation", "--log-level", "error", "--db", d.URL, "--log-format", "text", writeCleanupScenario(t)); r.code != 0 {
				t.Fatalf("import: %s", r.stderr)
			}
			// Nothing is old yet: nothing goes.
			r := runCmd(t, nil, "cleanup", "--older-than", "30d", "--db", d.URL, "--log-format", "text")
			if r.code != 0 || !strings.Contains(r.stdout, "deleted 0 releases and 0 history rows in 0 batches") {
				t.Fatalf("fresh data: code %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			// Age every history row by 100 days.
			db, err := gormstore.Open(t.Context(), d.URL, gormstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, table := range []string{"releases_history", "rules_history"} {
				if _, err := db.SQL().Exec("UPDATE " + table + " SET timestamp = timestamp - 8640000000"); err != nil {
					t.Fatal(err)
				}
			}
			db.Close()
			before := counts(t, d.URL)

			dry := runCmd(t, nil, "cleanup", "--older-than", "30d", "--dry-run", "--db", d.URL, "--log-format", "text")
			if dry.code != 0 {
				t.Fatalf("dry run: %s", dry.stderr)
			}
			if after := counts(t, d.URL); after["releases"] != before["releases"] || after["releases_history"] != before["releases_history"] || after["rules_history"] != before["rules_history"] {
				t.Fatalf("the dry run changed counts %v to %v", before, after)
			}
			real := runCmd(t, nil, "cleanup", "--older-than=720h", "--batch-size=1", "--db", d.URL, "--log-format", "text")
			if real.code != 0 {
				t.Fatalf("cleanup: %s", real.stderr)
			}
			wantLines := []string{
				"deleted release Orphan-1", "deleted release Orphan-2", "deleted release Orphan-3",
				// Keep's marker, every row of the orphans.
				"deleted 7 rows of releases_history",
				"deleted 1 rows of rules_history",
			}
			lines := strings.Split(strings.TrimSpace(real.stdout), "\n")
			if len(lines) != len(wantLines)+1 || strings.Join(lines[:len(wantLines)], "\n") != strings.Join(wantLines, "\n") {
				t.Errorf("cleanup printed:\n%s\nwant first:\n%s", real.stdout, strings.Join(wantLines, "\n"))
			}
			// Batch size 1: one batch per row.
			if !regexp.MustCompile(`deleted 3 releases and 8 history rows in 11 batches\n$`).MatchString(real.stdout) {
				t.Errorf("summary: %q", lines[len(lines)-1])
			}
			// The dry run printed the same lines, as "would delete".
			if want := strings.ReplaceAll(strings.Join(lines[:len(wantLines)], "\n"), "deleted", "would delete"); !strings.HasPrefix(dry.stdout, want+"\n") {
				t.Errorf("dry run printed:\n%s\nwant:\n%s", dry.stdout, want)
			}
			if strings.ContainsAny(real.stdout+dry.stdout, "\r\033") {
				t.Errorf("progress written to a non-terminal: %q", real.stdout)
			}
			after := counts(t, d.URL)
			if after["releases"] != 1 || after["rules"] != 1 || after["releases_history"] != 1+3 || after["rules_history"] != 1 {
				t.Errorf("left %v: want Keep with its newest row, 3 deletion markers, rule 1 with its newest row", after)
			}
		})
	}
}

func TestCleanupCommandRefusesBadFlags(t *testing.T) {
	d := storetest.SQLite(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"cleanup"}, "older-than"},
		{[]string{"cleanup", "--older-than", "soon"}, `"soon" is not a duration`},
		{[]string{"cleanup", "--older-than", "-5d"}, "must be positive"},
		{[]string{"cleanup", "--older-than", "0s"}, "must be positive"},
		{[]string{"cleanup", "--older-than", "1d", "--batch-size", "0"}, "--batch-size"},
	}
	for _, c := range cases {
		r := runCmd(t, nil, append(c.args, "--db", d.URL)...)
		if r.code == 0 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: code %d, stderr %q (want %q)", c.args, r.code, r.stderr, c.want)
		}
	}
}

func TestCleanupProgress(t *testing.T) {
	for _, tty := range []bool{true, false} {
		var buf bytes.Buffer
		p := newProgress(&buf, tty)
		p.update("releases", 3)
		p.println("deleted release X")
		p.update("rules_history", 500)
		p.clear()
		want := "deleted release X\n"
		if tty {
			want = "\r\033[Kreleases: 3 rows so far\r\033[Kdeleted release X\n\r\033[Krules_history: 500 rows so far\r\033[K"
		}
		if buf.String() != want {
			t.Errorf("tty %v: %q, want %q", tty, buf.String(), want)
		}
	}
	if isTerminal(&bytes.Buffer{}) {
		t.Error("a buffer is a terminal")
	}
}
