package gormstore

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/balrog-go/balrog/rules"
	"github.com/balrog-go/balrog/store"
	"github.com/balrog-go/balrog/store/storetest"
)

// The generated data set: "old" objects were written 100 days ago, "new"
// ones now; the cleanup cutoff is 30 days.
var (
	cleanupNow    = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	cleanupOld    = cleanupNow.Add(-100 * 24 * time.Hour)
	cleanupCutoff = cleanupNow.Add(-30 * 24 * time.Hour).UnixMilli()
)

const orphans = 7

// cleanupKept are the releases a cleanup must keep, and why.
var cleanupKept = map[string]string{
	"R-rule":       "mapping of rule 1",
	"R-fallback":   "fallbackMapping of rule 1",
	"R-pin":        "pinned",
	"R-sc-rule":    "mapping of a pending rule change",
	"R-sc-release": "a pending release change",
	"R-sc-pin":     "mapping of a pending pin change",
	"R-part":       "part of superblob R-super",
	"R-new":        "written after the cutoff",
	"R-updated":    "updated after the cutoff",
	"R-no-history": "no history: its age is unknown",
	"R-rule3":      "mapping of rule 3, written after the cutoff",
	"R-assert":     "expected by assertion 1",
}

// cleanupDeleted are the releases it must delete.
func cleanupDeleted() []string {
	out := []string{"R-sc-rule-done", "R-super"}
	for i := range orphans {
		out = append(out, fmt.Sprintf("R-orphan-%02d", i))
	}
	sort.Strings(out)
	return out
}

func blobOf(name string) []byte {
	return []byte(`{"name":"` + name + `","schema_version":1}`)
}

// generateCleanupData writes the data set through the store's own import
// (so history rows are as the admin API writes them), with the clock set
// to when each object was written.
func generateCleanupData(t *testing.T, d storetest.Database) *DB {
	t.Helper()
	ctx := context.Background()
	db := openMigrated(t, d)
	at := func(when time.Time, ds store.Dataset) {
		t.Helper()
		db.nowFunc = func() time.Time { return when }
		if err := db.Import(ctx, ds, "gen"); err != nil {
			t.Fatal(err)
		}
	}
	rel := func(names ...string) []store.Release {
		var out []store.Release
		for _, n := range names {
			out = append(out, store.Release{Name: n, Product: "Firefox", Data: blobOf(n)})
		}
		return out
	}
	s := func(v string) *string { return &v }
	old := rel("R-rule", "R-fallback", "R-pin", "R-sc-rule", "R-sc-rule-done", "R-sc-release", "R-sc-pin", "R-part", "R-updated", "R-assert")
	for i := range orphans {
		old = append(old, rel(fmt.Sprintf("R-orphan-%02d", i))...)
	}
	old = append(old, store.Release{Name: "R-super", Product: "SystemAddons", Data: []byte(`{"name":"R-super","schema_version":4000,"blobs":["R-part"]}`)})
	at(cleanupOld, store.Dataset{
		Releases: old,
		Rules: []rules.Rule{
			{RuleID: 1, Mapping: s("R-rule"), FallbackMapping: s("R-fallback"), UpdateType: "minor", Product: s("Firefox")},
			{RuleID: 2, Mapping: s("R-rule"), UpdateType: "minor", Product: s("Firefox"), Channel: s("gone")},
		},
		Pins:     []rules.Pin{{Product: "Firefox", Channel: "release", Version: "60.", Mapping: "R-pin"}},
		Shutoffs: []rules.Shutoff{{Product: "Firefox", Channel: "off"}},
		Assertions: []store.Assertion{
			{AssertionID: 1, Product: "Firefox", URL: "/update/6/Firefox/1.0/1/WINNT_x86-msvc/en-US/assert/a/b/default/default/update.xml", ExpectedRelease: s("R-assert")},
			{AssertionID: 2, Product: "Firefox", URL: "/update/6/Firefox/1.0/1/WINNT_x86-msvc/en-US/off/a/b/default/default/update.xml"},
		},
	})
	db.nowFunc = func() time.Time { return cleanupOld }
	if _, err := db.GrantAdmin(ctx, "ops@example.com", "gen"); err != nil {
		t.Fatal(err)
	}
	// Rule 2 was deleted long ago: its three history rows are all old.
	exec(t, db, "DELETE FROM rules WHERE rule_id = 2")
	exec(t, db, "INSERT INTO rules_history (changed_by, timestamp, rule_id) VALUES ('gen', ?, 2)", cleanupOld.UnixMilli()+5)
	// Scheduled changes: pending ones keep their releases, a completed
	// one does not.
	exec(t, db, "INSERT INTO rules_scheduled_changes (scheduled_by, complete, change_type, base_mapping, base_update_type, data_version) VALUES ('gen', 0, 'insert', 'R-sc-rule', 'minor', 1)")
	exec(t, db, "INSERT INTO rules_scheduled_changes (scheduled_by, complete, change_type, base_mapping, base_update_type, data_version) VALUES ('gen', 1, 'insert', 'R-sc-rule-done', 'minor', 2)")
	exec(t, db, "INSERT INTO releases_scheduled_changes (scheduled_by, complete, change_type, base_name, base_product, base_data_version, data_version) VALUES ('gen', 0, 'delete', 'R-sc-release', 'Firefox', 1, 1)")
	exec(t, db, "INSERT INTO pinnable_releases_scheduled_changes (scheduled_by, complete, change_type, base_product, base_version, base_channel, base_mapping, data_version) VALUES ('gen', 0, 'insert', 'Firefox', '61.', 'beta', 'R-sc-pin', 1)")
	// A release with no history at all.
	exec(t, db, "INSERT INTO releases (name, product, read_only, data, data_version) VALUES ('R-no-history', 'Firefox', 0, ?, 1)", string(blobOf("R-no-history")))

	at(cleanupNow, store.Dataset{
		Releases: rel("R-new", "R-rule3"),
		Rules:    []rules.Rule{{RuleID: 3, Mapping: s("R-rule3"), UpdateType: "minor", Product: s("Firefox"), Channel: s("new")}},
	})
	// R-updated changed recently.
	exec(t, db, "UPDATE releases SET data_version = 2 WHERE name = 'R-updated'")
	exec(t, db, "INSERT INTO releases_history (changed_by, timestamp, name, product, data, data_version) VALUES ('gen', ?, 'R-updated', 'Firefox', ?, 2)", cleanupNow.UnixMilli(), string(blobOf("R-updated")))
	db.nowFunc = func() time.Time { return cleanupNow }
	return db
}

