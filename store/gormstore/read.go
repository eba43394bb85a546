package gormstore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	sqlite "github.com/glebarez/go-sqlite"
	"time"

	"github.com/go-sql-driver/mysql"
	"gorm.io/gorm"

	"github.com/balrog-go/balrog/metrics"
	"github.com/balrog-go/balrog/rules"
	"github.com/balrog-go/balrog/store"
)

// unavailable wraps a database failure. It carries store.ErrUnavailable
// (the admin API answers 503, retry later) unless the server reported an
// error about the statement itself, such as a value too long: that is a
// fault of the request or of this program, not an outage.
func unavailable(what string, err error) error {
	var me *mysql.MySQLError
	if errors.As(err, &me) && !transientMySQL[me.Number] {
		return fmt.Errorf("%s: %w", what, err)
	}
	var se *sqlite.Error
	if errors.As(err, &se) && !transientSQLite[se.Code()&0xff] {
		return fmt.Errorf("%s: %w", what, err)
	}
	return fmt.Errorf("%s: %w: %w", what, store.ErrUnavailable, err)
}

// transientSQLite are the SQLite primary result codes that mean "not now"
// (busy, locked, I/O error, full disk, cannot open); any other (no such
// table, constraint, ...) is about the statement.
var transientSQLite = map[int]bool{5: true, 6: true, 10: true, 13: true, 14: true}

// transientMySQL are the server error numbers that mean "not now": too
// many connections, shutdown in progress, lock wait timeout, deadlock,
// read-only (a failover in progress), connection killed, idle disconnect.
var transientMySQL = map[uint16]bool{1040: true, 1053: true, 1205: true, 1213: true, 1290: true, 1836: true, 1927: true, 4031: true}

// ReadSnapshot reads the change marker, the rules, shutoffs, pins and
// release list in one read-only transaction: one consistent state (InnoDB's
// repeatable read; SQLite's read transaction), whatever is written
// meanwhile.
func (db *DB) ReadSnapshot(ctx context.Context) (store.Snapshot, error) {
	var snap store.Snapshot
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if snap.Marker, err = changeMarker(ctx, tx.Statement.ConnPool, db.metrics); err != nil {
			return err
		}
		if snap.Rules, err = readRules(tx); err != nil {
			return err
		}
		if snap.Shutoffs, err = readShutoffs(tx); err != nil {
			return err
		}
		if snap.Pins, err = readPins(tx); err != nil {
			return err
		}
		snap.Releases, err = readReleaseInfos(tx)
		return err
	}, db.snapshotTx())
	if err != nil {
		return store.Snapshot{}, unavailable("read snapshot", err)
	}
	return snap, nil
}

// snapshotTx are the options of ReadSnapshot's transaction: read-only, and
// on MySQL repeatable read whatever the server's default (under read
// committed each statement would see its own state). SQLite's transactions
// are serializable.
func (db *DB) snapshotTx() *sql.TxOptions {
	if db.target.Dialect == MySQL {
		return &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead}
	}
	return &sql.TxOptions{ReadOnly: true}
}

// Rules returns every rule in rule_id order.
func (db *DB) Rules(ctx context.Context) ([]rules.Rule, error) {
	return readRules(db.gorm.WithContext(ctx))
}

// readRules returns every rule in rule_id order, read through g.
func readRules(g *gorm.DB) ([]rules.Rule, error) {
	var rows []ruleRow
	if err := g.Order("rule_id").Find(&rows).Error; err != nil {
		return nil, unavailable("read rules", err)
	}
	out := make([]rules.Rule, len(rows))
	for i, r := range rows {
		out[i] = r.rule()
	}
	return out, nil
}

// readShutoffs returns every emergency shutoff.
func readShutoffs(g *gorm.DB) ([]rules.Shutoff, error) {
	var rows []shutoffRow
	if err := g.Order("product, channel").Find(&rows).Error; err != nil {
		return nil, unavailable("read emergency shutoffs", err)
	}
	out := make([]rules.Shutoff, len(rows))
	for i, r := range rows {
		out[i] = rules.Shutoff{Product: r.Product, Channel: r.Channel, Comment: r.Comment, DataVersion: r.DataVersion}
	}
	return out, nil
}

// readPins returns every pinnable release.
func readPins(g *gorm.DB) ([]rules.Pin, error) {
	var rows []pinRow
	if err := g.Order("product, channel, version").Find(&rows).Error; err != nil {
		return nil, unavailable("read pinnable releases", err)
	}
	out := make([]rules.Pin, len(rows))
	for i, r := range rows {
		out[i] = rules.Pin{Product: r.Product, Channel: r.Channel, Version: r.Version, Mapping: r.Mapping, DataVersion: r.DataVersion}
	}
	return out, nil
}

