package gormstore

import (
	"fmt"

	"gorm.io/gorm"

	"github.com/balrog-go/balrog/rules"
	"github.com/balrog-go/balrog/store"
)

// ruleColumns are the columns of the rules table that /rules/columns lists.
var ruleColumns = map[string]bool{
	"rule_id": true, "alias": true, "priority": true, "mapping": true, "fallbackMapping": true,
	"backgroundRate": true, "update_type": true, "product": true, "version": true, "channel": true,
	"buildTarget": true, "buildID": true, "locale": true, "osVersion": true, "memory": true,
	"instructionSet": true, "jaws": true, "mig64": true, "distribution": true, "distVersion": true,
	"headerArchitecture": true, "comment": true, "data_version": true,
}

// Rule reads one rule by id.
func (t *AdminTx) Rule(id int) (rules.Rule, error) {
	var row ruleRow
	if err := t.tx.Where("rule_id = ?", id).Take(&row).Error; err != nil {
		return rules.Rule{}, dbErr(fmt.Sprintf("rule %d", id), err)
	}
	return row.rule(), nil
}

// RuleByAlias reads one rule by alias.
func (t *AdminTx) RuleByAlias(alias string) (rules.Rule, error) {
	var row ruleRow
	if err := t.tx.Where("alias = ?", alias).Order("rule_id").Take(&row).Error; err != nil {
		return rules.Rule{}, dbErr("rule "+alias, err)
	}
	return row.rule(), nil
}

// ListRules returns the rules, of one product when product is not nil,
// ordered as Balrog lists them: priority, version, mapping.
func (t *AdminTx) ListRules(product *string) ([]rules.Rule, error) {
	q := t.tx.Order("priority, version, mapping, rule_id")
	if product != nil {
		q = q.Where("product = ?", *product)
	}
	var rows []ruleRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, unavailable("list rules", err)
	}
	out := make([]rules.Rule, len(rows))
	for i, r := range rows {
		out[i] = r.rule()
	}
	return out, nil
}

// RuleColumn returns the distinct non-null values of one rules column, or
// store.ErrNotFound for a column the table does not have.
func (t *AdminTx) RuleColumn(column string) ([]any, error) {
	if !ruleColumns[column] {
		return nil, fmt.Errorf("rules column %s: %w", column, store.ErrNotFound)
	}
	var vals []any
	q := t.tx.Model(&ruleRow{}).Distinct(column).Where(column + " IS NOT NULL")
	if err := q.Pluck(column, &vals).Error; err != nil {
		return nil, unavailable("rules column "+column, err)
	}
	return vals, nil
}

// ReleaseNameExists reports whether a release of that name is in releases or
// releases_json.
func (t *AdminTx) ReleaseNameExists(name string) (bool, error) {
	var n int64
	err := t.tx.Raw("SELECT (SELECT COUNT(*) FROM releases WHERE name = ?) + (SELECT COUNT(*) FROM releases_json WHERE name = ?)", name, name).Scan(&n).Error
	if err != nil {
		return false, unavailable("look up release "+name, err)
	}
	return n > 0, nil
}

// InsertRule creates a rule (data_version 1) with its history rows and
// returns its id.
func (t *AdminTx) InsertRule(r rules.Rule) (int, error) {
	r.RuleID, r.DataVersion = 0, 1
	t.touchProduct(r.Product)
	row := ruleRowOf(r)
	if err := t.create("insert rule", &row); err != nil {
		return 0, err
	}
	marker, full := t.insertMetas()
	hist := []ruleHistoryRow{{History: marker, RuleID: row.RuleID}, ruleHistoryOf(full, row.rule())}
	if err := t.create("insert rule history", &hist); err != nil {
		return 0, err
	}
	return row.RuleID, nil
}

// UpdateRule replaces every column of rule r.RuleID, guarded by oldVersion,
// writes the history row, and returns the new data_version.
func (t *AdminTx) UpdateRule(r rules.Rule, oldVersion int) (int, error) {
	r.DataVersion = oldVersion + 1
	if err := t.touchRuleProduct(r.RuleID); err != nil {
		return 0, err
	}
	t.touchProduct(r.Product)
	row := ruleRowOf(r)
	res := t.tx.Model(&ruleRow{}).Where("rule_id = ? AND data_version = ?", r.RuleID, oldVersion).
		Select("*").Omit("rule_id").Updates(&row)
	if err := guarded(fmt.Sprintf("update rule %d", r.RuleID), res); err != nil {
		return 0, err
	}
	hist := ruleHistoryOf(t.meta(), r)
	if err := t.create("update rule history", &hist); err != nil {
		return 0, err
	}
	return r.DataVersion, nil
}

