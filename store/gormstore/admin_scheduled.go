package gormstore

import (
	"fmt"
	"strings"

	"github.com/balrog-go/balrog/store"
)

// ColumnKind is how a generic column's values are decoded.
type ColumnKind int

// Column kinds.
const (
	KindString ColumnKind = iota
	KindInt
	KindBool
)

// SCFamily describes the tables of one scheduled-change family.
type SCFamily struct {
	// Base is the base table, e.g. "rules"; the family's tables are
	// Base+"_scheduled_changes", …_conditions and …_signoffs.
	Base string
	// Columns are the base columns, data_version included, with their kinds.
	Columns map[string]ColumnKind
	// Telemetry says whether the conditions have telemetry_* columns.
	Telemetry bool
}

func (f SCFamily) sc() string         { return f.Base + "_scheduled_changes" }
func (f SCFamily) conditions() string { return f.sc() + "_conditions" }
func (f SCFamily) signoffs() string   { return f.sc() + "_signoffs" }

// conditionColumns lists the condition columns besides sc_id, data_version.
func (f SCFamily) conditionColumns() []string {
	if f.Telemetry {
		return []string{"when", "telemetry_product", "telemetry_channel", "telemetry_uptake"}
	}
	return []string{"when"}
}

// decode turns a driver value into string, int64, bool or nil.
func decode(kind ColumnKind, v any) any {
	if b, ok := v.([]byte); ok {
		v = string(b)
	}
	switch kind {
	case KindInt:
		switch x := v.(type) {
		case int64:
			return x
		case int32:
			return int64(x)
		case int:
			return int64(x)
		case string:
			var n int64
			_, _ = fmt.Sscan(x, &n)
			return n
		case float64:
			return int64(x)
		}
	case KindBool:
		switch x := v.(type) {
		case int64:
			return x != 0
		case bool:
			return x
		case string:
			return x == "1" || x == "true"
		}
	}
	return v
}

// scOf decodes a scheduled-change row joined with its conditions.
func (f SCFamily) scOf(m map[string]any) store.ScheduledChange {
	sc := store.ScheduledChange{Base: map[string]any{}, Conditions: map[string]any{}}
	sc.ScID = int(decode(KindInt, m["sc_id"]).(int64))
	sc.ScheduledBy, _ = decode(KindString, m["scheduled_by"]).(string)
	sc.Complete, _ = decode(KindBool, m["complete"]).(bool)
	sc.ChangeType, _ = decode(KindString, m["change_type"]).(string)
	if v, ok := decode(KindInt, m["data_version"]).(int64); ok {
		sc.DataVersion = int(v)
	}
	for col, kind := range f.Columns {
		sc.Base[col] = decode(kind, m["base_"+col])
	}
	for _, col := range f.conditionColumns() {
		kind := KindString
		if col == "when" || col == "telemetry_uptake" {
			kind = KindInt
		}
		sc.Conditions[col] = decode(kind, m["c_"+col])
	}
	return sc
}

// selectSC is the SELECT of scheduled changes joined with their conditions.
func (f SCFamily) selectSC(table, condTable, join string) string {
	cols := []string{"s.*"}
	for _, c := range f.conditionColumns() {
		cols = append(cols, fmt.Sprintf("c.`%s` AS c_%s", c, c))
	}
	return "SELECT " + strings.Join(cols, ", ") + " FROM " + table + " s LEFT JOIN " + condTable + " c ON " + join
}

// ScheduledChanges lists a family's scheduled changes in sc_id order: the
// incomplete ones, or all with includeComplete; baseFilter adds equality
// filters on base columns.
func (t *AdminTx) ScheduledChanges(f SCFamily, includeComplete bool, baseFilter map[string]any) ([]store.ScheduledChange, error) {
	q := f.selectSC(f.sc(), f.conditions(), "c.sc_id = s.sc_id")
	var where []string
	var args []any
	if !includeComplete {
		where = append(where, "(s.complete IS NULL OR s.complete = 0)")
	}
	for col, v := range baseFilter {
		where, args = append(where, "s.base_"+col+" = ?"), append(args, v)
	}
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY s.sc_id"
	var rows []map[string]any
	if err := t.tx.Raw(q, args...).Scan(&rows).Error; err != nil {
		return nil, unavailable("read "+f.sc(), err)
	}
	out := make([]store.ScheduledChange, len(rows))
	for i, r := range rows {
		out[i] = f.scOf(r)
	}
	return out, nil
}

// ScheduledChange reads one scheduled change.
func (t *AdminTx) ScheduledChange(f SCFamily, id int) (store.ScheduledChange, error) {
	var rows []map[string]any
	q := f.selectSC(f.sc(), f.conditions(), "c.sc_id = s.sc_id") + " WHERE s.sc_id = ?"
	if err := t.tx.Raw(q, id).Scan(&rows).Error; err != nil {
		return store.ScheduledChange{}, unavailable("read "+f.sc(), err)
	}
	if len(rows) == 0 {
		return store.ScheduledChange{}, fmt.Errorf("%s %d: %w", f.sc(), id, store.ErrNotFound)
	}
	return f.scOf(rows[0]), nil
}

