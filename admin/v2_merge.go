package admin

import (
	"fmt"
	"slices"

	"github.com/balrog-go/balrog/store"
	"github.com/balrog-go/balrog/store/gormstore"
)

// Direct writes of v2 rows (releases_json base rows and release_assets)
// that have incomplete scheduled changes (admin.md §8.6, as the v1 tables):
// an update is merged into the row's pending changes when it does not touch
// what they change, and refused with UpdateMergeError when it does; a
// deletion is refused with ChangeScheduledError. Both refusals come before
// anything is written.

// v2ColumnEq compares two base-column values of a v2 family: the data
// column holds JSON text and is compared as JSON, so that the same blob
// encoded another way is not a change.
func v2ColumnEq(col string, a, b any) bool {
	if col == "data" {
		as, aok := a.(string)
		bs, bok := b.(string)
		if aok && bok {
			return jsonEq(decodeJSON([]byte(as)), decodeJSON([]byte(bs)))
		}
	}
	return jsonEq(a, b)
}

// mergeV2 checks (apply false) or performs (apply true) the merge of a
// direct update of the v2 row pk (old → new columns) into the row's
// incomplete scheduled changes of family a. Each merged change is edited as
// its scheduler, with the base columns the update changed set to their new
// values (so its base data_version follows the row), and loses the signoffs
// of everybody else.
func mergeV2(tx *gormstore.AdminTx, a scAdapter, pk, old, new map[string]any, apply bool) error {
	pending, err := tx.ScheduledChanges(a.family(), false, pk)
	if err != nil || len(pending) == 0 {
		return err
	}
	var changed []string
	for k, v := range new {
		if !v2ColumnEq(k, v, old[k]) {
			changed = append(changed, k)
		}
	}
	slices.Sort(changed)
	for _, sc := range pending {
		for _, k := range changed {
			if !v2ColumnEq(k, sc.Base[k], old[k]) {
				return &UpdateMerge{}
			}
		}
		// The merged change is validated as an edit would be.
		if err := checkConditions(sc.Conditions); err != nil {
			return err
		}
	}
	if !apply {
		return nil
	}
	for _, sc := range pending {
		for _, k := range changed {
			sc.Base[k] = new[k]
		}
		as := tx.As(sc.ScheduledBy)
		if _, err := as.UpdateScheduledChange(a.family(), sc, sc.DataVersion); err != nil {
			return err
		}
		if err := resetSignoffs(as, a, sc.ScID); err != nil {
			return err
		}
	}
	return nil
}

// v2BaseColumns is a releases_json row as base columns of its family.
func v2BaseColumns(r store.Release, version int) map[string]any {
	return map[string]any{"name": r.Name, "product": r.Product, "read_only": r.ReadOnly, "data": string(r.Data), "data_version": int64(version)}
}

// v2AssetColumns is a release_assets row as base columns of its family.
func v2AssetColumns(name, path string, data []byte, version int) map[string]any {
	return map[string]any{"name": name, "path": path, "data": string(data), "data_version": int64(version)}
}

// updateV2Base replaces the base row cur by next, guarded by version, and
// merges the update into the row's pending base changes. A stale version is
// OutdatedDataError and a conflicting pending change UpdateMergeError, both
// before anything is written.
func updateV2Base(tx *gormstore.AdminTx, cur, next store.Release, version int) (int, error) {
	if version != cur.DataVersion {
		return 0, fmt.Errorf("update releases_json %s: %w", cur.Name, store.ErrOutdated)
	}
	pk := map[string]any{"name": cur.Name}
	old, new := v2BaseColumns(cur, version), v2BaseColumns(next, version+1)
	if err := mergeV2(tx, scV2Base, pk, old, new, false); err != nil {
		return 0, err
	}
	n, err := tx.UpdateReleaseJSON(next, version)
	if err != nil {
		return 0, err
	}
	return n, mergeV2(tx, scV2Base, pk, old, new, true)
}

// updateV2Asset replaces the data of the stored asset cur, guarded by
// version, and merges the update into the asset's pending changes, as
// updateV2Base.
func updateV2Asset(tx *gormstore.AdminTx, cur store.ReleaseAsset, data []byte, version int) (int, error) {
	if version != cur.DataVersion {
		return 0, fmt.Errorf("update release_assets %s %s: %w", cur.Name, cur.Path, store.ErrOutdated)
	}
	pk := map[string]any{"name": cur.Name, "path": cur.Path}
	old, new := v2AssetColumns(cur.Name, cur.Path, cur.Data, version), v2AssetColumns(cur.Name, cur.Path, data, version+1)
	if err := mergeV2(tx, scV2Assets, pk, old, new, false); err != nil {
		return 0, err
	}
	n, err := tx.UpdateAsset(store.ReleaseAsset{Name: cur.Name, Path: cur.Path, Data: data}, version)
	if err != nil {
		return 0, err
	}
	return n, mergeV2(tx, scV2Assets, pk, old, new, true)
}

// deleteV2Asset deletes an asset, guarded by version; an asset with a
// pending change cannot go (ChangeScheduledError).
func deleteV2Asset(tx *gormstore.AdminTx, name, path string, version int) error {
	if err := refuseIfScheduled(tx, scV2Assets, map[string]any{"name": name, "path": path}); err != nil {
		return err
	}
	return tx.DeleteAsset(name, path, version)
}
