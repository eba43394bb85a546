package gormstore

import (
	"fmt"

	"github.com/balrog-go/balrog/rules"
	"github.com/balrog-go/balrog/store"
)

// v2Row scans releases_json and release_assets rows.
type v2Row struct {
	Name        string
	Path        string
	Product     string
	ReadOnly    *bool
	Data        *string
	DataVersion int
}

// ReleaseJSON reads the base row of a split (v2) release.
func (t *AdminTx) ReleaseJSON(name string) (store.Release, error) {
	var rows []v2Row
	if err := t.tx.Raw("SELECT name, product, read_only, data, data_version FROM releases_json WHERE name = ?", name).Scan(&rows).Error; err != nil {
		return store.Release{}, unavailable("read releases_json", err)
	}
	if len(rows) == 0 {
		return store.Release{}, fmt.Errorf("release %s: %w", name, store.ErrNotFound)
	}
	r := rows[0]
	out := store.Release{Name: r.Name, Product: r.Product, ReadOnly: r.ReadOnly != nil && *r.ReadOnly, DataVersion: r.DataVersion}
	if r.Data != nil {
		out.Data = []byte(*r.Data)
	}
	return out, nil
}

// ListReleasesJSON lists the base rows of every v2 release in name order,
// without blobs.
func (t *AdminTx) ListReleasesJSON() ([]store.ReleaseInfo, error) {
	var rows []v2Row
	if err := t.tx.Raw("SELECT name, product, read_only, data_version FROM releases_json ORDER BY name").Scan(&rows).Error; err != nil {
		return nil, unavailable("list releases_json", err)
	}
	out := make([]store.ReleaseInfo, len(rows))
	for i, r := range rows {
		out[i] = store.ReleaseInfo{Name: r.Name, Product: r.Product, ReadOnly: r.ReadOnly != nil && *r.ReadOnly, DataVersion: r.DataVersion}
	}
	return out, nil
}

// Assets reads the assets of a v2 release in path order.
func (t *AdminTx) Assets(name string) ([]store.ReleaseAsset, error) {
	var rows []v2Row
	if err := t.tx.Raw("SELECT name, path, data, data_version FROM release_assets WHERE name = ? ORDER BY path", name).Scan(&rows).Error; err != nil {
		return nil, unavailable("read release_assets", err)
	}
	out := make([]store.ReleaseAsset, len(rows))
	for i, r := range rows {
		out[i] = store.ReleaseAsset{Name: r.Name, Path: r.Path, DataVersion: r.DataVersion}
		if r.Data != nil {
			out[i].Data = []byte(*r.Data)
		}
	}
	return out, nil
}

// InsertReleaseJSON creates a v2 base row (version 1) with history rows.
func (t *AdminTx) InsertReleaseJSON(r store.Release) error {
	t.touchRelease(r.Name)
	if err := t.tx.Exec("INSERT INTO releases_json (name, product, read_only, data, data_version) VALUES (?, ?, ?, ?, 1)",
		r.Name, r.Product, r.ReadOnly, string(r.Data)).Error; err != nil {
		return unavailable("insert releases_json", err)
	}
	marker, full := t.insertMetas()
	if err := t.history("releases_json", marker, map[string]any{"name": r.Name}); err != nil {
		return err
	}
	return t.history("releases_json", full, map[string]any{"name": r.Name, "product": r.Product, "read_only": r.ReadOnly, "data": string(r.Data), "data_version": 1})
}

// UpdateReleaseJSON replaces product, read_only and data of a v2 base row,
// guarded by oldVersion, and returns the new version.
func (t *AdminTx) UpdateReleaseJSON(r store.Release, oldVersion int) (int, error) {
	t.touchRelease(r.Name)
	dv := oldVersion + 1
	res := t.tx.Exec("UPDATE releases_json SET product = ?, read_only = ?, data = ?, data_version = ? WHERE name = ? AND data_version = ?",
		r.Product, r.ReadOnly, string(r.Data), dv, r.Name, oldVersion)
	if err := guarded("update releases_json", res); err != nil {
		return 0, err
	}
	return dv, t.history("releases_json", t.meta(), map[string]any{"name": r.Name, "product": r.Product, "read_only": r.ReadOnly, "data": string(r.Data), "data_version": dv})
}

// DeleteReleaseJSON deletes a v2 base row, guarded by version.
func (t *AdminTx) DeleteReleaseJSON(name string, version int) error {
	t.touchRelease(name)
	res := t.tx.Exec("DELETE FROM releases_json WHERE name = ? AND data_version = ?", name, version)
	if err := guarded("delete releases_json", res); err != nil {
		return err
	}
	return t.history("releases_json", t.meta(), map[string]any{"name": name})
}

