package gormstore

import (
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/balrog-go/balrog/metrics"
)

// startKey is where the before-callback leaves a statement's start time.
const startKey = "balrog:query_start"

// registrar is a position in one of gorm's callback chains.
type registrar interface {
	Register(name string, fn func(*gorm.DB)) error
}

// observeQueries registers gorm callbacks that time every statement and
// count the failed ones (metrics.DBQueryDuration, metrics.DBQueryErrors),
// tagged op (gorm's statement kind) and table.
func observeQueries(g *gorm.DB, m metrics.Sink) error {
	cb := g.Callback()
	chains := []struct {
		op            string
		before, after registrar
	}{
		{"create", cb.Create().Before("gorm:create"), cb.Create().After("gorm:create")},
		{"query", cb.Query().Before("gorm:query"), cb.Query().After("gorm:query")},
		{"update", cb.Update().Before("gorm:update"), cb.Update().After("gorm:update")},
		{"delete", cb.Delete().Before("gorm:delete"), cb.Delete().After("gorm:delete")},
		{"row", cb.Row().Before("gorm:row"), cb.Row().After("gorm:row")},
		{"raw", cb.Raw().Before("gorm:raw"), cb.Raw().After("gorm:raw")},
	}
	before := func(db *gorm.DB) { db.InstanceSet(startKey, time.Now()) }
	for _, c := range chains {
		op := c.op
		after := func(db *gorm.DB) {
			v, _ := db.InstanceGet(startKey)
			start, ok := v.(time.Time)
			if !ok {
				return
			}
			recordQuery(m, op, db.Statement.Table, time.Since(start), db.Error)
		}
		if err := c.before.Register("balrog:before_"+op, before); err != nil {
			return err
		}
		if err := c.after.Register("balrog:after_"+op, after); err != nil {
			return err
		}
	}
	return nil
}

// recordQuery sends the latency of one statement and counts it when it
// failed (a missing row is no failure). The table tag is the table name
// without an alias, "none" for raw SQL.
func recordQuery(m metrics.Sink, op, table string, d time.Duration, err error) {
	table, _, _ = strings.Cut(table, " ")
	if table == "" {
		table = "none"
	}
	tags := []string{"op:" + op, "table:" + table}
	_ = m.Timing(metrics.DBQueryDuration, d, tags, 1)
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		_ = m.Incr(metrics.DBQueryErrors, tags, 1)
	}
}
