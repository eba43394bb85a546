package gormstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"gorm.io/gorm"
)

// Cleanup removes what nothing needs any more: v1 releases that nothing
// refers to and that have not changed since the cutoff, and history rows
// older than the cutoff except the newest revision of every object that
// still exists. Every batch is its own short transaction, so no lock is
// held for long; a dry run reads and deletes nothing.

// CleanupOptions tune a cleanup run.
type CleanupOptions struct {
	// CutoffMillis is the cutoff, in history timestamp units (ms since
	// the epoch): only what last changed before it is deleted.
	CutoffMillis int64
	// BatchSize bounds the rows deleted by one transaction; 0 means 500.
	BatchSize int
	// DryRun reports what would be deleted and deletes nothing.
	DryRun bool
	// ChangedBy attributes the history rows recording deleted releases.
	ChangedBy string
	// Release is called with each release deleted (or that would be).
	Release func(name string)
	// Progress is called after each batch with the table worked on and
	// the rows deleted from it so far; nil reports nothing.
	Progress func(table string, done int)
}

// CleanupReport is what a run deleted (or, dry, would delete).
type CleanupReport struct {
	Releases []string
	// History counts the rows deleted per history table.
	History map[string]int
	// Batches counts the transactions that deleted rows (0 when dry).
	Batches int
}

// releaseReference is a column naming releases. A pending-only reference
// counts rows of scheduled changes not yet enacted.
type releaseReference struct {
	table   string
	columns []string
	pending bool
}

// releaseReferences are the columns that keep a release alive. Emergency
// shutoffs name a product and channel, never a release. Superblob parts
// are found in the blobs themselves (superblobChildren).
var releaseReferences = []releaseReference{
	{table: "rules", columns: []string{"mapping", "fallbackMapping"}},
	{table: "rules_scheduled_changes", columns: []string{"base_mapping", "base_fallbackMapping"}, pending: true},
	{table: "releases_scheduled_changes", columns: []string{"base_name"}, pending: true},
	{table: "pinnable_releases", columns: []string{"mapping"}},
	{table: "pinnable_releases_scheduled_changes", columns: []string{"base_mapping"}, pending: true},
	// Rule assertions expecting a release.
	{table: "assertions", columns: []string{"expected_release"}},
}

// historyKeys maps each history table to the primary key of its object.
// A history table missing here is left alone (and named in the error of
// TestCleanupKnowsEveryHistoryTable).
var historyKeys = map[string][]string{
	"rules_history":                          {"rule_id"},
	"releases_history":                       {"name"},
	"releases_json_history":                  {"name"},
	"release_assets_history":                 {"name", "path"},
	"permissions_history":                    {"permission", "username"},
	"user_roles_history":                     {"username", "role"},
	"product_req_signoffs_history":           {"product", "channel", "role"},
	"permissions_req_signoffs_history":       {"product", "role"},
	"emergency_shutoffs_history":             {"product", "channel"},
	"pinnable_releases_history":              {"product", "version", "channel"},
	"assertions_history":                     {"assertion_id"},
	"*_scheduled_changes_history":            {"sc_id"},
	"*_scheduled_changes_conditions_history": {"sc_id"},
	"*_scheduled_changes_signoffs_history":   {"sc_id", "username"},
}

// HistoryKey returns the key columns of a history table's object, or nil
// when the table is not known.
func HistoryKey(table string) []string {
	if k, ok := historyKeys[table]; ok {
		return k
	}
	for _, suffix := range []string{"_scheduled_changes_history", "_scheduled_changes_conditions_history", "_scheduled_changes_signoffs_history"} {
		if strings.HasSuffix(table, suffix) {
			return historyKeys["*"+suffix]
		}
	}
	return nil
}