// InsertAsset creates an asset (version 1) with history rows.
func (t *AdminTx) InsertAsset(a store.ReleaseAsset) error {
	t.touchRelease(a.Name)
	if err := t.tx.Exec("INSERT INTO release_assets (name, path, data, data_version) VALUES (?, ?, ?, 1)", a.Name, a.Path, string(a.Data)).Error; err != nil {
		return unavailable("insert release_assets", err)
	}
	marker, full := t.insertMetas()
	if err := t.history("release_assets", marker, map[string]any{"name": a.Name, "path": a.Path}); err != nil {
		return err
	}
	return t.history("release_assets", full, map[string]any{"name": a.Name, "path": a.Path, "data": string(a.Data), "data_version": 1})
}

// UpdateAsset replaces an asset's data, guarded by oldVersion.
func (t *AdminTx) UpdateAsset(a store.ReleaseAsset, oldVersion int) (int, error) {
	t.touchRelease(a.Name)
	dv := oldVersion + 1
	res := t.tx.Exec("UPDATE release_assets SET data = ?, data_version = ? WHERE name = ? AND path = ? AND data_version = ?", string(a.Data), dv, a.Name, a.Path, oldVersion)
	if err := guarded("update release_assets", res); err != nil {
		return 0, err
	}
	return dv, t.history("release_assets", t.meta(), map[string]any{"name": a.Name, "path": a.Path, "data": string(a.Data), "data_version": dv})
}

// DeleteAsset deletes an asset, guarded by version.
func (t *AdminTx) DeleteAsset(name, path string, version int) error {
	t.touchRelease(name)
	res := t.tx.Exec("DELETE FROM release_assets WHERE name = ? AND path = ? AND data_version = ?", name, path, version)
	if err := guarded("delete release_assets", res); err != nil {
		return err
	}
	return t.history("release_assets", t.meta(), map[string]any{"name": name, "path": path})
}

// Pin reads one pinnable release.
func (t *AdminTx) Pin(product, channel, version string) (rules.Pin, error) {
	var row pinRow
	if err := t.tx.Where("product = ? AND channel = ? AND version = ?", product, channel, version).Take(&row).Error; err != nil {
		return rules.Pin{}, dbErr("pin", err)
	}
	return rules.Pin{Product: row.Product, Channel: row.Channel, Version: row.Version, Mapping: row.Mapping, DataVersion: row.DataVersion}, nil
}

// PinsOf lists the pins mapping a release.
func (t *AdminTx) PinsOf(mapping string) ([]rules.Pin, error) {
	var rows []pinRow
	if err := t.tx.Where("mapping = ?", mapping).Find(&rows).Error; err != nil {
		return nil, unavailable("read pins", err)
	}
	out := make([]rules.Pin, len(rows))
	for i, r := range rows {
		out[i] = rules.Pin{Product: r.Product, Channel: r.Channel, Version: r.Version, Mapping: r.Mapping, DataVersion: r.DataVersion}
	}
	return out, nil
}

// InsertPin creates a pin (version 1) with history rows.
func (t *AdminTx) InsertPin(p rules.Pin) error {
	t.touchProduct(&p.Product)
	row := pinRow{Product: p.Product, Version: p.Version, Channel: p.Channel, Mapping: p.Mapping, DataVersion: 1}
	if err := t.create("insert pin", &row); err != nil {
		return err
	}
	marker, full := t.insertMetas()
	dv, mapping := 1, p.Mapping
	hist := []pinHistoryRow{
		{History: marker, Product: p.Product, Version: p.Version, Channel: p.Channel},
		{History: full, Product: p.Product, Version: p.Version, Channel: p.Channel, Mapping: &mapping, DataVersion: &dv},
	}
	return t.create("insert pin history", &hist)
}

// UpdatePin changes a pin's mapping, guarded by oldVersion.
func (t *AdminTx) UpdatePin(p rules.Pin, oldVersion int) (int, error) {
	t.touchProduct(&p.Product)
	dv := oldVersion + 1
	res := t.tx.Model(&pinRow{}).Where("product = ? AND channel = ? AND version = ? AND data_version = ?", p.Product, p.Channel, p.Version, oldVersion).
		Updates(map[string]any{"mapping": p.Mapping, "data_version": dv})
	if err := guarded("update pin", res); err != nil {
		return 0, err
	}
	mapping := p.Mapping
	hist := pinHistoryRow{History: t.meta(), Product: p.Product, Version: p.Version, Channel: p.Channel, Mapping: &mapping, DataVersion: &dv}
	return dv, t.create("update pin history", &hist)
}
