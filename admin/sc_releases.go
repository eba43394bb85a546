package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/balrog-go/balrog/blobs"
	"github.com/balrog-go/balrog/store"
	"github.com/balrog-go/balrog/store/gormstore"
)

// releasesSC is the scheduled-change family of v1 releases. It needs the
// server's blob validation options.
type releasesSC struct{ s *Server }

// scReleases is the family as the direct release writes see it (for
// merges and conflicts, which do not validate blobs).
var scReleases scAdapter = releasesSC{}

func (releasesSC) family() gormstore.SCFamily {
	return gormstore.SCFamily{Base: "releases", Columns: map[string]gormstore.ColumnKind{
		"name": gormstore.KindString, "product": gormstore.KindString, "read_only": gormstore.KindBool,
		"data": gormstore.KindString, "data_version": gormstore.KindInt,
	}}
}

func (releasesSC) noun() string          { return "Release" }
func (releasesSC) changeTypes() []string { return []string{"insert", "update", "delete"} }
func (releasesSC) listFilters() []string { return []string{"name"} }

func (releasesSC) render(b map[string]any) map[string]any {
	m := map[string]any{}
	for k, v := range b {
		m[k] = v
	}
	if s, ok := b["data"].(string); ok {
		m["data"] = json.RawMessage(s)
	}
	return m
}

func (releasesSC) pk(sc store.ScheduledChange) map[string]any {
	return map[string]any{"name": sc.Base["name"]}
}

func (releasesSC) createBase(tx *gormstore.AdminTx, b body, ct string) (map[string]any, error) {
	base := map[string]any{"name": nil, "product": nil, "read_only": false, "data": nil, "data_version": nil}
	name, _, err := optString(b, "name", false)
	if err != nil {
		return nil, err
	}
	if name == nil {
		return nil, missingField("name")
	}
	base["name"] = *name
	if product, _, err := optString(b, "product", false); err != nil {
		return nil, err
	} else if product != nil {
		base["product"] = *product
	}
	if v, ok := b["read_only"]; ok {
		ro, isBool := v.(bool)
		if !isBool && v != nil {
			return nil, invalid(fmt.Sprintf("read_only: %s is not of type 'boolean'", pyRepr(v)))
		}
		base["read_only"] = ro
	}
	if v, ok := b["data"]; ok && v != nil {
		str, isStr := v.(string)
		if !isStr {
			return nil, invalid(fmt.Sprintf("data: %s is not of type 'string'", pyRepr(v)))
		}
		var probe any
		if err := json.Unmarshal([]byte(str), &probe); err != nil {
			return nil, invalid(fmt.Sprintf("Not a valid json. Error: %v. data: %s is not a 'JSONStringField'", err, pyStr(str)))
		}
		base["data"] = canonicalJSON([]byte(str))
	}
	if ct != "insert" {
		dv, ok, err := dataVersionParam.get(b)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, missingField("data_version")
		}
		base["data_version"] = int64(dv)
	}
	switch ct {
	case "insert":
		if base["data"] == nil {
			return nil, &Problem{Status: 400, Title: "Bad Request", Detail: "Missing field", Exception: "Missing blob 'data' value"}
		}
		if base["product"] == nil {
			return nil, &Problem{Status: 400, Title: "Bad Request", Detail: "Missing field", Exception: "Missing product value"}
		}
	case "update":
		if base["data"] == nil {
			cur, err := tx.Release(*name)
			if err == nil {
				base["data"] = canonicalJSON(cur.Data)
			} else if !errors.Is(err, store.ErrNotFound) {
				return nil, err
			}
		}
		// Balrog refuses a data change to a read-only release unless the
		// request itself asks to make it writable; the mark is only seen by
		// validate (the store writes the family's columns alone).
		if _, ok := b["read_only"]; !ok {
			base[keepReadOnlyMark] = true
		}
	case "delete":
		base["read_only"] = false
	}
	return base, nil
}

func (releasesSC) editBase(b body, sc *store.ScheduledChange) error {
	if v, ok := b["data"]; ok && v != nil {
		str, isStr := v.(string)
		if !isStr {
			return invalid(fmt.Sprintf("data: %s is not of type 'string'", pyRepr(v)))
		}
		sc.Base["data"] = canonicalJSON([]byte(str))
	}
	if sc.ChangeType == "insert" {
		for _, k := range []string{"name", "product"} {
			if v, _, err := optString(b, k, false); err != nil {
				return err
			} else if v != nil {
				sc.Base[k] = *v
			}
		}
		return nil
	}
	dv, ok, err := dataVersionParam.get(b)
	if err != nil {
		return err
	}
	if !ok {
		return missingField("data_version")
	}
	sc.Base["data_version"] = int64(dv)
	return nil
}

// keepReadOnlyMark marks, in a new change's base columns, a release update
// whose request did not mention read_only.
const keepReadOnlyMark = "@keep_read_only"

