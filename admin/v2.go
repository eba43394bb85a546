package admin

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/balrog-go/balrog/blobs"
	"github.com/balrog-go/balrog/store"
	"github.com/balrog-go/balrog/store/gormstore"
)

// v2NotFound is the 404 of a missing v2 release.
func v2NotFound() *Problem {
	return &Problem{Status: http.StatusNotFound, Title: "Not Found", Detail: "Release does not exist"}
}

// v2Missing maps a failed releases_json read.
func v2Missing(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return &Problem{Status: http.StatusNotFound, Title: "Missing", Detail: "Release does not exist"}
	}
	return err
}

// v2ReadOnly is Balrog's ReadOnlyError answer.
func v2ReadOnly(msg string) *Problem {
	return &Problem{Status: http.StatusBadRequest, Title: "Bad Request", Detail: "Read only", Exception: msg}
}

// checkV2Permission is release/<action> for product, with the v2 wording.
func checkV2Permission(tx *gormstore.AdminTx, action, product string) error {
	return requirePermission(tx, tx.User, "release", action, &product,
		fmt.Sprintf("%s is not allowed to %s %s releases", tx.User, action, product))
}

// v2Release is a stored split release.
type v2Release struct {
	base   store.Release
	data   map[string]any
	assets []store.ReleaseAsset
}

// loadV2 reads a v2 release: base row, decoded base blob and assets.
func loadV2(tx *gormstore.AdminTx, name string) (*v2Release, error) {
	base, err := tx.ReleaseJSON(name)
	if err != nil {
		return nil, err
	}
	assets, err := tx.Assets(name)
	if err != nil {
		return nil, err
	}
	data, _ := decodeJSON(base.Data).(map[string]any)
	if data == nil {
		data = map[string]any{}
	}
	return &v2Release{base: base, data: data, assets: assets}, nil
}

// tree is the data_versions tree of the release.
func (r *v2Release) tree() map[string]any {
	vs := map[string]any{}
	for _, a := range r.assets {
		vs[a.Path] = a.DataVersion
	}
	return versionTree(r.base.DataVersion, vs)
}

// blob is the assembled blob of the release.
func (r *v2Release) blob() map[string]any { return assemble(r.data, assetMap(r.assets)) }

// pendingV2 lists the incomplete base and asset changes of a release.
func pendingV2(tx *gormstore.AdminTx, name string) (base []store.ScheduledChange, assets []store.ScheduledChange, err error) {
	if base, err = tx.ScheduledChanges(scV2Base.family(), false, map[string]any{"name": name}); err != nil {
		return nil, nil, err
	}
	assets, err = tx.ScheduledChanges(scV2Assets.family(), false, map[string]any{"name": name})
	return base, assets, err
}

// v2Body is the body of the v2 release writes.
type v2Body struct {
	blob        map[string]any
	product     *string
	oldVersions map[string]any
	when        *int64
}

// readV2Body reads the body of PUT and POST /v2/releases/{name}.
func readV2Body(c echo.Context, needOld bool) (v2Body, error) {
	var vb v2Body
	b, err := readBody(c)
	if err != nil {
		return vb, err
	}
	if !b.has("blob") {
		return vb, invalid("'blob' is a required property")
	}
	blob, ok := b["blob"].(map[string]any)
	if !ok {
		return vb, invalid(fmt.Sprintf("%s is not of type 'object'", pyRepr(b["blob"])))
	}
	vb.blob = blob
	if vb.product, _, err = optString(b, "product", false); err != nil {
		return vb, err
	}
	if needOld && !b.has("old_data_versions") {
		return vb, invalid("'old_data_versions' is a required property")
	}
	vb.oldVersions, _ = b["old_data_versions"].(map[string]any)
	if vb.oldVersions == nil {
		vb.oldVersions = map[string]any{}
	}
	if v, ok := b["when"]; ok && v != nil {
		n, err := asInt64(v)
		if err != nil {
			return vb, invalid(fmt.Sprintf("when: %s is not of type 'integer', 'null'", pyRepr(v)))
		}
		vb.when = &n
	}
	return vb, nil
}

