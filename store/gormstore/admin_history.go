package gormstore

import (
	"gorm.io/gorm"

	"github.com/balrog-go/balrog/store"
)

// applyHistoryFilter adds the equality and range filters of f to a history
// query. withProductChannel says whether the table has product and channel
// columns to filter on.
func applyHistoryFilter(q *gorm.DB, f store.HistoryFilter, withProductChannel bool) *gorm.DB {
	if withProductChannel {
		if f.Product != nil {
			q = q.Where("product = ?", *f.Product)
		}
		if f.Channel != nil {
			q = q.Where("channel = ?", *f.Channel)
		}
	}
	if f.ChangedBy != nil {
		q = q.Where("changed_by = ?", *f.ChangedBy)
	}
	if f.ChangeID != nil {
		q = q.Where("change_id = ?", *f.ChangeID)
	}
	if f.DataVersion != nil {
		q = q.Where("data_version = ?", *f.DataVersion)
	}
	if f.TimestampFrom != nil {
		q = q.Where("timestamp >= ?", *f.TimestampFrom)
	}
	if f.TimestampTo != nil {
		q = q.Where("timestamp <= ?", *f.TimestampTo)
	}
	return q
}