// Cleanup runs a cleanup: releases first, then history, so the history of
// the releases it deletes goes in the same run.
func (db *DB) Cleanup(ctx context.Context, opts CleanupOptions) (CleanupReport, error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 500
	}
	rep := CleanupReport{History: map[string]int{}}
	g := db.gorm.WithContext(ctx)
	pred, err := db.releasePredicate(g)
	if err != nil {
		return rep, err
	}
	candidates, err := db.cleanupCandidates(g, pred, opts.CutoffMillis)
	if err != nil {
		return rep, err
	}
	for start := 0; start < len(candidates); start += opts.BatchSize {
		batch := candidates[start:min(start+opts.BatchSize, len(candidates))]
		deleted := batch
		if !opts.DryRun {
			if deleted, err = db.deleteReleases(g, pred, batch, opts); err != nil {
				return rep, err
			}
			rep.Batches++
		}
		for _, name := range deleted {
			if opts.Release != nil {
				opts.Release(name)
			}
		}
		rep.Releases = append(rep.Releases, deleted...)
		if opts.Progress != nil {
			opts.Progress("releases", len(rep.Releases))
		}
	}
	tables, err := g.Migrator().GetTables()
	if err != nil {
		return rep, unavailable("list tables", err)
	}
	sort.Strings(tables)
	for _, table := range tables {
		key := HistoryKey(table)
		if !strings.HasSuffix(table, "_history") || key == nil {
			continue
		}
		n, batches, err := db.cleanHistory(g, table, key, opts)
		if err != nil {
			return rep, err
		}
		if opts.DryRun && table == "releases_history" {
			// The releases a real run deletes first lose their last
			// revision too.
			n += len(rep.Releases)
		}
		rep.Batches += batches
		if n > 0 {
			rep.History[table] = n
		}
	}
	return rep, nil
}

// releasePredicate is the SQL condition, on releases aliased r, of a
// release nothing refers to.
func (db *DB) releasePredicate(g *gorm.DB) (string, error) {
	var conds []string
	for _, ref := range releaseReferences {
		if !g.Migrator().HasTable(ref.table) {
			return "", fmt.Errorf("cleanup: table %s is missing; run `balrog migrate pre`", ref.table)
		}
		var ors []string
		for _, c := range ref.columns {
			if !g.Migrator().HasColumn(ref.table, c) {
				return "", fmt.Errorf("cleanup: %s has no column %s: cleanup does not know how it names releases", ref.table, c)
			}
			ors = append(ors, fmt.Sprintf("x.`%s` = r.name", c))
		}
		where := "(" + strings.Join(ors, " OR ") + ")"
		if ref.pending {
			where = "(x.complete IS NULL OR x.complete = 0) AND " + where
		}
		conds = append(conds, fmt.Sprintf("NOT EXISTS (SELECT 1 FROM `%s` x WHERE %s)", ref.table, where))
	}
	return strings.Join(conds, " AND "), nil
}

// cleanupCandidates lists, in name order, the releases nothing refers to
// whose newest history row is older than the cutoff (a release without
// history has no known age and is kept), less the parts of superblobs.
func (db *DB) cleanupCandidates(g *gorm.DB, pred string, cutoff int64) ([]string, error) {
	var names []string
	q := "SELECT r.name FROM releases r WHERE " + pred +
		" AND (SELECT MAX(h.timestamp) FROM releases_history h WHERE h.name = r.name) < ? ORDER BY r.name"
	if err := g.Raw(q, cutoff).Scan(&names).Error; err != nil {
		return nil, unavailable("list unreferenced releases", err)
	}
	if len(names) == 0 {
		return nil, nil
	}
	parts, err := superblobChildren(g)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(names, func(n string) bool { return parts[n] }), nil
}