// scRow is the column map of a scheduled-change row.
func (f SCFamily) scRow(sc store.ScheduledChange) map[string]any {
	row := map[string]any{"scheduled_by": sc.ScheduledBy, "complete": sc.Complete, "change_type": sc.ChangeType, "data_version": sc.DataVersion}
	for col := range f.Columns {
		row["base_"+col] = sc.Base[col]
	}
	return row
}

// condRow is the column map of a conditions row.
func (f SCFamily) condRow(sc store.ScheduledChange) map[string]any {
	row := map[string]any{"data_version": sc.DataVersion}
	for _, c := range f.conditionColumns() {
		row[c] = sc.Conditions[c]
	}
	return row
}

// history inserts a history row of table with the given columns.
func (t *AdminTx) history(table string, meta historyMeta, cols map[string]any) error {
	row := map[string]any{"changed_by": meta.ChangedBy, "timestamp": meta.Timestamp}
	for k, v := range cols {
		if !strings.HasPrefix(k, "@") { // gorm's back-filled id of an earlier Create
			row[k] = v
		}
	}
	if err := t.tx.Table(table + "_history").Create(row).Error; err != nil {
		return unavailable("insert "+table+" history", err)
	}
	return nil
}

// InsertScheduledChange creates a scheduled change (version 1) and its
// conditions, with history rows, and returns its sc_id.
func (t *AdminTx) InsertScheduledChange(f SCFamily, sc store.ScheduledChange) (int, error) {
	sc.DataVersion = 1
	row := f.scRow(sc)
	if err := t.tx.Table(f.sc()).Create(row).Error; err != nil {
		return 0, unavailable("insert "+f.sc(), err)
	}
	var id int64
	lastID := "SELECT last_insert_rowid()"
	if t.store.db.Dialect() == MySQL {
		lastID = "SELECT LAST_INSERT_ID()"
	}
	if err := t.tx.Raw(lastID).Scan(&id).Error; err != nil {
		return 0, unavailable("read sc_id", err)
	}
	sc.ScID = int(id)
	cond := f.condRow(sc)
	cond["sc_id"] = sc.ScID
	if err := t.tx.Table(f.conditions()).Create(cond).Error; err != nil {
		return 0, unavailable("insert "+f.conditions(), err)
	}
	marker, full := t.insertMetas()
	row["sc_id"] = sc.ScID
	for _, h := range []struct {
		table string
		cols  map[string]any
	}{{f.sc(), row}, {f.conditions(), cond}} {
		if err := t.history(h.table, marker, map[string]any{"sc_id": sc.ScID}); err != nil {
			return 0, err
		}
		if err := t.history(h.table, full, h.cols); err != nil {
			return 0, err
		}
	}
	return sc.ScID, nil
}

// UpdateScheduledChange overwrites a scheduled change and its conditions,
// guarded by oldVersion, with history rows; it returns the new version.
func (t *AdminTx) UpdateScheduledChange(f SCFamily, sc store.ScheduledChange, oldVersion int) (int, error) {
	sc.DataVersion = oldVersion + 1
	row, cond := f.scRow(sc), f.condRow(sc)
	res := t.tx.Table(f.sc()).Where("sc_id = ? AND data_version = ?", sc.ScID, oldVersion).Updates(row)
	if err := guarded("update "+f.sc(), res); err != nil {
		return 0, err
	}
	res = t.tx.Table(f.conditions()).Where("sc_id = ? AND data_version = ?", sc.ScID, oldVersion).Updates(cond)
	if err := guarded("update "+f.conditions(), res); err != nil {
		return 0, err
	}
	meta := t.meta()
	row["sc_id"], cond["sc_id"] = sc.ScID, sc.ScID
	if err := t.history(f.sc(), meta, row); err != nil {
		return 0, err
	}
	return sc.DataVersion, t.history(f.conditions(), meta, cond)
}

// DeleteScheduledChange deletes a scheduled change and its conditions,
// guarded by version (signoffs are left in place, as Balrog does).
func (t *AdminTx) DeleteScheduledChange(f SCFamily, id, version int) error {
	res := t.tx.Exec("DELETE FROM "+f.sc()+" WHERE sc_id = ? AND data_version = ?", id, version)
	if err := guarded("delete "+f.sc(), res); err != nil {
		return err
	}
	res = t.tx.Exec("DELETE FROM "+f.conditions()+" WHERE sc_id = ? AND data_version = ?", id, version)
	if err := guarded("delete "+f.conditions(), res); err != nil {
		return err
	}
	meta := t.meta()
	if err := t.history(f.sc(), meta, map[string]any{"sc_id": id}); err != nil {
		return err
	}
	return t.history(f.conditions(), meta, map[string]any{"sc_id": id})
}

