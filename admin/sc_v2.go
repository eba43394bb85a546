package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/balrog-go/balrog/rules"
	"github.com/balrog-go/balrog/store"
	"github.com/balrog-go/balrog/store/gormstore"
)

// errNotSchedulable refuses creating or editing changes of the families
// that only the v2 endpoints schedule.
var errNotSchedulable = &Problem{Status: http.StatusBadRequest, Title: "Bad Request", Detail: "Changes of this kind are scheduled through the v2 endpoints"}

// v2BaseSC is the scheduled-change family of releases_json (v2 base rows).
type v2BaseSC struct{}

// v2AssetSC is the scheduled-change family of release_assets.
type v2AssetSC struct{}

// pinsSC is the scheduled-change family of pinnable_releases.
type pinsSC struct{}

var (
	scV2Base   scAdapter = v2BaseSC{}
	scV2Assets scAdapter = v2AssetSC{}
	scPins     scAdapter = pinsSC{}
)

func (v2BaseSC) family() gormstore.SCFamily {
	return gormstore.SCFamily{Base: "releases_json", Columns: map[string]gormstore.ColumnKind{
		"name": gormstore.KindString, "product": gormstore.KindString, "read_only": gormstore.KindBool,
		"data": gormstore.KindString, "data_version": gormstore.KindInt,
	}}
}
func (v2BaseSC) noun() string          { return "Release" }
func (v2BaseSC) changeTypes() []string { return []string{"insert", "update", "delete"} }
func (v2BaseSC) listFilters() []string { return []string{"name"} }
func (v2BaseSC) pk(sc store.ScheduledChange) map[string]any {
	return map[string]any{"name": sc.Base["name"]}
}
func (v2BaseSC) createBase(*gormstore.AdminTx, body, string) (map[string]any, error) {
	return nil, errNotSchedulable
}
func (v2BaseSC) editBase(body, *store.ScheduledChange) error              { return errNotSchedulable }
func (v2BaseSC) validate(*gormstore.AdminTx, store.ScheduledChange) error { return nil }
func (v2BaseSC) render(b map[string]any) map[string]any                   { return renderWithData(b) }

func (v2BaseSC) requirements(tx *gormstore.AdminTx, sc store.ScheduledChange) (requirements, error) {
	return releaseSignoffs(tx, strOf(sc.Base["name"]))
}

func (v2BaseSC) enact(tx *gormstore.AdminTx, sc store.ScheduledChange, signoffs []store.Signoff) error {
	name := strOf(sc.Base["name"])
	req, err := releaseSignoffs(tx, name)
	if err != nil {
		return err
	}
	if err := verifySignoffs(req, signoffs); err != nil {
		return err
	}
	next := store.Release{Name: name, Product: strOf(sc.Base["product"]), Data: []byte(strOf(sc.Base["data"]))}
	next.ReadOnly, _ = sc.Base["read_only"].(bool)
	dv, _ := sc.Base["data_version"].(int64)
	switch sc.ChangeType {
	case "insert":
		if err := checkV2Permission(tx, "create", next.Product); err != nil {
			return err
		}
		return tx.InsertReleaseJSON(next)
	case "delete":
		cur, err := tx.ReleaseJSON(name)
		if err != nil {
			return v2Missing(err)
		}
		if err := checkV2Permission(tx, "delete", cur.Product); err != nil {
			return err
		}
		return tx.DeleteReleaseJSON(name, int(dv))
	}
	cur, err := tx.ReleaseJSON(name)
	if err != nil {
		return v2Missing(err)
	}
	if cur.ReadOnly && next.ReadOnly {
		return v2ReadOnly("Cannot update a Release that is marked as read-only")
	}
	if cur.ReadOnly != next.ReadOnly {
		action := "set"
		if !next.ReadOnly {
			action = "unset"
		}
		if err := requirePermission(tx, tx.User, "release_read_only", action, &cur.Product,
			fmt.Sprintf("%s is not allowed to %s read only for %s releases", tx.User, action, cur.Product)); err != nil {
			return err
		}
	} else if err := checkV2Permission(tx, "modify", cur.Product); err != nil {
		return err
	}
	_, err = tx.UpdateReleaseJSON(next, int(dv))
	return err
}

func (v2AssetSC) family() gormstore.SCFamily {
	return gormstore.SCFamily{Base: "release_assets", Columns: map[string]gormstore.ColumnKind{
		"name": gormstore.KindString, "path": gormstore.KindString, "data": gormstore.KindString, "data_version": gormstore.KindInt,
	}}
}
func (v2AssetSC) noun() string          { return "Release" }
func (v2AssetSC) changeTypes() []string { return []string{"insert", "update", "delete"} }
func (v2AssetSC) listFilters() []string { return []string{"name"} }
func (v2AssetSC) createBase(*gormstore.AdminTx, body, string) (map[string]any, error) {
	return nil, errNotSchedulable
}
func (v2AssetSC) editBase(body, *store.ScheduledChange) error              { return errNotSchedulable }
func (v2AssetSC) validate(*gormstore.AdminTx, store.ScheduledChange) error { return nil }
func (v2AssetSC) render(b map[string]any) map[string]any                   { return renderWithData(b) }