// v2Writer applies (or schedules) the parts of a v2 write and collects the

// answer tree.
type v2Writer struct {
	tx     *gormstore.AdminTx
	name   string
	when   *int64
	base   any
	assets map[string]any
	// cur and stored are the release's base row and assets as read, which
	// direct updates merge into pending changes against (v2_merge.go).
	cur    *store.Release
	stored map[string]store.ReleaseAsset
}

// newV2Writer returns the writer of release r (nil for a new release).
func newV2Writer(tx *gormstore.AdminTx, name string, when *int64, r *v2Release) *v2Writer {
	w := &v2Writer{tx: tx, name: name, when: when, assets: map[string]any{}, stored: map[string]store.ReleaseAsset{}}
	if r != nil {
		w.cur = &r.base
		for _, a := range r.assets {
			w.stored[a.Path] = a
		}
	}
	return w
}

// schedule schedules a change and returns its scheduled leaf.
func (w *v2Writer) schedule(a scAdapter, changeType string, base map[string]any) (map[string]any, error) {
	sc := store.ScheduledChange{ScheduledBy: w.tx.User, ChangeType: changeType, Base: base,
		Conditions: map[string]any{"when": *w.when}}
	if *w.when < nowMillis() {
		return nil, badRequest("Changes may not be scheduled in the past")
	}
	id, err := w.tx.InsertScheduledChange(a.family(), sc)
	if err != nil {
		return nil, err
	}
	sc.ScID, sc.DataVersion = id, 1
	if err := autoSignoff(w.tx, a, sc); err != nil {
		return nil, err
	}
	signoffs, err := w.tx.Signoffs(a.family(), id)
	if err != nil {
		return nil, err
	}
	return map[string]any{"sc_id": id, "change_type": changeType, "data_version": 1, "signoffs": signoffsJSON(signoffs), "when": *w.when}, nil
}

// cancelPending deletes the incomplete changes of one row.
func (w *v2Writer) cancelPending(a scAdapter, pk map[string]any) error {
	pending, err := w.tx.ScheduledChanges(a.family(), false, pk)
	if err != nil {
		return err
	}
	for _, sc := range pending {
		if err := w.tx.DeleteScheduledChange(a.family(), sc.ScID, sc.DataVersion); err != nil {
			return err
		}
	}
	return nil
}

// asset writes or schedules one asset change (data nil: delete).
func (w *v2Writer) asset(changeType, path string, data any, version int) error {
	a := store.ReleaseAsset{Name: w.name, Path: path, Data: mustJSON(data)}
	if w.when != nil {
		base := map[string]any{"name": w.name, "path": path, "data": string(a.Data), "data_version": nil}
		if changeType != "insert" {
			base["data_version"] = int64(version)
		}
		if changeType == "delete" {
			base["data"] = nil
		}
		leaf, err := w.schedule(scV2Assets, changeType, base)
		w.assets[path] = leaf
		return err
	}
	var err error
	switch changeType {
	case "insert":
		err = w.tx.InsertAsset(a)
		w.assets[path] = 1
	case "update":
		cur, ok := w.stored[path]
		if !ok {
			return fmt.Errorf("update release_assets %s %s: %w", w.name, path, store.ErrOutdated)
		}
		var n int
		n, err = updateV2Asset(w.tx, cur, a.Data, version)
		w.assets[path] = n
	default:
		err = deleteV2Asset(w.tx, w.name, path, version)
	}
	return err
}

// result is the answer tree.
func (w *v2Writer) result() map[string]any { return versionTree(w.base, w.assets) }

// validateV2Blob validates an assembled blob for product.
func (s *Server) validateV2Blob(blob map[string]any, product string) error {
	if err := blobs.Validate(mustJSON(blob), product, blobs.ValidateOptions{Allowlist: s.cfg.Allowlist}); err != nil {
		var ve *blobs.ValidationError
		if errors.As(err, &ve) {
			if ve.Kind == blobs.ValidationBadValue {
				return valueError(ve.Message)
			}
			return &Problem{Status: http.StatusBadRequest, Title: "Bad Request", Detail: "Invalid Blob", Exception: ve.Schema}
		}
		return err
	}
	return nil
}

