package gormstore

import (
	"cmp"
	"gorm.io/gorm/clause"
	"slices"

	"github.com/balrog-go/balrog/store"
)

func releaseOf(r releaseRow) store.Release {
	return store.Release{Name: r.Name, Product: r.Product, ReadOnly: r.ReadOnly != nil && *r.ReadOnly, Data: []byte(r.Data), DataVersion: r.DataVersion}
}

// Release reads one v1 release with its blob.
func (t *AdminTx) Release(name string) (store.Release, error) {
	var row releaseRow
	if err := t.tx.Where("name = ?", name).Take(&row).Error; err != nil {
		return store.Release{}, dbErr("release "+name, err)
	}
	return releaseOf(row), nil
}

// ListReleases lists v1 releases without blobs, filtered by product and
// name prefix when they are not empty, in name order, or, with
// insertionOrder, in the order they were created (their first history row),
// which is the order of Balrog's answer from a SQLite table scan.
func (t *AdminTx) ListReleases(product, namePrefix string, insertionOrder bool) ([]store.ReleaseInfo, error) {
	q := t.tx.Select("name", "product", "read_only", "data_version").Order("name")
	if product != "" {
		q = q.Where("product = ?", product)
	}
	if namePrefix != "" {
		q = q.Where("name LIKE ? ESCAPE '!'", escapeLike(namePrefix)+"%")
	}
	// Scanned by hand: gorm's reflection per row costs more than the
	// query for thousands of releases.
	rows, err := q.Model(&releaseRow{}).Rows()
	if err != nil {
		return nil, unavailable("list releases", err)
	}
	defer rows.Close()
	var out []store.ReleaseInfo
	for rows.Next() {
		var r store.ReleaseInfo
		var readOnly *bool
		if err := rows.Scan(&r.Name, &r.Product, &readOnly, &r.DataVersion); err != nil {
			return nil, unavailable("list releases", err)
		}
		r.ReadOnly = readOnly != nil && *readOnly
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable("list releases", err)
	}
	if insertionOrder {
		return out, t.sortByCreation(out)
	}
	return out, nil
}

// sortByCreation orders name-ordered releases by their first history row,
// releases without one first, as ORDER BY (first change_id), name would;
// one grouped query instead of a subquery per release.
func (t *AdminTx) sortByCreation(infos []store.ReleaseInfo) error {
	rows, err := t.tx.Raw("SELECT name, MIN(change_id) FROM releases_history GROUP BY name").Rows()
	if err != nil {
		return unavailable("list releases", err)
	}
	defer rows.Close()
	first := make(map[string]int64, len(infos))
	for rows.Next() {
		var name string
		var id int64
		if err := rows.Scan(&name, &id); err != nil {
			return unavailable("list releases", err)
		}
		first[name] = id
	}
	if err := rows.Err(); err != nil {
		return unavailable("list releases", err)
	}
	slices.SortStableFunc(infos, func(a, b store.ReleaseInfo) int {
		fa, oka := first[a.Name]
		fb, okb := first[b.Name]
		switch {
		case oka != okb:
			if !oka {
				return -1
			}
			return 1
		}
		return cmp.Compare(fa, fb)
	})
	return nil
}

// escapeLike escapes the LIKE wildcards of s with '!'.
func escapeLike(s string) string {
	out := make([]rune, 0, len(s))
	for _, c := range s {
		if c == '%' || c == '_' || c == '!' {
			out = append(out, '!')
		}
		out = append(out, c)
	}
	return string(out)
}

// releaseHistory returns the full history row of a release as now stored.
func releaseHistory(meta historyMeta, r releaseRow) releaseHistoryRow {
	product, data, dv, ro := r.Product, r.Data, r.DataVersion, r.ReadOnly
	return releaseHistoryRow{History: meta, Name: r.Name, Product: &product, ReadOnly: ro, Data: &data, DataVersion: &dv}
}

// InsertRelease creates a v1 release (data_version 1, read-write) with its
// releases_history rows.
func (t *AdminTx) InsertRelease(r store.Release) error {
	t.touchRelease(r.Name)
	ro := r.ReadOnly
	row := releaseRow{Name: r.Name, Product: r.Product, ReadOnly: &ro, Data: string(r.Data), DataVersion: 1}
	if err := t.create("insert release "+r.Name, &row); err != nil {
		return err
	}
	marker, full := t.insertMetas()
	hist := []releaseHistoryRow{{History: marker, Name: r.Name}, releaseHistory(full, row)}
	return t.create("insert release history", &hist)
}