// DeleteRule deletes a rule, guarded by version, and writes the marker row.
func (t *AdminTx) DeleteRule(id, version int) error {
	if err := t.touchRuleProduct(id); err != nil {
		return err
	}
	res := t.tx.Where("rule_id = ? AND data_version = ?", id, version).Delete(&ruleRow{})
	if err := guarded(fmt.Sprintf("delete rule %d", id), res); err != nil {
		return err
	}
	hist := ruleHistoryRow{History: t.meta(), RuleID: id}
	return t.create("delete rule history", &hist)
}

// RuleChange reads one rules_history row by change_id, marker rows included
// (their rule has DataVersion 0).
func (t *AdminTx) RuleChange(changeID int) (store.RuleRevision, error) {
	var h ruleHistoryRow
	if err := t.tx.Where("change_id = ?", changeID).Take(&h).Error; err != nil {
		return store.RuleRevision{}, dbErr(fmt.Sprintf("rules change %d", changeID), err)
	}
	return ruleRevisionOf(h), nil
}

// RulesAt is the point-in-time view: every rule whose newest history row at
// or before ts is not a deletion marker, as that row.
func (t *AdminTx) RulesAt(ts int64) ([]store.RuleRevision, error) {
	var rows []ruleHistoryRow
	err := t.tx.Where(`change_id IN (SELECT MAX(change_id) FROM rules_history WHERE timestamp <= ? GROUP BY rule_id)
		AND data_version IS NOT NULL`, ts).Order("rule_id").Find(&rows).Error
	if err != nil {
		return nil, unavailable("rules at timestamp", err)
	}
	out := make([]store.RuleRevision, len(rows))
	for i, h := range rows {
		out[i] = ruleRevisionOf(h)
	}
	return out, nil
}

// RuleHistory lists non-marker rules_history rows, newest first, with the
// total count. Without a rule id, rows with a NULL product or channel are
// left out (as Balrog's /rules/history does).
func (t *AdminTx) RuleHistory(ruleID *int, f store.HistoryFilter) ([]store.RuleRevision, int, error) {
	return ruleHistory(t.tx, ruleID, f)
}

// ruleHistory is the rules_history query of RuleHistory and of the public
// RuleHistoryPage, on a transaction or on the pool.
func ruleHistory(g *gorm.DB, ruleID *int, f store.HistoryFilter) ([]store.RuleRevision, int, error) {
	q := g.Model(&ruleHistoryRow{}).Where("data_version IS NOT NULL")
	if ruleID != nil {
		q = q.Where("rule_id = ?", *ruleID)
	} else {
		q = q.Where("product IS NOT NULL AND channel IS NOT NULL")
	}
	q = applyHistoryFilter(q, f, true)
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, unavailable("count rules history", err)
	}
	var rows []ruleHistoryRow
	if err := q.Order("timestamp DESC, change_id DESC").Limit(f.Limit).Offset(f.Offset).Find(&rows).Error; err != nil {
		return nil, 0, unavailable("read rules history", err)
	}
	out := make([]store.RuleRevision, len(rows))
	for i, h := range rows {
		out[i] = ruleRevisionOf(h)
	}
	return out, int(total), nil
}

func ruleRevisionOf(h ruleHistoryRow) store.RuleRevision {
	r := rules.Rule{
		RuleID: h.RuleID, Alias: h.Alias, Priority: h.Priority, Mapping: h.Mapping,
		FallbackMapping: h.FallbackMapping, BackgroundRate: h.BackgroundRate,
		Product: h.Product, Version: h.Version, Channel: h.Channel, BuildTarget: h.BuildTarget,
		BuildID: h.BuildID, Locale: h.Locale, OSVersion: h.OSVersion, Memory: h.Memory,
		InstructionSet: h.InstructionSet, Jaws: h.Jaws, Mig64: h.Mig64, Distribution: h.Distribution,
		DistVersion: h.DistVersion, HeaderArchitecture: h.HeaderArchitecture, Comment: h.Comment,
	}
	if h.UpdateType != nil {
		r.UpdateType = *h.UpdateType
	}
	if h.DataVersion != nil {
		r.DataVersion = *h.DataVersion
	}
	return store.RuleRevision{Rule: r, ChangeID: h.History.ChangeID, ChangedBy: h.History.ChangedBy, Timestamp: h.History.Timestamp}
}