// superblobChildren returns the release names listed in the "blobs" of any
// stored blob, v1 or v2.
func superblobChildren(g *gorm.DB) (map[string]bool, error) {
	out := map[string]bool{}
	for _, table := range []string{"releases", "releases_json"} {
		if !g.Migrator().HasTable(table) {
			continue
		}
		rows, err := g.Raw("SELECT data FROM `" + table + "` WHERE data LIKE '%\"blobs\"%'").Rows()
		if err != nil {
			return nil, unavailable("read superblobs", err)
		}
		for rows.Next() {
			var data []byte
			if err := rows.Scan(&data); err != nil {
				rows.Close()
				return nil, unavailable("read superblobs", err)
			}
			var blob struct {
				Blobs []any `json:"blobs"`
			}
			if json.Unmarshal(data, &blob) != nil {
				continue // not a superblob, or not JSON: names nothing
			}
			for _, b := range blob.Blobs {
				if s, ok := b.(string); ok {
					out[s] = true
				}
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, unavailable("read superblobs", err)
		}
	}
	return out, nil
}

// deleteReleases deletes one batch in one transaction, checking again that
// nothing refers to each release, and records each deletion in
// releases_history as the admin API does (a marker row).
func (db *DB) deleteReleases(g *gorm.DB, pred string, batch []string, opts CleanupOptions) ([]string, error) {
	var deleted []string
	err := g.Transaction(func(tx *gorm.DB) error {
		deleted = nil
		q := "SELECT r.name FROM releases r WHERE r.name IN ? AND " + pred +
			" AND (SELECT MAX(h.timestamp) FROM releases_history h WHERE h.name = r.name) < ? ORDER BY r.name"
		if err := tx.Raw(q, batch, opts.CutoffMillis).Scan(&deleted).Error; err != nil {
			return err
		}
		if len(deleted) == 0 {
			return nil
		}
		if err := tx.Exec("DELETE FROM releases WHERE name IN ?", deleted).Error; err != nil {
			return err
		}
		now := db.nowMillis()
		markers := make([]releaseHistoryRow, len(deleted))
		for i, name := range deleted {
			markers[i] = releaseHistoryRow{History: historyMeta{ChangedBy: opts.ChangedBy, Timestamp: now}, Name: name}
		}
		return tx.Create(&markers).Error
	})
	if err != nil {
		return nil, fmt.Errorf("cleanup: delete releases: %w", err)
	}
	return deleted, nil
}

// cleanHistory deletes, batch by batch, the rows of a history table older
// than the cutoff that are not the newest revision of a live object. Dry,
// it counts them.
func (db *DB) cleanHistory(g *gorm.DB, table string, key []string, opts CleanupOptions) (int, int, error) {
	base := strings.TrimSuffix(table, "_history")
	if !g.Migrator().HasTable(base) {
		return 0, 0, nil
	}
	var match, group []string
	for _, c := range key {
		match = append(match, fmt.Sprintf("b.`%s` = k.`%s`", c, c))
		group = append(group, fmt.Sprintf("k.`%s`", c))
	}
	// The newest row of every object that still exists is kept.
	keep := fmt.Sprintf("SELECT MAX(k.change_id) FROM `%s` k WHERE EXISTS (SELECT 1 FROM `%s` b WHERE %s) GROUP BY %s",
		table, base, strings.Join(match, " AND "), strings.Join(group, ", "))
	eligible := fmt.Sprintf("FROM `%s` h WHERE h.timestamp < ? AND h.change_id NOT IN (%s)", table, keep)
	if opts.DryRun {
		var n int64
		if err := g.Raw("SELECT COUNT(*) "+eligible, opts.CutoffMillis).Scan(&n).Error; err != nil {
			return 0, 0, unavailable("count old history of "+table, err)
		}
		return int(n), 0, nil
	}
	total, batches := 0, 0
	for {
		var ids []int64
		err := g.Transaction(func(tx *gorm.DB) error {
			ids = nil
			if err := tx.Raw("SELECT h.change_id "+eligible+" ORDER BY h.change_id LIMIT ?", opts.CutoffMillis, opts.BatchSize).Scan(&ids).Error; err != nil {
				return err
			}
			if len(ids) == 0 {
				return nil
			}
			return tx.Exec("DELETE FROM `"+table+"` WHERE change_id IN ?", ids).Error
		})
		if err != nil {
			return total, batches, fmt.Errorf("cleanup: %s: %w", table, err)
		}
		if len(ids) == 0 {
			return total, batches, nil
		}
		total += len(ids)
		batches++
		if opts.Progress != nil {
			opts.Progress(table, total)
		}
		if len(ids) < opts.BatchSize {
			return total, batches, nil
		}
	}
}
