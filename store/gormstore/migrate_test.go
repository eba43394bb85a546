package gormstore

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/balrog-go/balrog/migrations"
	"github.com/balrog-go/balrog/store"
	"github.com/balrog-go/balrog/store/storetest"
)

func TestSQLiteDDL(t *testing.T) {
	in := "CREATE TABLE IF NOT EXISTS `rules` (\n" +
		"  `rule_id` INT NOT NULL AUTO_INCREMENT,\n" +
		"  `alias` VARCHAR(50) NULL,\n" +
		"  PRIMARY KEY (`rule_id`),\n" +
		"  UNIQUE KEY `alias_unique` (`alias`)\n" +
		") ENGINE=InnoDB;"
	want := "CREATE TABLE IF NOT EXISTS `rules` (\n" +
		"  `rule_id` INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,\n" +
		"  `alias` VARCHAR(50) NULL,\n" +
		"  CONSTRAINT `alias_unique` UNIQUE (`alias`)\n" +
		");"
	if got := sqliteDDL(in); got != want {
		t.Errorf("sqliteDDL:\n%s\nwant:\n%s", got, want)
	}
	// A composite key is kept; only the auto-increment key moves.
	in = "CREATE TABLE `x` (\n  `a` INT NOT NULL,\n  `b` INT NOT NULL,\n  PRIMARY KEY (`a`, `b`)\n) ENGINE=InnoDB;"
	want = "CREATE TABLE `x` (\n  `a` INT NOT NULL,\n  `b` INT NOT NULL,\n  PRIMARY KEY (`a`, `b`)\n);"
	if got := sqliteDDL(in); got != want {
		t.Errorf("sqliteDDL:\n%s\nwant:\n%s", got, want)
	}
	// SQLite's DROP INDEX names no table.
	if got := sqliteDDL("DROP INDEX `i` ON `t`;"); got != "DROP INDEX `i`;" {
		t.Errorf("sqliteDDL(DROP INDEX … ON …) = %q", got)
	}
	// The trailing key line loses its comma duty to the previous line.
	in = "CREATE TABLE `h` (\n  `change_id` INT NOT NULL AUTO_INCREMENT,\n  `data_version` INT NULL,\n  PRIMARY KEY (`change_id`)\n) ENGINE=InnoDB;"
	want = "CREATE TABLE `h` (\n  `change_id` INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,\n  `data_version` INT NULL\n);"
	if got := sqliteDDL(in); got != want {
		t.Errorf("sqliteDDL:\n%s\nwant:\n%s", got, want)
	}
}

func TestMigratePhases(t *testing.T) {
	ctx := context.Background()
	pre, _ := knownSteps(migrations.Pre)
	post, _ := knownSteps(migrations.Post)
	if len(pre) == 0 || len(post) == 0 {
		t.Fatalf("embedded steps: %d pre, %d post; want both non-empty", len(pre), len(post))
	}
	for _, d := range storetest.Databases(t) {
		t.Run(d.Name, func(t *testing.T) {
			db, err := Open(ctx, d.URL, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()

			state, err := db.SchemaState(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(state.Pending[migrations.Pre]) != len(pre) {
				t.Fatalf("fresh database: %d pre pending, want %d", len(state.Pending[migrations.Pre]), len(pre))
			}

			// post refuses while pre is pending, and writes nothing.
			if _, err := db.Migrate(ctx, migrations.Post); !errors.Is(err, store.ErrPendingMigrations) {
				t.Fatalf("migrate post before pre: err = %v, want ErrPendingMigrations", err)
			} else if !strings.Contains(err.Error(), "balrog migrate pre") {
				t.Errorf("refusal %q does not say what to run", err)
			}
			if ok, _ := db.tableExists(ctx, "rules"); ok {
				t.Fatal("refused post created tables")
			}

			applied, err := db.Migrate(ctx, migrations.Pre)
			if err != nil {
				t.Fatal(err)
			}
			if len(applied) != len(pre) {
				t.Errorf("migrate pre applied %d steps, want %d", len(applied), len(pre))
			}
			state, _ = db.SchemaState(ctx)
			if len(state.Pending[migrations.Pre]) != 0 || len(state.Pending[migrations.Post]) != len(post) {
				t.Errorf("after pre: pending %d pre, %d post; want 0, %d", len(state.Pending[migrations.Pre]), len(state.Pending[migrations.Post]), len(post))
			}
			// Re-running is a no-op.
			if again, err := db.Migrate(ctx, migrations.Pre); err != nil || len(again) != 0 {
				t.Errorf("second migrate pre: %d applied, %v; want 0, nil", len(again), err)
			}

			// The destructive step really runs: a legacy table goes away.
			if _, err := db.SQL().ExecContext(ctx, "CREATE TABLE migrate_version (repository_id VARCHAR(250) NOT NULL, version INT)"); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Migrate(ctx, migrations.Post); err != nil {
				t.Fatal(err)
			}
			if ok, _ := db.tableExists(ctx, "migrate_version"); ok {
				t.Error("post did not drop migrate_version")
			}

			steps, err := db.Status(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range steps {
				if !s.Applied {
					t.Errorf("step %s/%d %s not applied after both phases", s.Phase, s.Version, s.Name)
				}
			}

			// A newer release ran its pre steps: this binary still runs and
			// reports them as unknown rather than pending.
			if _, err := db.SQL().ExecContext(ctx, "INSERT INTO "+migrations.VersionTable(migrations.Pre)+" (version_id, is_applied) VALUES (99999, 1)"); err != nil {
				t.Fatal(err)
			}
			state, err = db.SchemaState(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(state.Pending[migrations.Pre]) != 0 || len(state.Unknown[migrations.Pre]) != 1 || state.Unknown[migrations.Pre][0] != 99999 {
				t.Errorf("with a newer step: pending=%v unknown=%v", state.Pending[migrations.Pre], state.Unknown[migrations.Pre])
			}
		})
	}
}

// TestConcurrentMigratePre runs two migrate pre at once against MySQL: the
// advisory lock makes one wait for the other, and every step is recorded once.
func TestConcurrentMigratePre(t *testing.T) {
	d := storetest.MySQL(t)
	ctx := context.Background()
	const runners = 3
	var wg sync.WaitGroup
	errs := make([]error, runners)
	counts := make([]int, runners)
	for i := range runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := Open(ctx, d.URL, Options{})
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			applied, err := db.Migrate(ctx, migrations.Pre)
			errs[i], counts[i] = err, len(applied)
		}()
	}
	wg.Wait()
	total := 0
	for i := range runners {
		if errs[i] != nil {
			t.Errorf("runner %d: %v", i, errs[i])
		}
		total += counts[i]
	}
	pre, _ := knownSteps(migrations.Pre)
	if total != len(pre) {
		t.Errorf("runners applied %d steps in all, want exactly %d", total, len(pre))
	}
	db, err := Open(ctx, d.URL, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows, distinct int
	if err := db.SQL().QueryRow("SELECT COUNT(*), COUNT(DISTINCT version_id) FROM "+migrations.VersionTable(migrations.Pre)+" WHERE version_id > 0").Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows != len(pre) || distinct != len(pre) {
		t.Errorf("version table has %d rows (%d distinct), want %d", rows, distinct, len(pre))
	}
}
