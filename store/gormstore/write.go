package gormstore

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/balrog-go/balrog/store"
)

// Import writes a dataset in one transaction, with the history rows of every
// insert (a marker row, then the full row) attributed to changedBy. Nothing is
// written when any row fails.
func (db *DB) Import(ctx context.Context, ds store.Dataset, changedBy string) error {
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := db.nowMillis()
		marker := historyMeta{ChangedBy: changedBy, Timestamp: now - 1}
		full := historyMeta{ChangedBy: changedBy, Timestamp: now}
		for _, r := range ds.Releases {
			ro := r.ReadOnly
			row := releaseRow{Name: r.Name, Product: r.Product, ReadOnly: &ro, Data: string(r.Data), DataVersion: r.DataVersion}
			if row.DataVersion == 0 {
				row.DataVersion = 1
			}
			if err := tx.Create(&row).Error; err != nil {
				return fmt.Errorf("release %s: %w", r.Name, err)
			}
			dv, data, product := row.DataVersion, row.Data, row.Product
			hist := []releaseHistoryRow{
				{History: marker, Name: r.Name},
				{History: full, Name: r.Name, Product: &product, ReadOnly: &ro, Data: &data, DataVersion: &dv},
			}
			if err := tx.Create(&hist).Error; err != nil {
				return fmt.Errorf("release %s history: %w", r.Name, err)
			}
		}
		for _, r := range ds.Rules {
			row := ruleRowOf(r)
			if row.DataVersion == 0 {
				row.DataVersion = 1
			}
			if err := tx.Create(&row).Error; err != nil {
				return fmt.Errorf("rule %d: %w", r.RuleID, err)
			}
			hist := []ruleHistoryRow{
				{History: marker, RuleID: row.RuleID},
				ruleHistoryOf(full, row.rule()),
			}
			if err := tx.Create(&hist).Error; err != nil {
				return fmt.Errorf("rule %d history: %w", r.RuleID, err)
			}
		}
		for _, s := range ds.Shutoffs {
			row := shutoffRow{Product: s.Product, Channel: s.Channel, Comment: s.Comment, DataVersion: max(s.DataVersion, 1)}
			if err := tx.Create(&row).Error; err != nil {
				return fmt.Errorf("emergency shutoff %s/%s: %w", s.Product, s.Channel, err)
			}
			dv := row.DataVersion
			hist := []shutoffHistoryRow{
				{History: marker, Product: s.Product, Channel: s.Channel},
				{History: full, Product: s.Product, Channel: s.Channel, Comment: s.Comment, DataVersion: &dv},
			}
			if err := tx.Create(&hist).Error; err != nil {
				return fmt.Errorf("emergency shutoff %s/%s history: %w", s.Product, s.Channel, err)
			}
		}
		for _, p := range ds.Pins {
			row := pinRow{Product: p.Product, Version: p.Version, Channel: p.Channel, Mapping: p.Mapping, DataVersion: max(p.DataVersion, 1)}
			if err := tx.Create(&row).Error; err != nil {
				return fmt.Errorf("pin %s/%s/%s: %w", p.Product, p.Channel, p.Version, err)
			}
			dv, mapping := row.DataVersion, row.Mapping
			hist := []pinHistoryRow{
				{History: marker, Product: p.Product, Version: p.Version, Channel: p.Channel},
				{History: full, Product: p.Product, Version: p.Version, Channel: p.Channel, Mapping: &mapping, DataVersion: &dv},
			}
			if err := tx.Create(&hist).Error; err != nil {
				return fmt.Errorf("pin %s/%s/%s history: %w", p.Product, p.Channel, p.Version, err)
			}
		}
		for _, a := range ds.Assertions {
			a.DataVersion = max(a.DataVersion, 1)
			row := assertionRow{AssertionID: a.AssertionID, Product: a.Product, URL: a.URL,
				ExpectedRelease: a.ExpectedRelease, Comment: a.Comment, DataVersion: a.DataVersion}
			if err := tx.Create(&row).Error; err != nil {
				return fmt.Errorf("assertion %d: %w", a.AssertionID, err)
			}
			hist := []assertionHistoryRow{{History: marker, AssertionID: row.AssertionID}, assertionHistoryOf(full, row.assertion())}
			if err := tx.Create(&hist).Error; err != nil {
				return fmt.Errorf("assertion %d history: %w", a.AssertionID, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	return nil
}

// GrantAdmin gives user the unrestricted admin permission, with its history
// rows. It reports false when the user already had it.
func (db *DB) GrantAdmin(ctx context.Context, user, changedBy string) (bool, error) {
	granted := false
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var existing permissionRow
		err := tx.Where("permission = ? AND username = ?", "admin", user).Take(&existing).Error
		if err == nil {
			return nil
		}
		if !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		row := permissionRow{Permission: "admin", Username: user, DataVersion: 1}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		now := db.nowMillis()
		dv := 1
		hist := []permissionHistoryRow{
			{History: historyMeta{ChangedBy: changedBy, Timestamp: now - 1}, Permission: "admin", Username: user},
			{History: historyMeta{ChangedBy: changedBy, Timestamp: now}, Permission: "admin", Username: user, DataVersion: &dv},
		}
		if err := tx.Create(&hist).Error; err != nil {
			return err
		}
		granted = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("grant admin to %s: %w", user, err)
	}
	return granted, nil
}