func exec(t testing.TB, db *DB, q string, args ...any) {
	t.Helper()
	if _, err := db.sql.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// dbState is every release name and every history row id, by table.
func dbState(t *testing.T, db *DB) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	tables, err := db.gorm.Migrator().GetTables()
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range tables {
		var q string
		switch {
		case table == "releases":
			q = "SELECT name FROM releases ORDER BY name"
		case strings.HasSuffix(table, "_history"):
			q = "SELECT CAST(change_id AS CHAR) FROM `" + table + "` ORDER BY change_id"
		default:
			continue
		}
		var v []string
		if err := db.gorm.Raw(q).Scan(&v).Error; err != nil {
			t.Fatal(err)
		}
		out[table] = v
	}
	return out
}

func TestCleanup(t *testing.T) {
	ctx := context.Background()
	for _, d := range storetest.Databases(t) {
		t.Run(d.Name, func(t *testing.T) {
			db := generateCleanupData(t, d)
			before := dbState(t, db)

			// A dry run lists what a real run deletes, and deletes nothing.
			var dryListed []string
			dry, err := db.Cleanup(ctx, CleanupOptions{CutoffMillis: cleanupCutoff, DryRun: true, ChangedBy: "cleanup", Release: func(n string) { dryListed = append(dryListed, n) }})
			if err != nil {
				t.Fatal(err)
			}
			if after := dbState(t, db); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Fatalf("the dry run changed the database:\nbefore %v\nafter  %v", before, after)
			}
			if dry.Batches != 0 {
				t.Errorf("dry run reports %d batches", dry.Batches)
			}

			var listed []string
			rep, err := db.Cleanup(ctx, CleanupOptions{CutoffMillis: cleanupCutoff, ChangedBy: "cleanup", Release: func(n string) { listed = append(listed, n) }})
			if err != nil {
				t.Fatal(err)
			}
			if want := cleanupDeleted(); !slices.Equal(rep.Releases, want) || !slices.Equal(listed, want) || !slices.Equal(dryListed, want) {
				t.Errorf("deleted releases %v (listed %v, dry run %v), want %v", rep.Releases, listed, dryListed, want)
			}
			if fmt.Sprint(dry.History) != fmt.Sprint(rep.History) {
				t.Errorf("dry run counts %v, real run deleted %v", dry.History, rep.History)
			}
			after := dbState(t, db)
			var remaining []string
			for name := range cleanupKept {
				remaining = append(remaining, name)
			}
			sort.Strings(remaining)
			if !slices.Equal(after["releases"], remaining) {
				t.Errorf("releases left %v, want %v", after["releases"], remaining)
			}

			// History: nothing older than the cutoff is left but the newest
			// revision of an object that exists, and every object kept its
			// newest revision.
			for _, table := range []string{"rules_history", "releases_history", "permissions_history", "emergency_shutoffs_history", "pinnable_releases_history", "assertions_history"} {
				key := HistoryKey(table)
				base := strings.TrimSuffix(table, "_history")
				cols := "`" + strings.Join(key, "`, `") + "`"
				var stale int64
				q := fmt.Sprintf("SELECT COUNT(*) FROM `%s` h WHERE h.timestamp < ? AND (h.change_id < (SELECT MAX(k.change_id) FROM `%s` k WHERE %s) OR NOT EXISTS (SELECT 1 FROM `%s` b WHERE %s))",
					table, table, joinMatch(key, "k", "h"), base, joinMatch(key, "b", "h"))
				if err := db.gorm.Raw(q, cleanupCutoff).Scan(&stale).Error; err != nil {
					t.Fatal(err)
				}
				var orphaned int64
				q = fmt.Sprintf("SELECT COUNT(*) FROM `%s` b WHERE NOT EXISTS (SELECT 1 FROM `%s` h WHERE %s AND h.data_version IS NOT NULL)", base, table, joinMatch(key, "h", "b"))
				if table != "releases_history" { // R-no-history never had any
					if err := db.gorm.Raw(q).Scan(&orphaned).Error; err != nil {
						t.Fatal(err)
					}
				}
				if stale != 0 || orphaned != 0 {
					t.Errorf("%s (%s): %d stale rows left, %d objects lost their last revision", table, cols, stale, orphaned)
				}
			}
			// Concretely: rule 1 keeps its full row, rule 2's three rows
			// went, rule 3's two recent rows stay.
			var ruleRows []struct{ RuleID, DataVersion int }
			if err := db.gorm.Raw("SELECT rule_id, COALESCE(data_version, 0) AS data_version FROM rules_history ORDER BY change_id").Scan(&ruleRows).Error; err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(ruleRows); got != "[{1 1} {3 0} {3 1}]" {
				t.Errorf("rules_history left %q, want 1:1 3:0 3:1", got)
			}
			if rep.History["rules_history"] != 4 {
				t.Errorf("rules_history: %d rows deleted, want 4 (rule 1's marker, rule 2's three rows)", rep.History["rules_history"])
			}
			// Each deleted release is recorded, and its old history went.
			var markers int64
			db.gorm.Raw("SELECT COUNT(*) FROM releases_history WHERE changed_by = 'cleanup' AND data_version IS NULL").Scan(&markers)
			var leftover int64
			db.gorm.Raw("SELECT COUNT(*) FROM releases_history WHERE changed_by <> 'cleanup' AND name IN ?", cleanupDeleted()).Scan(&leftover)
			if int(markers) != len(cleanupDeleted()) || leftover != 0 {
				t.Errorf("deletion markers %d (want %d), old rows of deleted releases left %d", markers, len(cleanupDeleted()), leftover)
			}

			// A second run finds nothing more (R-part's superblob is gone
			// now, so it goes; nothing else does).
			again, err := db.Cleanup(ctx, CleanupOptions{CutoffMillis: cleanupCutoff, ChangedBy: "cleanup"})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(again.Releases, []string{"R-part"}) {
				t.Errorf("second run deleted %v, want [R-part]", again.Releases)
			}
		})
	}
}