// scRelease is the scheduled state as a release.
func scRelease(base map[string]any) store.Release {
	r := store.Release{Name: strOf(base["name"]), Product: strOf(base["product"])}
	r.ReadOnly, _ = base["read_only"].(bool)
	if s, ok := base["data"].(string); ok {
		r.Data = []byte(s)
	}
	if n, ok := base["data_version"].(int64); ok {
		r.DataVersion = int(n)
	}
	return r
}

func (a releasesSC) validateBlob(r store.Release) error {
	if a.s == nil {
		return nil
	}
	if err := blobs.Validate(r.Data, r.Product, blobs.ValidateOptions{Allowlist: a.s.cfg.Allowlist}); err != nil {
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

func (a releasesSC) validate(tx *gormstore.AdminTx, sc store.ScheduledChange) error {
	next := scRelease(sc.Base)
	cur, err := tx.Release(next.Name)
	exists := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	switch sc.ChangeType {
	case "insert":
		if exists && sc.ScID == 0 {
			return valueError("Cannot schedule change for duplicate PK")
		}
		if err := a.validateBlob(next); err != nil {
			return err
		}
		return requirePermission(tx, tx.User, "release", "create", &next.Product,
			fmt.Sprintf("%s is not allowed to create releases for product %s", tx.User, next.Product))
	case "update":
		if !exists {
			return badRequest("Cannot create scheduled change with data_version for non-existent row")
		}
		if next.DataVersion != cur.DataVersion {
			return fmt.Errorf("release %s: %w", next.Name, store.ErrOutdated)
		}
		if cur.ReadOnly {
			if keep, _ := sc.Base[keepReadOnlyMark].(bool); keep || next.ReadOnly {
				return &Problem{Status: http.StatusBadRequest, Title: "Bad Request",
					Detail: fmt.Sprintf("Failed to schedule change - Release '%s' is read only", next.Name),
					Data:   []string{fmt.Sprintf("Release '%s' is read only", next.Name)}}
			}
			return requirePermission(tx, tx.User, "release_read_only", "unset", &cur.Product,
				fmt.Sprintf("%s is not allowed to unmark %s products read only", tx.User, cur.Product))
		}
		if err := a.validateBlob(next); err != nil {
			return err
		}
		for _, p := range uniq(cur.Product, next.Product) {
			if p == "" {
				continue
			}
			if err := requirePermission(tx, tx.User, "release", "modify", &p,
				fmt.Sprintf("%s is not allowed to modify releases for product %s", tx.User, p)); err != nil {
				return err
			}
		}
		return nil
	default:
		if !exists {
			return badRequest("Cannot create scheduled change with data_version for non-existent row")
		}
		return requirePermission(tx, tx.User, "release", "delete", &cur.Product,
			fmt.Sprintf("%s is not allowed to delete releases for product %s", tx.User, cur.Product))
	}
}

func (releasesSC) requirements(tx *gormstore.AdminTx, sc store.ScheduledChange) (requirements, error) {
	name := strOf(sc.Base["name"])
	req, err := releaseSignoffs(tx, name)
	if err != nil || len(req) > 0 || sc.ChangeType != "update" {
		return req, err
	}
	cur, err := tx.Release(name)
	if err != nil {
		return req, nil
	}
	if ro, _ := sc.Base["read_only"].(bool); cur.ReadOnly && !ro {
		return productWideSignoffs(tx, cur.Product)
	}
	return req, nil
}

func (a releasesSC) enact(tx *gormstore.AdminTx, sc store.ScheduledChange, signoffs []store.Signoff) error {
	next := scRelease(sc.Base)
	if sc.ChangeType == "insert" {
		if err := a.validateBlob(next); err != nil {
			return err
		}
		return insertReleaseAs(tx, tx.User, next)
	}
	cur, err := tx.Release(next.Name)
	if errors.Is(err, store.ErrNotFound) {
		return releaseNotFound(next.Name)
	} else if err != nil {
		return err
	}
	if sc.ChangeType == "delete" {
		return deleteReleaseAs(tx, cur, next.DataVersion, signoffs)
	}
	if cur.ReadOnly {
		if next.ReadOnly {
			return &Problem{Status: http.StatusBadRequest, Title: "Bad Request", Detail: "Read only",
				Exception: fmt.Sprintf("Release '%s' is read only", next.Name)}
		}
		if err := requirePermission(tx, tx.User, "release_read_only", "unset", &cur.Product,
			fmt.Sprintf("%s is not allowed to unmark %s products read only", tx.User, cur.Product)); err != nil {
			return err
		}
		if err := requireReadWriteSignoffs(tx, cur, signoffs); err != nil {
			return err
		}
		_, err := storeRelease(tx, cur, next, next.DataVersion)
		return err
	}
	for _, p := range uniq(cur.Product, next.Product) {
		if err := requirePermission(tx, tx.User, "release", "modify", &p,
			fmt.Sprintf("%s is not allowed to modify releases for product %s", tx.User, p)); err != nil {
			return err
		}
	}
	if err := a.validateBlob(next); err != nil {
		return err
	}
	_, err = writeRelease(tx, cur, next, next.DataVersion, signoffs)
	return err
}
