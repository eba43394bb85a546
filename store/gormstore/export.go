package gormstore

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/balrog-go/balrog/rules"
	"github.com/balrog-go/balrog/store"
)

// Export reads what `balrog import` loads — rules, emergency shutoffs, pins,
// rule assertions and releases — in one read transaction, so the copy is consistent. The
// releases are handed to each one at a time, in name order, so that a
// production-sized set of blobs is never held in memory at once; the
// returned dataset carries the other objects and no releases.
func (db *DB) Export(ctx context.Context, each func(store.Release) error) (store.Dataset, error) {
	var ds store.Dataset
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var ruleRows []ruleRow
		if err := tx.Order("rule_id").Find(&ruleRows).Error; err != nil {
			return fmt.Errorf("rules: %w", err)
		}
		for _, r := range ruleRows {
			ds.Rules = append(ds.Rules, r.rule())
		}
		var shutoffs []shutoffRow
		if err := tx.Order("product, channel").Find(&shutoffs).Error; err != nil {
			return fmt.Errorf("emergency shutoffs: %w", err)
		}
		for _, s := range shutoffs {
			ds.Shutoffs = append(ds.Shutoffs, rules.Shutoff{Product: s.Product, Channel: s.Channel, Comment: s.Comment, DataVersion: s.DataVersion})
		}
		var pins []pinRow
		if err := tx.Order("product, channel, version").Find(&pins).Error; err != nil {
			return fmt.Errorf("pinnable releases: %w", err)
		}
		for _, p := range pins {
			ds.Pins = append(ds.Pins, rules.Pin{Product: p.Product, Channel: p.Channel, Version: p.Version, Mapping: p.Mapping, DataVersion: p.DataVersion})
		}
		var assertions []assertionRow
		if err := tx.Order("assertion_id").Find(&assertions).Error; err != nil {
			return fmt.Errorf("assertions: %w", err)
		}
		for _, a := range assertions {
			ds.Assertions = append(ds.Assertions, a.assertion())
		}
		rows, err := tx.Model(&releaseRow{}).Order("name").Rows()
		if err != nil {
			return fmt.Errorf("releases: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var r releaseRow
			if err := tx.ScanRows(rows, &r); err != nil {
				return fmt.Errorf("releases: %w", err)
			}
			rel := store.Release{Name: r.Name, Product: r.Product, ReadOnly: r.ReadOnly != nil && *r.ReadOnly, Data: []byte(r.Data), DataVersion: r.DataVersion}
			if err := each(rel); err != nil {
				return fmt.Errorf("release %s: %w", r.Name, err)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return store.Dataset{}, fmt.Errorf("export: %w", err)
	}
	return ds, nil
}