// UpdateRelease replaces product, read_only and blob of a v1 release,
// guarded by oldVersion, and returns the new data_version.
func (t *AdminTx) UpdateRelease(r store.Release, oldVersion int) (int, error) {
	t.touchRelease(r.Name)
	ro := r.ReadOnly
	row := releaseRow{Name: r.Name, Product: r.Product, ReadOnly: &ro, Data: string(r.Data), DataVersion: oldVersion + 1}
	res := t.tx.Model(&releaseRow{}).Where("name = ? AND data_version = ?", r.Name, oldVersion).
		Updates(map[string]any{"product": row.Product, "read_only": row.ReadOnly, "data": row.Data, "data_version": row.DataVersion})
	if err := guarded("update release "+r.Name, res); err != nil {
		return 0, err
	}
	hist := releaseHistory(t.meta(), row)
	return row.DataVersion, t.create("update release history", &hist)
}

// DeleteRelease deletes a v1 release, guarded by version.
func (t *AdminTx) DeleteRelease(name string, version int) error {
	t.touchRelease(name)
	res := t.tx.Where("name = ? AND data_version = ?", name, version).Delete(&releaseRow{})
	if err := guarded("delete release "+name, res); err != nil {
		return err
	}
	hist := releaseHistoryRow{History: t.meta(), Name: name}
	return t.create("delete release history", &hist)
}

// RulesMapping returns the ids of the rules whose mapping or fallbackMapping
// names the release.
func (t *AdminTx) RulesMapping(name string) ([]int, error) {
	var ids []int
	err := t.tx.Model(&ruleRow{}).Where("mapping = ? OR fallbackMapping = ?", name, name).Order("rule_id").Pluck("rule_id", &ids).Error
	if err != nil {
		return nil, unavailable("rules mapping "+name, err)
	}
	return ids, nil
}

// ReleaseColumn returns the distinct values of the name or product column
// of v1 releases; other columns are store.ErrNotFound.
func (t *AdminTx) ReleaseColumn(column string) ([]string, error) {
	if column != "name" && column != "product" {
		return nil, store.ErrNotFound
	}
	var vals []string
	if err := t.tx.Model(&releaseRow{}).Distinct(column).Pluck(column, &vals).Error; err != nil {
		return nil, unavailable("releases column "+column, err)
	}
	return vals, nil
}

// ReleaseForUpdate reads one v1 release with its blob as the database now
// holds it, locking the row until the transaction ends (SELECT … FOR UPDATE
// on MySQL, which also reads past a REPEATABLE READ snapshot; SQLite
// transactions are serialised anyway). It is the "tip" of the v1 3-way
// merge after a guarded update found a newer data_version.
func (t *AdminTx) ReleaseForUpdate(name string) (store.Release, error) {
	var row releaseRow
	if err := t.tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("name = ?", name).Take(&row).Error; err != nil {
		return store.Release{}, dbErr("release "+name, err)
	}
	return releaseOf(row), nil
}

// ReleaseAncestor looks up the blob release name had at dataVersion in
// releases_history (the row written when that version was stored, the
// ancestor of the v1 3-way merge, admin.md §5.3). n is the number of
// history rows of the name with exactly that data_version; data is their
// blob when n is 1, else nil. n is 0 when the history does not go back that
// far and more than 1 when the release was deleted and created again.
func (t *AdminTx) ReleaseAncestor(name string, dataVersion int) (data []byte, n int, err error) {
	var ids []int
	// The change ids first, then the one blob: data is often hundreds of
	// kilobytes per row (as Balrog's own lookup does it).
	if err := t.tx.Model(&releaseHistoryRow{}).Where("name = ? AND data_version = ?", name, dataVersion).
		Order("change_id").Limit(2).Pluck("change_id", &ids).Error; err != nil {
		return nil, 0, unavailable("release history "+name, err)
	}
	if len(ids) != 1 {
		if len(ids) > 1 {
			// Report the real count.
			var count int64
			if err := t.tx.Model(&releaseHistoryRow{}).Where("name = ? AND data_version = ?", name, dataVersion).Count(&count).Error; err != nil {
				return nil, 0, unavailable("release history "+name, err)
			}
			return nil, int(count), nil
		}
		return nil, 0, nil
	}
	var row releaseHistoryRow
	if err := t.tx.Where("change_id = ?", ids[0]).Take(&row).Error; err != nil {
		return nil, 0, dbErr("release history "+name, err)
	}
	if row.Data == nil {
		return nil, 0, nil
	}
	return []byte(*row.Data), 1, nil
}