func (v2AssetSC) pk(sc store.ScheduledChange) map[string]any {
	return map[string]any{"name": sc.Base["name"], "path": sc.Base["path"]}
}

func (v2AssetSC) requirements(tx *gormstore.AdminTx, sc store.ScheduledChange) (requirements, error) {
	return releaseSignoffs(tx, strOf(sc.Base["name"]))
}

func (v2AssetSC) enact(tx *gormstore.AdminTx, sc store.ScheduledChange, signoffs []store.Signoff) error {
	name, path := strOf(sc.Base["name"]), strOf(sc.Base["path"])
	req, err := releaseSignoffs(tx, name)
	if err != nil {
		return err
	}
	if err := verifySignoffs(req, signoffs); err != nil {
		return err
	}
	cur, err := tx.ReleaseJSON(name)
	if err != nil {
		return v2Missing(err)
	}
	if err := checkV2Permission(tx, "modify", cur.Product); err != nil {
		return err
	}
	dv, _ := sc.Base["data_version"].(int64)
	a := store.ReleaseAsset{Name: name, Path: path, Data: []byte(strOf(sc.Base["data"]))}
	switch sc.ChangeType {
	case "insert":
		return tx.InsertAsset(a)
	case "delete":
		return tx.DeleteAsset(name, path, int(dv))
	}
	_, err = tx.UpdateAsset(a, int(dv))
	return err
}

// renderWithData renders base columns with the JSON data decoded.
func renderWithData(b map[string]any) map[string]any {
	m := map[string]any{}
	for k, v := range b {
		m[k] = v
	}
	if s, ok := b["data"].(string); ok {
		m["data"] = json.RawMessage(s)
	}
	return m
}

func (pinsSC) family() gormstore.SCFamily {
	return gormstore.SCFamily{Base: "pinnable_releases", Columns: map[string]gormstore.ColumnKind{
		"product": gormstore.KindString, "channel": gormstore.KindString, "version": gormstore.KindString,
		"mapping": gormstore.KindString, "data_version": gormstore.KindInt,
	}}
}
func (pinsSC) noun() string          { return "Pinnable Release" }
func (pinsSC) changeTypes() []string { return []string{"insert", "update", "delete"} }
func (pinsSC) listFilters() []string { return nil }
func (pinsSC) createBase(*gormstore.AdminTx, body, string) (map[string]any, error) {
	return nil, errNotSchedulable
}
func (pinsSC) editBase(body, *store.ScheduledChange) error              { return errNotSchedulable }
func (pinsSC) validate(*gormstore.AdminTx, store.ScheduledChange) error { return nil }
func (pinsSC) render(b map[string]any) map[string]any                   { return renderWithData(b) }
func (pinsSC) requirements(*gormstore.AdminTx, store.ScheduledChange) (requirements, error) {
	return requirements{}, nil
}

func (pinsSC) pk(sc store.ScheduledChange) map[string]any {
	return map[string]any{"product": sc.Base["product"], "channel": sc.Base["channel"], "version": sc.Base["version"]}
}

func (pinsSC) enact(tx *gormstore.AdminTx, sc store.ScheduledChange, _ []store.Signoff) error {
	p := rules.Pin{Product: strOf(sc.Base["product"]), Channel: strOf(sc.Base["channel"]), Version: strOf(sc.Base["version"]), Mapping: strOf(sc.Base["mapping"])}
	if sc.ChangeType == "insert" {
		_, err := writePin(tx, p, nil)
		return err
	}
	cur, err := tx.Pin(p.Product, p.Channel, p.Version)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("Pin does not exist", nil)
	} else if err != nil {
		return err
	}
	_, err = writePin(tx, p, &cur)
	return err
}

// writePin inserts (cur nil) or updates a pin as tx.User.
func writePin(tx *gormstore.AdminTx, p rules.Pin, cur *rules.Pin) (int, error) {
	action := "create"
	if cur != nil {
		action = "modify"
	}
	if err := checkPinPermission(tx, action, p.Product); err != nil {
		return 0, err
	}
	if cur == nil {
		return 1, tx.InsertPin(p)
	}
	return tx.UpdatePin(p, cur.DataVersion)
}

// checkPinPermission is pinnable_release/<action> for product.
func checkPinPermission(tx *gormstore.AdminTx, action, product string) error {
	return requirePermission(tx, tx.User, "pinnable_release", action, &product,
		fmt.Sprintf("%s is not allowed to %s pinnable releases for product %s", tx.User, action, product))
}
