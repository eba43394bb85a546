package gormstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"

	"github.com/balrog-go/balrog/metrics"
	"github.com/balrog-go/balrog/migrations"
	"github.com/balrog-go/balrog/store"
)

// Step is one migration file of a phase.
type Step struct {
	Phase     migrations.Phase
	Version   int64
	Name      string
	Applied   bool
	AppliedAt time.Time
}

// SchemaState compares the database with this binary's migrations.
type SchemaState struct {
	// Pending are this binary's steps the database has not applied, per phase.
	Pending map[migrations.Phase][]Step
	// Unknown are versions the database has applied that this binary does
	// not know: a newer release ran its pre-deploy steps.
	Unknown map[migrations.Phase][]int64
}

// migrationLock names the MySQL advisory lock that serialises runners.
const migrationLock = "balrog_migrations"

// migrationLockWait bounds how long a runner waits for another to finish.
const migrationLockWait = 10 * time.Minute

func (db *DB) provider(phase migrations.Phase) (*goose.Provider, database.Store, error) {
	src := migrations.FS(phase)
	dialect := database.DialectMySQL
	opts := []goose.ProviderOption{}
	if db.target.Dialect == SQLite {
		dialect = database.DialectSQLite3
		translated, err := sqliteFS(src)
		if err != nil {
			return nil, nil, err
		}
		src = translated
	}
	st, err := database.NewStore(dialect, migrations.VersionTable(phase))
	if err != nil {
		return nil, nil, fmt.Errorf("goose store: %w", err)
	}
	opts = append(opts, goose.WithStore(st))
	p, err := goose.NewProvider(goose.DialectCustom, db.sql, src, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("goose provider for %s: %w", phase, err)
	}
	return p, st, nil
}

// Migrate applies the pending steps of one phase and returns those applied.
// The post phase refuses while a pre step is pending.
func (db *DB) Migrate(ctx context.Context, phase migrations.Phase) ([]Step, error) {
	if phase == migrations.Post {
		state, err := db.SchemaState(ctx)
		if err != nil {
			return nil, err
		}
		if n := len(state.Pending[migrations.Pre]); n > 0 {
			return nil, fmt.Errorf("migrate post: %d pre-deploy step(s) pending, run `balrog migrate pre` first: %w", n, store.ErrPendingMigrations)
		}
	}
	p, st, err := db.provider(phase)
	if err != nil {
		return nil, err
	}
	if db.target.Dialect == MySQL {
		unlock, err := db.lockMigrations(ctx)
		if err != nil {
			return nil, err
		}
		defer unlock()
	}
	var applied []Step
	results, err := p.Up(ctx)
	for {
		for _, r := range results {
			if r.Error == nil {
				applied = append(applied, Step{Phase: phase, Version: r.Source.Version, Name: stepName(r.Source.Path), Applied: true})
			}
		}
		done, ok := doneButUnrecorded(err)
		if !ok || (len(applied) > 0 && applied[len(applied)-1].Version == done.Version) {
			break
		}
		// The step ran before an interruption (a killed process or
		// database) kept goose from recording it: record it, go on.
		if ierr := st.Insert(ctx, db.sql, database.InsertRequest{Version: done.Version}); ierr != nil {
			break
		}
		applied = append(applied, Step{Phase: phase, Version: done.Version, Name: stepName(done.Path), Applied: true})
		results, err = p.Up(ctx)
	}
	if len(applied) > 0 {
		_ = db.metrics.Count(metrics.MigrationsApplied, int64(len(applied)), []string{"phase:" + string(phase)}, 1)
	}
	if err != nil {
		return applied, fmt.Errorf("migrate %s: %w", phase, err)
	}
	return applied, nil
}

// doneButUnrecorded recognises a MySQL step that failed only because its
// effect is already there: MySQL commits each DDL statement on its own, so a
// kill between a step's statement and goose's record of it leaves the step
// done but pending. The CREATE TABLE steps say IF NOT EXISTS; CREATE INDEX
// has no such clause in MySQL 8, so its "duplicate key name" (1061) is
// taken as done.
func doneButUnrecorded(err error) (*goose.Source, bool) {
	var pe *goose.PartialError
	var me *mysql.MySQLError
	if !errors.As(err, &pe) || pe.Failed == nil || !errors.As(err, &me) || me.Number != 1061 {
		return nil, false
	}
	return pe.Failed.Source, true
}