func joinMatch(key []string, a, b string) string {
	var out []string
	for _, c := range key {
		out = append(out, fmt.Sprintf("%s.`%s` = %s.`%s`", a, c, b, c))
	}
	return strings.Join(out, " AND ")
}

// TestCleanupInBatches deletes the same rows with a batch size of 3 as with
// the default, in as many batches as the rows need.
func TestCleanupInBatches(t *testing.T) {
	ctx := context.Background()
	whole, batched := storetest.Databases(t), storetest.Databases(t)
	for i := range whole {
		t.Run(whole[i].Name, func(t *testing.T) {
			a, b := generateCleanupData(t, whole[i]), generateCleanupData(t, batched[i])
			repA, err := a.Cleanup(ctx, CleanupOptions{CutoffMillis: cleanupCutoff, ChangedBy: "cleanup"})
			if err != nil {
				t.Fatal(err)
			}
			var progress []string
			repB, err := b.Cleanup(ctx, CleanupOptions{CutoffMillis: cleanupCutoff, ChangedBy: "cleanup", BatchSize: 3,
				Progress: func(table string, done int) { progress = append(progress, fmt.Sprintf("%s:%d", table, done)) }})
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(repA.Releases, repA.History) != fmt.Sprint(repB.Releases, repB.History) {
				t.Fatalf("batch size 3 deleted %v %v, default %v %v", repB.Releases, repB.History, repA.Releases, repA.History)
			}
			if sa, sb := dbState(t, a), dbState(t, b); fmt.Sprint(sa) != fmt.Sprint(sb) {
				t.Errorf("the databases differ after cleanup:\n%v\n%v", sa, sb)
			}
			ceil3 := func(n int) int { return (n + 2) / 3 }
			want := ceil3(len(repB.Releases))
			perTable := len(repA.History) // the default size needs one batch per table
			for _, n := range repB.History {
				want += ceil3(n)
			}
			if repB.Batches != want || repB.Batches <= repA.Batches || repA.Batches != 1+perTable {
				t.Errorf("batches: %d with size 3 (want %d), %d with the default (want %d)", repB.Batches, want, repA.Batches, 1+perTable)
			}
			if len(progress) != repB.Batches {
				t.Errorf("%d progress reports for %d batches: %v", len(progress), repB.Batches, progress)
			}
			t.Logf("%d releases and %v history rows in %d batches of 3", len(repB.Releases), repB.History, repB.Batches)
		})
	}
}

