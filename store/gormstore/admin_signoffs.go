package gormstore

import (
	"fmt"
	"strings"

	"github.com/balrog-go/balrog/store"
)

// SignoffTable names one of the two required-signoff tables.
type SignoffTable int

const (
	// ProductSignoffTable is product_req_signoffs (product, channel, role).
	ProductSignoffTable SignoffTable = iota
	// PermissionsSignoffTable is permissions_req_signoffs (product, role).
	PermissionsSignoffTable
)

func (k SignoffTable) table() string {
	if k == ProductSignoffTable {
		return "product_req_signoffs"
	}
	return "permissions_req_signoffs"
}

func (k SignoffTable) hasChannel() bool { return k == ProductSignoffTable }

// columns lists the row columns of the table.
func (k SignoffTable) columns() string {
	if k.hasChannel() {
		return "product, channel, role, signoffs_required, data_version"
	}
	return "product, role, signoffs_required, data_version"
}

// signoffRow scans a row of either table.
type signoffRow struct {
	ChangeID         int
	ChangedBy        string
	Timestamp        int64
	Product          string
	Channel          string
	Role             string
	SignoffsRequired *int
	DataVersion      *int
}

func (r signoffRow) record() store.RequiredSignoff {
	rs := store.RequiredSignoff{Product: r.Product, Channel: r.Channel, Role: r.Role}
	if r.SignoffsRequired != nil {
		rs.SignoffsRequired = *r.SignoffsRequired
	}
	if r.DataVersion != nil {
		rs.DataVersion = *r.DataVersion
	}
	return rs
}

// ProductSignoffs returns the product required-signoff rows of product.
func (t *AdminTx) ProductSignoffs(product string) ([]store.RequiredSignoff, error) {
	return t.RequiredSignoffs(ProductSignoffTable, &product, nil)
}

// RequiredSignoffs lists the rows of a required-signoff table, filtered by
// product and channel when given. Filtered listings are in key order;
// the unfiltered listing is in insertion order (the first history row of
// each key), as Balrog's answer from a SQLite table scan.
func (t *AdminTx) RequiredSignoffs(k SignoffTable, product, channel *string) ([]store.RequiredSignoff, error) {
	q := "SELECT " + k.columns() + " FROM " + k.table() + " s"
	var where []string
	var args []any
	if product != nil {
		where, args = append(where, "product = ?"), append(args, *product)
	}
	if channel != nil && k.hasChannel() {
		where, args = append(where, "channel = ?"), append(args, *channel)
	}
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ") + " ORDER BY product"
		if k.hasChannel() {
			q += ", channel"
		}
		q += ", role"
	} else {
		match := "h.product = s.product AND h.role = s.role"
		if k.hasChannel() {
			match += " AND h.channel = s.channel"
		}
		q += " ORDER BY (SELECT MIN(change_id) FROM " + k.table() + "_history h WHERE " + match + ")"
	}
	var rows []signoffRow
	if err := t.tx.Raw(q, args...).Scan(&rows).Error; err != nil {
		return nil, unavailable("read "+k.table(), err)
	}
	out := make([]store.RequiredSignoff, len(rows))
	for i, r := range rows {
		out[i] = r.record()
	}
	return out, nil
}

// InsertRequiredSignoff creates a required-signoff row (data_version 1)
// with its history rows.
func (t *AdminTx) InsertRequiredSignoff(k SignoffTable, rs store.RequiredSignoff) error {
	row := map[string]any{"product": rs.Product, "role": rs.Role, "signoffs_required": rs.SignoffsRequired, "data_version": 1}
	if k.hasChannel() {
		row["channel"] = rs.Channel
	}
	if err := t.tx.Table(k.table()).Create(row).Error; err != nil {
		return unavailable("insert "+k.table(), err)
	}
	marker, full := t.insertMetas()
	for _, h := range []map[string]any{
		{"changed_by": marker.ChangedBy, "timestamp": marker.Timestamp, "product": rs.Product, "role": rs.Role},
		{"changed_by": full.ChangedBy, "timestamp": full.Timestamp, "product": rs.Product, "role": rs.Role,
			"signoffs_required": rs.SignoffsRequired, "data_version": 1},
	} {
		if k.hasChannel() {
			h["channel"] = rs.Channel
		}
		if err := t.tx.Table(k.table() + "_history").Create(h).Error; err != nil {
			return unavailable("insert "+k.table()+" history", err)
		}
	}
	return nil
}