// readReleaseInfos lists the releases without their blobs, in name order.
func readReleaseInfos(g *gorm.DB) ([]store.ReleaseInfo, error) {
	var rows []releaseRow
	err := g.Select("name", "product", "read_only", "data_version").Order("name").Find(&rows).Error
	if err != nil {
		return nil, unavailable("list releases", err)
	}
	out := make([]store.ReleaseInfo, len(rows))
	for i, r := range rows {
		out[i] = store.ReleaseInfo{Name: r.Name, Product: r.Product, ReadOnly: r.ReadOnly != nil && *r.ReadOnly, DataVersion: r.DataVersion}
	}
	return out, nil
}

// Release reads one release with its blob.
func (db *DB) Release(ctx context.Context, name string) (store.Release, error) {
	var out store.Release
	err := db.ReadRelease(ctx, name, func(rel store.Release) error {
		out = rel
		out.Data = bytes.Clone(rel.Data)
		return nil
	})
	return out, err
}

// ReadRelease reads one release and calls fn with it, whose Data is only
// valid until fn returns: it is the database driver's own buffer, so a blob
// that may be 10 MB is not copied (where a string column through gorm
// costs three copies). fn's error is returned as it is.
func (db *DB) ReadRelease(ctx context.Context, name string, fn func(rel store.Release) error) error {
	var (
		rel      = store.Release{Name: name}
		readOnly sql.NullBool
		data     sql.RawBytes
	)
	rows, err := db.gorm.WithContext(ctx).Raw("SELECT product, read_only, data, data_version FROM releases WHERE name = ?", name).Rows()
	if err != nil {
		return unavailable("read release "+name, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return unavailable("read release "+name, err)
		}
		return fmt.Errorf("release %s: %w", name, store.ErrNotFound)
	}
	if err := rows.Scan(&rel.Product, &readOnly, &data, &rel.DataVersion); err != nil {
		return unavailable("read release "+name, err)
	}
	rel.ReadOnly = readOnly.Valid && readOnly.Bool
	rel.Data = data
	return fn(rel)
}

// CountRules is the public heartbeat's probe: it reads, never writes.
func (db *DB) CountRules(ctx context.Context) (int64, error) {
	var n int64
	if err := db.gorm.WithContext(ctx).Model(&ruleRow{}).Count(&n).Error; err != nil {
		return 0, unavailable("count rules", err)
	}
	return n, nil
}

// ChangeMarker returns a value that changes whenever the rules, shutoffs,
// pins or releases change: row counts, data_version sums and the newest
// history ids, in one cheap query. The public role polls it and reloads
// only when it moves.
func (db *DB) ChangeMarker(ctx context.Context) (string, error) {
	return changeMarker(ctx, db.sql, db.metrics)
}

// changeMarker reads the change marker through q: the database or a
// transaction.
func changeMarker(ctx context.Context, q queryRower, m metrics.Sink) (string, error) {
	const query = `SELECT
 (SELECT COUNT(*) FROM rules), (SELECT COALESCE(SUM(data_version), 0) FROM rules),
 (SELECT COALESCE(MAX(change_id), 0) FROM rules_history),
 (SELECT COUNT(*) FROM emergency_shutoffs), (SELECT COALESCE(SUM(data_version), 0) FROM emergency_shutoffs),
 (SELECT COUNT(*) FROM pinnable_releases), (SELECT COALESCE(SUM(data_version), 0) FROM pinnable_releases),
 (SELECT COUNT(*) FROM releases), (SELECT COALESCE(SUM(data_version), 0) FROM releases),
 (SELECT COALESCE(MAX(change_id), 0) FROM releases_history)`
	var v [10]int64
	start := time.Now()
	err := q.QueryRowContext(ctx, query).Scan(&v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9])
	recordQuery(m, "change_marker", "", time.Since(start), err)
	if err != nil {
		return "", unavailable("read change marker", err)
	}
	return fmt.Sprint(v), nil
}

// queryRower is what changeMarker reads through: *sql.DB or *sql.Tx.
type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Watchdog is the admin heartbeat's probe, as Balrog's: it increments the
// dockerflow counter (creating it at 1) and returns the new value.
func (db *DB) Watchdog(ctx context.Context) (int64, error) {
	var n int64
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var cur []int64
		if err := tx.Raw("SELECT watchdog FROM dockerflow").Scan(&cur).Error; err != nil {
			return err
		}
		if len(cur) == 0 {
			n = 1
			return tx.Exec("INSERT INTO dockerflow (watchdog) VALUES (1)").Error
		}
		n = cur[0] + 1
		return tx.Exec("UPDATE dockerflow SET watchdog = ? WHERE watchdog = ?", n, cur[0]).Error
	})
	if err != nil {
		return 0, unavailable("dockerflow watchdog", err)
	}
	return n, nil
}

// RuleHistoryPage returns a rule's revisions, newest first, and their count.
func (db *DB) RuleHistoryPage(ctx context.Context, ruleID, limit, offset int) ([]store.RuleRevision, int, error) {
	return ruleHistory(db.gorm.WithContext(ctx), &ruleID, store.HistoryFilter{Limit: limit, Offset: offset})
}