// Status lists every step of both phases with whether it is applied.
func (db *DB) Status(ctx context.Context) ([]Step, error) {
	var out []Step
	for _, phase := range migrations.Phases {
		applied, err := db.appliedVersions(ctx, phase)
		if err != nil {
			return nil, err
		}
		known, err := knownSteps(phase)
		if err != nil {
			return nil, err
		}
		for _, s := range known {
			if at, ok := applied[s.Version]; ok {
				s.Applied, s.AppliedAt = true, at
			}
			out = append(out, s)
		}
	}
	return out, nil
}

// SchemaState reads the version tables without creating or changing anything.
func (db *DB) SchemaState(ctx context.Context) (SchemaState, error) {
	state := SchemaState{Pending: map[migrations.Phase][]Step{}, Unknown: map[migrations.Phase][]int64{}}
	for _, phase := range migrations.Phases {
		applied, err := db.appliedVersions(ctx, phase)
		if err != nil {
			return state, err
		}
		known, err := knownSteps(phase)
		if err != nil {
			return state, err
		}
		knownSet := map[int64]bool{}
		for _, s := range known {
			knownSet[s.Version] = true
			if _, ok := applied[s.Version]; !ok {
				state.Pending[phase] = append(state.Pending[phase], s)
			}
		}
		for v := range applied {
			if !knownSet[v] {
				state.Unknown[phase] = append(state.Unknown[phase], v)
			}
		}
		slices.Sort(state.Unknown[phase])
	}
	return state, nil
}

// appliedVersions reads a phase's goose table; a missing table means none.
func (db *DB) appliedVersions(ctx context.Context, phase migrations.Phase) (map[int64]time.Time, error) {
	table := migrations.VersionTable(phase)
	exists, err := db.tableExists(ctx, table)
	if err != nil {
		return nil, err
	}
	out := map[int64]time.Time{}
	if !exists {
		return out, nil
	}
	// goose records an apply as is_applied=true and a rollback as a later
	// row with is_applied=false; the newest row per version wins.
	rows, err := db.sql.QueryContext(ctx, "SELECT version_id, is_applied, tstamp FROM "+table+" ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("read %s: %w: %w", table, store.ErrUnavailable, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			v       int64
			applied bool
			ts      any
		)
		if err := rows.Scan(&v, &applied, &ts); err != nil {
			return nil, fmt.Errorf("read %s: %w", table, err)
		}
		if v == 0 {
			continue // goose's own bootstrap row
		}
		if applied {
			out[v] = parseStamp(ts)
		} else {
			delete(out, v)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", table, err)
	}
	return out, nil
}

func parseStamp(v any) time.Time {
	switch t := v.(type) {
	case time.Time:
		return t
	case []byte:
		return parseStampText(string(t))
	case string:
		return parseStampText(t)
	}
	return time.Time{}
}

func parseStampText(s string) time.Time {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999", time.RFC3339Nano} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

func (db *DB) tableExists(ctx context.Context, table string) (bool, error) {
	var q string
	switch db.target.Dialect {
	case MySQL:
		q = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?"
	default:
		q = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
	}
	var n int
	if err := db.sql.QueryRowContext(ctx, q, table).Scan(&n); err != nil {
		return false, fmt.Errorf("look up table %s: %w: %w", table, store.ErrUnavailable, err)
	}
	return n > 0, nil
}

// knownSteps lists the embedded steps of a phase in version order.
func knownSteps(phase migrations.Phase) ([]Step, error) {
	names, err := fs.Glob(migrations.FS(phase), "*.sql")
	if err != nil {
		return nil, err
	}
	steps := make([]Step, 0, len(names))
	for _, n := range names {
		num, _, ok := strings.Cut(n, "_")
		v, err := strconv.ParseInt(num, 10, 64)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s/%s: name must start with a version number", phase, n)
		}
		steps = append(steps, Step{Phase: phase, Version: v, Name: stepName(n)})
	}
	sort.Slice(steps, func(i, j int) bool { return steps[i].Version < steps[j].Version })
	return steps, nil
}

func stepName(path string) string {
	base := path[strings.LastIndex(path, "/")+1:]
	return strings.TrimSuffix(base, ".sql")
}

// lockMigrations holds a MySQL advisory lock, on a connection of its own,
// for the whole run: two `balrog migrate` processes never look at or change
// the version tables at the same time.
func (db *DB) lockMigrations(ctx context.Context) (func(), error) {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("take migration lock: %w: %w", store.ErrUnavailable, err)
	}
	var got sql.NullInt64
	err = conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, ?)", migrationLock, int(migrationLockWait.Seconds())).Scan(&got)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("take migration lock: %w", err)
	}
	if !got.Valid || got.Int64 != 1 {
		conn.Close()
		return nil, errors.New("take migration lock: another `balrog migrate` still holds it")
	}
	return func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT RELEASE_LOCK(?)", migrationLock)
		conn.Close()
	}, nil
}
