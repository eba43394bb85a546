package app

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/balrog-go/balrog/migrations"
	"github.com/balrog-go/balrog/store/storetest"
)

// schemaOf returns SHOW CREATE TABLE of every table of a database, without
// AUTO_INCREMENT counters, for comparing two schemas.
func schemaOf(t *testing.T, db *sql.DB) map[string]string {
	t.Helper()
	rows, err := db.Query("SHOW TABLES")
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	out := map[string]string{}
	for _, name := range tables {
		if strings.HasPrefix(name, "goose_db_version") {
			continue
		}
		var n, ddl string
		if err := db.QueryRow("SHOW CREATE TABLE `"+name+"`").Scan(&n, &ddl); err != nil {
			t.Fatal(err)
		}
		var kept []string
		for _, part := range strings.Fields(ddl) {
			if !strings.HasPrefix(part, "AUTO_INCREMENT=") {
				kept = append(kept, part)
			}
		}
		out[name] = strings.Join(kept, " ")
	}
	return out
}

// sameSchema compares a database's schema with a cleanly migrated one.
func sameSchema(t *testing.T, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d tables, want %d", len(got), len(want))
	}
	for name, ddl := range want {
		if got[name] != ddl {
			t.Errorf("table %s:\n got %s\nwant %s", name, got[name], ddl)
		}
	}
}

// TestMigratePreInterrupted kills the database, or the migrate process,
// while `migrate pre` runs its steps, at several points; afterwards
// `migrate pre` completes and the schema is the one a clean run gives.
func TestMigratePreInterrupted(t *testing.T) {
	m := storetest.PrivateMariaDB(t)
	clean := m.CreateDatabase("clean")
	if r := runCmd(t, nil, "migrate", "pre", "--db", clean); r.code != 0 {
		t.Fatalf("clean migrate pre: %s", r.stderr)
	}
	want := schemaOf(t, m.Open("clean"))
	for _, kill := range []string{"database", "process"} {
		for _, at := range []int{3, 20, 50} {
			name := fmt.Sprintf("interrupted_%s_%d", kill, at)
			url := m.CreateDatabase(name)
			db := m.Open(name)
			// migrate pre runs as its own process, so either it or the
			// database can be killed.
			proc := startMain(t, "migrate", "pre", "--db", url)
			applied := func() int {
				var n int
				_ = db.QueryRow("SELECT COUNT(*) FROM `" + migrations.VersionTable(migrations.Pre) + "` WHERE version_id > 0").Scan(&n)
				return n
			}
			deadline := time.Now().Add(time.Minute)
			for applied() < at {
				select {
				case <-proc.exited:
					t.Fatalf("migrate pre finished (%v) before step %d: the kill point is past the end", proc.err, at)
				default:
				}
				if time.Now().After(deadline) {
					t.Fatalf("step %d not reached within a minute", at)
				}
				time.Sleep(2 * time.Millisecond)
			}
			if kill == "database" {
				m.Stop()
			} else {
				_ = proc.cmd.Process.Kill()
			}
			<-proc.exited
			if proc.err == nil {
				t.Fatalf("migrate pre, %s killed after step %d, exited 0", kill, at)
			}
			if kill == "database" {
				m.Start()
			}
			partial := applied()
			if r := runCmd(t, nil, "migrate", "pre", "--db", url); r.code != 0 {
				t.Fatalf("migrate pre re-run after the %s was killed at step %d: %d %s", kill, at, r.code, r.stderr)
			}
			status := runCmd(t, nil, "migrate", "status", "--db", url)
			if status.code != 0 || !strings.Contains(status.stdout, "\n1 pending\n") {
				t.Errorf("status after the re-run (post's one step pending): %s", status.stdout)
			}
			sameSchema(t, schemaOf(t, db), want)
			t.Logf("%s killed after %d pre steps were recorded; the re-run completed the rest (%d tables)", kill, partial, len(want))
		}
	}
}

// TestMigratePreStepDoneButNotRecorded: a kill can land between a step's
// DDL and goose's row that records it. Every step must then run again
// cleanly: each is written to be idempotent.
func TestMigratePreStepDoneButNotRecorded(t *testing.T) {
	m := storetest.PrivateMariaDB(t)
	url := m.CreateDatabase("balrog")
	if r := runCmd(t, nil, "migrate", "pre", "--db", url); r.code != 0 {
		t.Fatalf("migrate pre: %s", r.stderr)
	}
	db := m.Open("balrog")
	want := schemaOf(t, db)
	// Forget every step: each one's effect is present, its record is not.
	if _, err := db.Exec("DELETE FROM `" + migrations.VersionTable(migrations.Pre) + "` WHERE version_id > 0"); err != nil {
		t.Fatal(err)
	}
	if r := runCmd(t, nil, "migrate", "pre", "--db", url); r.code != 0 {
		t.Fatalf("migrate pre over applied but unrecorded steps: %d %s", r.code, r.stderr)
	}
	sameSchema(t, schemaOf(t, db), want)
	var stamps int
	if err := db.QueryRow("SELECT COUNT(*) FROM alembic_version").Scan(&stamps); err != nil || stamps != 1 {
		t.Errorf("alembic_version has %d rows (%v), want 1", stamps, err)
	}
}