// v2Put is PUT /v2/releases/{name}: sets the whole release, writing (or
// scheduling) only the parts that change.
func (s *Server) v2Put(c echo.Context) error {
	name := c.Param("name")
	vb, err := readV2Body(c, false)
	if err != nil {
		return err
	}
	var out map[string]any
	err = s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		r, err := loadV2(tx, name)
		exists := err == nil
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		product := ""
		if vb.product != nil {
			product = *vb.product
		}
		if exists {
			if err := checkV2Permission(tx, "modify", r.base.Product); err != nil {
				return err
			}
			if product != "" && product != r.base.Product {
				if err := checkV2Permission(tx, "modify", product); err != nil {
					return err
				}
			}
			if product == "" {
				product = r.base.Product
			}
			if r.base.ReadOnly {
				return v2ReadOnly("Cannot overwrite a Release that is marked as read-only")
			}
		} else if err := checkV2Permission(tx, "create", product); err != nil {
			return err
		}
		if err := s.validateV2Blob(vb.blob, product); err != nil {
			return err
		}
		newBase, newAssets := splitBlob(vb.blob, hasAssets(vb.blob))
		stored := map[string]any{}
		storedVersions := map[string]int{}
		var oldBase map[string]any
		if exists {
			stored, oldBase = assetMap(r.assets), r.data
			for _, a := range r.assets {
				storedVersions[a.Path] = a.DataVersion
			}
		}
		changed := !exists || !jsonEq(oldBase, newBase) || (exists && product != r.base.Product)
		for path, data := range newAssets {
			changed = changed || !jsonEq(stored[path], data)
		}
		for path := range stored {
			_, keep := newAssets[path]
			changed = changed || !keep
		}
		if changed && vb.when == nil {
			req, err := releaseSignoffs(tx, name)
			if err != nil {
				return err
			}
			if len(req) > 0 {
				return signoffRequired("Signoff is required, cannot update Release directly")
			}
		}
		w := newV2Writer(tx, name, vb.when, r)
		// Base first, so that a new release exists before its assets.
		switch {
		case exists && jsonEq(oldBase, newBase) && product == r.base.Product:
			if err := w.cancelPending(scV2Base, map[string]any{"name": name}); err != nil {
				return err
			}
		case exists:
			old, ok := treeVersion(vb.oldVersions, ".")
			if !ok {
				return valueError("Missing data_version for .")
			}
			if err := w.writeBase("update", store.Release{Name: name, Product: product, ReadOnly: r.base.ReadOnly, Data: mustJSON(newBase)}, old); err != nil {
				return err
			}
		default:
			if err := w.writeBase("insert", store.Release{Name: name, Product: product, Data: mustJSON(newBase)}, 0); err != nil {
				return err
			}
		}
		for _, path := range sortedPaths(newAssets) {
			data := newAssets[path]
			if old, ok := stored[path]; ok && jsonEq(old, data) {
				if err := w.cancelPending(scV2Assets, map[string]any{"name": name, "path": path}); err != nil {
					return err
				}
				continue
			}
			if v, ok := treeVersion(vb.oldVersions, path); ok {
				if err := w.asset("update", path, data, v); err != nil {
					return err
				}
			} else if err := w.asset("insert", path, data, 0); err != nil {
				return err
			}
		}
		for _, path := range sortedPaths(stored) {
			if _, keep := newAssets[path]; keep {
				continue
			}
			v, ok := treeVersion(vb.oldVersions, path)
			if !ok {
				v = storedVersions[path]
			}
			if err := w.asset("delete", path, nil, v); err != nil {
				return err
			}
			delete(w.assets, path)
		}
		out = w.result()
		return nil
	})
	if err != nil {
		return err
	}
	return okJSON(c, out)
}