// TestCleanupKnowsEveryHistoryTable fails when a migration adds a history
// table whose object key cleanup does not know: add it to historyKeys.
func TestCleanupKnowsEveryHistoryTable(t *testing.T) {
	db := openMigrated(t, storetest.SQLite(t))
	tables, err := db.gorm.Migrator().GetTables()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, table := range tables {
		if !strings.HasSuffix(table, "_history") {
			continue
		}
		n++
		key := HistoryKey(table)
		if key == nil {
			t.Errorf("%s: no key in historyKeys", table)
			continue
		}
		base := strings.TrimSuffix(table, "_history")
		for _, c := range key {
			if !db.gorm.Migrator().HasColumn(table, c) || !db.gorm.Migrator().HasColumn(base, c) {
				t.Errorf("%s or %s has no column %s", table, base, c)
			}
		}
	}
	if n < 30 {
		t.Errorf("only %d history tables found", n)
	}
}

// BenchmarkCleanupHistory deletes 20,000 old rules_history rows of 2,000
// live rules (keeping each rule's newest row) in batches of 500.
func BenchmarkCleanupHistory(b *testing.B) {
	for _, d := range storetest.Databases(b) {
		b.Run(d.Name, func(b *testing.B) { benchmarkCleanupHistory(b, d) })
	}
}

func benchmarkCleanupHistory(b *testing.B, d storetest.Database) {
	const rulesN, revisions = 2000, 11
	ctx := context.Background()
	db := openMigrated(b, d)
	for b.Loop() {
		b.StopTimer()
		exec(b, db, "DELETE FROM rules")
		exec(b, db, "DELETE FROM rules_history")
		err := db.gorm.Transaction(func(tx *gorm.DB) error {
			for id := 1; id <= rulesN; id++ {
				if err := tx.Exec("INSERT INTO rules (rule_id, update_type, data_version) VALUES (?, 'minor', ?)", id, revisions).Error; err != nil {
					return err
				}
				for v := 1; v <= revisions; v++ {
					if err := tx.Exec("INSERT INTO rules_history (changed_by, timestamp, rule_id, update_type, data_version) VALUES ('gen', ?, ?, 'minor', ?)", cleanupOld.UnixMilli()+int64(v), id, v).Error; err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		rep, err := db.Cleanup(ctx, CleanupOptions{CutoffMillis: cleanupCutoff, ChangedBy: "cleanup", BatchSize: 500})
		if err != nil || rep.History["rules_history"] != rulesN*(revisions-1) {
			b.Fatalf("%v %v", rep.History, err)
		}
	}
	b.ReportMetric(float64(rulesN*(revisions-1)), "rows/op")
}
