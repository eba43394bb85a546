package gormstore

import (
	"github.com/balrog-go/balrog/rules"
)

// Shutoff reads one emergency shutoff.
func (t *AdminTx) Shutoff(product, channel string) (rules.Shutoff, error) {
	var row shutoffRow
	if err := t.tx.Where("product = ? AND channel = ?", product, channel).Take(&row).Error; err != nil {
		return rules.Shutoff{}, dbErr("emergency shutoff "+product+"/"+channel, err)
	}
	return rules.Shutoff{Product: row.Product, Channel: row.Channel, Comment: row.Comment, DataVersion: row.DataVersion}, nil
}

// ListShutoffs returns every emergency shutoff in key order.
func (t *AdminTx) ListShutoffs() ([]rules.Shutoff, error) {
	var rows []shutoffRow
	if err := t.tx.Order("product, channel").Find(&rows).Error; err != nil {
		return nil, unavailable("list emergency shutoffs", err)
	}
	out := make([]rules.Shutoff, len(rows))
	for i, r := range rows {
		out[i] = rules.Shutoff{Product: r.Product, Channel: r.Channel, Comment: r.Comment, DataVersion: r.DataVersion}
	}
	return out, nil
}

// InsertShutoff creates an emergency shutoff (data_version 1) with its
// history rows.
func (t *AdminTx) InsertShutoff(s rules.Shutoff) error {
	t.touchProduct(&s.Product)
	row := shutoffRow{Product: s.Product, Channel: s.Channel, Comment: s.Comment, DataVersion: 1}
	if err := t.create("insert emergency shutoff", &row); err != nil {
		return err
	}
	marker, full := t.insertMetas()
	dv := 1
	hist := []shutoffHistoryRow{
		{History: marker, Product: s.Product, Channel: s.Channel},
		{History: full, Product: s.Product, Channel: s.Channel, Comment: s.Comment, DataVersion: &dv},
	}
	return t.create("insert emergency shutoff history", &hist)
}

// DeleteShutoff deletes an emergency shutoff, guarded by version.
func (t *AdminTx) DeleteShutoff(product, channel string, version int) error {
	t.touchProduct(&product)
	res := t.tx.Where("product = ? AND channel = ? AND data_version = ?", product, channel, version).Delete(&shutoffRow{})
	if err := guarded("delete emergency shutoff", res); err != nil {
		return err
	}
	hist := shutoffHistoryRow{History: t.meta(), Product: product, Channel: channel}
	return t.create("delete emergency shutoff history", &hist)
}