// Signoffs lists the signoffs of a scheduled change in username order.
func (t *AdminTx) Signoffs(f SCFamily, id int) ([]store.Signoff, error) {
	var rows []store.Signoff
	err := t.tx.Raw("SELECT username, role FROM "+f.signoffs()+" WHERE sc_id = ? ORDER BY username", id).Scan(&rows).Error
	if err != nil {
		return nil, unavailable("read "+f.signoffs(), err)
	}
	return rows, nil
}

// InsertSignoff records a signoff with its history rows.
func (t *AdminTx) InsertSignoff(f SCFamily, id int, s store.Signoff) error {
	if err := t.tx.Exec("INSERT INTO "+f.signoffs()+" (sc_id, username, role) VALUES (?, ?, ?)", id, s.Username, s.Role).Error; err != nil {
		return unavailable("insert "+f.signoffs(), err)
	}
	marker, full := t.insertMetas()
	if err := t.history(f.signoffs(), marker, map[string]any{"sc_id": id, "username": s.Username}); err != nil {
		return err
	}
	return t.history(f.signoffs(), full, map[string]any{"sc_id": id, "username": s.Username, "role": s.Role})
}

// DeleteSignoff removes a user's signoff with its history marker.
func (t *AdminTx) DeleteSignoff(f SCFamily, id int, username string) error {
	if err := t.tx.Exec("DELETE FROM "+f.signoffs()+" WHERE sc_id = ? AND username = ?", id, username).Error; err != nil {
		return unavailable("delete "+f.signoffs(), err)
	}
	return t.history(f.signoffs(), t.meta(), map[string]any{"sc_id": id, "username": username})
}

// ScheduledChangeHistory lists non-marker history rows of a family's
// scheduled changes (of one sc_id when id > 0), newest first, merged with
// the conditions history of the same version, and their count. filter adds
// equality filters on history columns.
func (t *AdminTx) ScheduledChangeHistory(f SCFamily, id int, filter store.HistoryFilter) ([]store.ScheduledChangeRevision, int, error) {
	q := t.tx.Table(f.sc() + "_history s").Where("s.data_version IS NOT NULL")
	if id > 0 {
		q = q.Where("s.sc_id = ?", id)
	}
	if filter.ChangedBy != nil {
		q = q.Where("s.changed_by = ?", *filter.ChangedBy)
	}
	if filter.ChangeID != nil {
		q = q.Where("s.change_id = ?", *filter.ChangeID)
	}
	if filter.DataVersion != nil {
		q = q.Where("s.data_version = ?", *filter.DataVersion)
	}
	if filter.TimestampFrom != nil {
		q = q.Where("s.timestamp >= ?", *filter.TimestampFrom)
	}
	if filter.TimestampTo != nil {
		q = q.Where("s.timestamp <= ?", *filter.TimestampTo)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, unavailable("count "+f.sc()+" history", err)
	}
	cols := []string{"s.*"}
	for _, c := range f.conditionColumns() {
		cols = append(cols, fmt.Sprintf("(SELECT c.`%s` FROM %s_history c WHERE c.sc_id = s.sc_id AND c.data_version = s.data_version ORDER BY c.change_id DESC LIMIT 1) AS c_%s", c, f.conditions(), c))
	}
	var rows []map[string]any
	err := q.Select(strings.Join(cols, ", ")).Order("s.timestamp DESC, s.change_id DESC").Limit(max(filter.Limit, 0)).Offset(filter.Offset).Scan(&rows).Error
	if err != nil {
		return nil, 0, unavailable("read "+f.sc()+" history", err)
	}
	out := make([]store.ScheduledChangeRevision, len(rows))
	for i, r := range rows {
		out[i].ScheduledChange = f.scOf(r)
		out[i].Change = store.Change{
			ChangeID:  int(decode(KindInt, r["change_id"]).(int64)),
			ChangedBy: fmt.Sprint(decode(KindString, r["changed_by"])),
			Timestamp: decode(KindInt, r["timestamp"]).(int64),
		}
	}
	return out, int(total), nil
}

// ScheduledChangeHistoryRow reads one history row by change_id (markers
// included, with a zero DataVersion).
func (t *AdminTx) ScheduledChangeHistoryRow(f SCFamily, changeID int) (store.ScheduledChangeRevision, error) {
	cols := []string{"s.*"}
	for _, c := range f.conditionColumns() {
		cols = append(cols, fmt.Sprintf("(SELECT c.`%s` FROM %s_history c WHERE c.sc_id = s.sc_id AND c.data_version = s.data_version ORDER BY c.change_id DESC LIMIT 1) AS c_%s", c, f.conditions(), c))
	}
	var rows []map[string]any
	err := t.tx.Raw("SELECT "+strings.Join(cols, ", ")+" FROM "+f.sc()+"_history s WHERE s.change_id = ?", changeID).Scan(&rows).Error
	if err != nil {
		return store.ScheduledChangeRevision{}, unavailable("read "+f.sc()+" history", err)
	}
	if len(rows) == 0 {
		return store.ScheduledChangeRevision{}, fmt.Errorf("%s change %d: %w", f.sc(), changeID, store.ErrNotFound)
	}
	return store.ScheduledChangeRevision{ScheduledChange: f.scOf(rows[0])}, nil
}