// writeBase writes or schedules a base change.
func (w *v2Writer) writeBase(changeType string, r store.Release, version int) error {
	if w.when != nil {
		base := map[string]any{"name": r.Name, "product": r.Product, "read_only": r.ReadOnly, "data": string(r.Data), "data_version": nil}
		if changeType != "insert" {
			base["data_version"] = int64(version)
		}
		leaf, err := w.schedule(scV2Base, changeType, base)
		w.base = leaf
		return err
	}
	if changeType == "insert" {
		w.base = 1
		return w.tx.InsertReleaseJSON(r)
	}
	if w.cur == nil {
		return fmt.Errorf("update releases_json %s: %w", r.Name, store.ErrOutdated)
	}
	n, err := updateV2Base(w.tx, *w.cur, r, version)
	w.base = n
	return err
}

// v2Post is POST /v2/releases/{name}: deep-merges a partial blob into the
// release.
func (s *Server) v2Post(c echo.Context) error {
	name := c.Param("name")
	vb, err := readV2Body(c, true)
	if err != nil {
		return err
	}
	var out map[string]any
	err = s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		r, err := loadV2(tx, name)
		if err != nil {
			return v2Missing(err)
		}
		if vb.when == nil {
			req, err := releaseSignoffs(tx, name)
			if err != nil {
				return err
			}
			if len(req) > 0 {
				return signoffRequired("Signoff is required, cannot update Release directly")
			}
		}
		if err := checkV2Permission(tx, "modify", r.base.Product); err != nil {
			return err
		}
		if r.base.ReadOnly {
			return v2ReadOnly("Cannot update a Release that is marked as read-only")
		}
		partBase, partAssets := splitBlob(vb.blob, hasAssets(r.data))
		stored := assetMap(r.assets)
		newBase := deepCopy(r.data).(map[string]any)
		deepMerge(newBase, partBase)
		baseChanged := len(partBase) > 0 && !jsonEq(newBase, r.data)
		if p, ok := partBase["platforms"].(map[string]any); ok && len(partAssets) > 0 {
			// The locales moved to assets leave empty objects behind; they
			// do not change the base.
			_ = p
			baseChanged = !jsonEq(newBase, r.data)
		}
		finalAssets := assetMap(r.assets)
		type assetChange struct {
			path, changeType string
			data             any
			version          int
		}
		var changes []assetChange
		for _, path := range sortedPaths(partAssets) {
			patch := partAssets[path]
			old, ok := stored[path]
			if !ok {
				changes = append(changes, assetChange{path, "insert", patch, 0})
				finalAssets[path] = patch
				continue
			}
			merged := deepCopy(old)
			if om, isObj := merged.(map[string]any); isObj {
				if pm, pok := patch.(map[string]any); pok {
					deepMerge(om, pm)
				} else {
					merged = deepCopy(patch)
				}
			} else {
				merged = deepCopy(patch)
			}
			if jsonEq(merged, old) {
				continue
			}
			v, ok := treeVersion(vb.oldVersions, path)
			if !ok {
				return valueError("Missing data_version for " + path)
			}
			changes = append(changes, assetChange{path, "update", merged, v})
			finalAssets[path] = merged
		}
		if err := s.validateV2Blob(assemble(newBase, finalAssets), r.base.Product); err != nil {
			return err
		}
		w := newV2Writer(tx, name, vb.when, r)
		if baseChanged {
			old, ok := treeVersion(vb.oldVersions, ".")
			if !ok {
				return valueError("Missing data_version for .")
			}
			if err := w.writeBase("update", store.Release{Name: name, Product: r.base.Product, ReadOnly: r.base.ReadOnly, Data: mustJSON(newBase)}, old); err != nil {
				return err
			}
		}
		for _, ch := range changes {
			if err := w.asset(ch.changeType, ch.path, ch.data, ch.version); err != nil {
				return err
			}
		}
		out = deepCopy(vb.oldVersions).(map[string]any)
		res := w.result()
		if v, ok := res["."]; ok {
			out["."] = v
		}
		if p, ok := res["platforms"].(map[string]any); ok {
			op, _ := out["platforms"].(map[string]any)
			if op == nil {
				op = map[string]any{}
				out["platforms"] = op
			}
			for pn, pv := range p {
				opp, _ := op[pn].(map[string]any)
				if opp == nil {
					opp = map[string]any{"locales": map[string]any{}}
					op[pn] = opp
				}
				ol, _ := opp["locales"].(map[string]any)
				if ol == nil {
					ol = map[string]any{}
					opp["locales"] = ol
				}
				for l, v := range pv.(map[string]any)["locales"].(map[string]any) {
					ol[l] = v
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return okJSON(c, out)
}

// v2Delete is DELETE /v2/releases/{name}: cancels the pending changes,
// then deletes the base row and every asset.
func (s *Server) v2Delete(c echo.Context) error {
	name := c.Param("name")
	err := s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		base, assets, err := pendingV2(tx, name)
		if err != nil {
			return err
		}
		r, err := loadV2(tx, name)
		if errors.Is(err, store.ErrNotFound) && len(base)+len(assets) == 0 {
			return v2NotFound()
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		for _, sc := range base {
			if err := checkV2Permission(tx, "delete", strOf(sc.Base["product"])); err != nil {
				return err
			}
			if err := tx.DeleteScheduledChange(scV2Base.family(), sc.ScID, sc.DataVersion); err != nil {
				return err
			}
		}
		for _, sc := range assets {
			if err := tx.DeleteScheduledChange(scV2Assets.family(), sc.ScID, sc.DataVersion); err != nil {
				return err
			}
		}
		if r == nil {
			return nil
		}
		ids, err := tx.RulesMapping(name)
		if err != nil {
			return err
		}
		if len(ids) > 0 {
			return valueError("Cannot delete release that is mapped to")
		}
		pins, err := tx.PinsOf(name)
		if err != nil {
			return err
		}
		if len(pins) > 0 {
			return valueError("Cannot delete release that is pinnable")
		}
		if err := checkV2Permission(tx, "delete", r.base.Product); err != nil {
			return err
		}
		if r.base.ReadOnly {
			return v2ReadOnly("Cannot delete a Release that is marked as read-only")
		}
		for _, a := range r.assets {
			if err := tx.DeleteAsset(name, a.Path, a.DataVersion); err != nil {
				return err
			}
		}
		return tx.DeleteReleaseJSON(name, r.base.DataVersion)
	})
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, ctJSON, nil)
}

// v2ReadOnly is PUT /v2/releases/{name}/read_only; making a protected
// release writable is scheduled 30 s ahead (admin.md §9.3).
func (s *Server) v2ReadOnly(c echo.Context) error {
	name := c.Param("name")
	b, err := readBody(c)
	if err != nil {
		return err
	}
	want, ok := b["read_only"].(bool)
	if !ok {
		return invalid(fmt.Sprintf("read_only: %s is not of type 'boolean'", pyRepr(b["read_only"])))
	}
	old, err := intParam{name: "old_data_version", min: bound(1)}.required(b)
	if err != nil {
		return err
	}
	var out map[string]any
	err = s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		r, err := tx.ReleaseJSON(name)
		if err != nil {
			return v2Missing(err)
		}
		action := "set"
		if !want {
			action = "unset"
		}
		if err := requirePermission(tx, user, "release_read_only", action, &r.Product,
			fmt.Sprintf("%s is not allowed to %s read only for %s releases", user, action, r.Product)); err != nil {
			return err
		}
		next := r
		next.ReadOnly = want
		if !want {
			req, err := releaseSignoffs(tx, name)
			if err != nil {
				return err
			}
			prod, err := productWideSignoffs(tx, r.Product)
			if err != nil {
				return err
			}
			if len(req) > 0 || len(prod) > 0 {
				when := time.Now().Add(30 * time.Second).UnixMilli()
				w := &v2Writer{tx: tx, name: name, when: &when, assets: map[string]any{}}
				if err := w.writeBase("update", next, old); err != nil {
					return err
				}
				out = map[string]any{".": w.base}
				return nil
			}
		}
		n, err := updateV2Base(tx, r, next, old)
		out = map[string]any{".": n}
		return err
	})
	if err != nil {
		return err
	}
	return okJSON(c, out)
}