// SignoffRevision is a non-marker required-signoff history row.
type SignoffRevision struct {
	store.Change
	Signoff store.RequiredSignoff
}

// RequiredSignoffHistory lists non-marker history rows of a required-signoff
// table, newest first, with the total count. role filters by equality.
func (t *AdminTx) RequiredSignoffHistory(k SignoffTable, role *string, f store.HistoryFilter) ([]SignoffRevision, int, error) {
	q := t.tx.Table(k.table() + "_history").Where("data_version IS NOT NULL")
	if k.hasChannel() {
		q = q.Where("product IS NOT NULL AND channel IS NOT NULL")
	} else {
		q = q.Where("product IS NOT NULL")
		if f.Product != nil {
			q = q.Where("product = ?", *f.Product)
		}
	}
	if role != nil {
		q = q.Where("role = ?", *role)
	}
	q = applyHistoryFilter(q, f, k.hasChannel())
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, unavailable("count "+k.table()+" history", err)
	}
	cols := "change_id, changed_by, timestamp, " + k.columns()
	var rows []signoffRow
	if err := q.Select(cols).Order("timestamp DESC, change_id DESC").Limit(f.Limit).Offset(f.Offset).Scan(&rows).Error; err != nil {
		return nil, 0, unavailable(fmt.Sprintf("read %s history", k.table()), err)
	}
	out := make([]SignoffRevision, len(rows))
	for i, r := range rows {
		out[i] = SignoffRevision{Change: store.Change{ChangeID: r.ChangeID, ChangedBy: r.ChangedBy, Timestamp: r.Timestamp}, Signoff: r.record()}
	}
	return out, int(total), nil
}

// signoffKey is the WHERE clause and arguments of one required-signoff row.
func (k SignoffTable) signoffKey(rs store.RequiredSignoff) (string, []any) {
	if k.hasChannel() {
		return "product = ? AND channel = ? AND role = ?", []any{rs.Product, rs.Channel, rs.Role}
	}
	return "product = ? AND role = ?", []any{rs.Product, rs.Role}
}

// UpdateRequiredSignoff sets signoffs_required of a row, guarded by
// oldVersion, with its history row, and returns the new version.
func (t *AdminTx) UpdateRequiredSignoff(k SignoffTable, rs store.RequiredSignoff, oldVersion int) (int, error) {
	where, args := k.signoffKey(rs)
	dv := oldVersion + 1
	res := t.tx.Table(k.table()).Where(where+" AND data_version = ?", append(args, oldVersion)...).
		Updates(map[string]any{"signoffs_required": rs.SignoffsRequired, "data_version": dv})
	if err := guarded("update "+k.table(), res); err != nil {
		return 0, err
	}
	h := map[string]any{"product": rs.Product, "role": rs.Role, "signoffs_required": rs.SignoffsRequired, "data_version": dv}
	if k.hasChannel() {
		h["channel"] = rs.Channel
	}
	return dv, t.history(k.table(), t.meta(), h)
}

// DeleteRequiredSignoff deletes a row, guarded by version, with its marker.
func (t *AdminTx) DeleteRequiredSignoff(k SignoffTable, rs store.RequiredSignoff, version int) error {
	where, args := k.signoffKey(rs)
	res := t.tx.Exec("DELETE FROM "+k.table()+" WHERE "+where+" AND data_version = ?", append(args, version)...)
	if err := guarded("delete "+k.table(), res); err != nil {
		return err
	}
	h := map[string]any{"product": rs.Product, "role": rs.Role}
	if k.hasChannel() {
		h["channel"] = rs.Channel
	}
	return t.history(k.table(), t.meta(), h)
}
