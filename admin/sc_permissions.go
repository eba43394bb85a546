package admin

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/balrog-go/balrog/store"
	"github.com/balrog-go/balrog/store/gormstore"
)

// permissionsSC is the scheduled-change family of permission grants.
type permissionsSC struct{}

var scPermissions scAdapter = permissionsSC{}

func (permissionsSC) family() gormstore.SCFamily {
	return gormstore.SCFamily{Base: "permissions", Columns: map[string]gormstore.ColumnKind{
		"permission": gormstore.KindString, "username": gormstore.KindString, "options": gormstore.KindString, "data_version": gormstore.KindInt,
	}}
}

func (permissionsSC) noun() string          { return "Permission" }
func (permissionsSC) changeTypes() []string { return []string{"insert", "update", "delete"} }
func (permissionsSC) listFilters() []string { return nil }
func (permissionsSC) schemaRequired() []string {
	return []string{"change_type", "permission", "username", "when"}
}

func (permissionsSC) render(b map[string]any) map[string]any {
	m := map[string]any{}
	for k, v := range b {
		m[k] = v
	}
	if s, ok := b["options"].(string); ok {
		m["options"] = json.RawMessage(s)
	}
	return m
}

func (permissionsSC) pk(sc store.ScheduledChange) map[string]any {
	return map[string]any{"permission": sc.Base["permission"], "username": sc.Base["username"]}
}

// readOptions reads the options field (a JSON object as a string).
func readOptions(b body) (any, error) {
	raw, ok := b["options"]
	if !ok || raw == nil {
		return nil, nil
	}
	str, isStr := raw.(string)
	if !isStr {
		return nil, invalid(fmt.Sprintf("options: %s is not of type 'string', 'null'", pyRepr(raw)))
	}
	if str == "" {
		return nil, nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(str), &m); err != nil {
		return nil, invalid(fmt.Sprintf("Not a valid json. Error: %v. options: %s is not a 'JSONStringField'", err, pyStr(str)))
	}
	if len(m) == 0 {
		return nil, nil
	}
	out, _ := json.Marshal(m)
	return string(out), nil
}

func (permissionsSC) createBase(tx *gormstore.AdminTx, b body, ct string) (map[string]any, error) {
	base := map[string]any{"data_version": nil}
	for _, k := range []string{"permission", "username"} {
		v, _, err := optString(b, k, false)
		if err != nil {
			return nil, err
		}
		if v == nil {
			return nil, missingField(k)
		}
		base[k] = *v
	}
	opts, err := readOptions(b)
	if err != nil {
		return nil, err
	}
	base["options"] = opts
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
	if ct == "delete" {
		base["options"] = nil
	}
	return base, nil
}

func (permissionsSC) editBase(b body, sc *store.ScheduledChange) error {
	if sc.ChangeType != "delete" && b.has("options") {
		opts, err := readOptions(b)
		if err != nil {
			return err
		}
		sc.Base["options"] = opts
	}
	if sc.ChangeType == "insert" {
		for _, k := range []string{"permission", "username"} {
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

// scPermission is the scheduled state as a grant.
func scPermission(base map[string]any) store.Permission {
	p := store.Permission{Permission: strOf(base["permission"]), Username: strOf(base["username"])}
	if s, ok := base["options"].(string); ok {
		p.Options = &s
	}
	if n, ok := base["data_version"].(int64); ok {
		p.DataVersion = int(n)
	}
	return p
}

// checkOptionKeys validates the option keys of a scheduled grant; Balrog
// reports them as a plain ValueError here.
func checkOptionKeys(p store.Permission) error {
	var m map[string]any
	if p.Options != nil {
		_ = json.Unmarshal([]byte(*p.Options), &m)
	}
	if err := validateOptions(p.Permission, m); err != nil {
		var prob *Problem
		if errors.As(err, &prob) {
			msg := prob.Detail
			if len(msg) > 4 && msg[:2] == "('" {
				msg = msg[2 : len(msg)-3]
			}
			return valueError(msg)
		}
		return err
	}
	return nil
}

func (permissionsSC) validate(tx *gormstore.AdminTx, sc store.ScheduledChange) error {
	next := scPermission(sc.Base)
	cur, err := tx.Permission(next.Permission, next.Username)
	exists := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	switch sc.ChangeType {
	case "insert":
		if exists && sc.ScID == 0 {
			return valueError("Cannot schedule change for duplicate PK")
		}
		if err := checkOptionKeys(next); err != nil {
			return err
		}
		return checkPermissionCreate(tx)
	case "update":
		if !exists {
			return badRequest("Cannot create scheduled change with data_version for non-existent row")
		}
		if next.DataVersion != cur.DataVersion {
			return fmt.Errorf("permission: %w", store.ErrOutdated)
		}
		if err := checkOptionKeys(next); err != nil {
			return err
		}
		return checkPermissionModify(tx)
	default:
		if !exists {
			return badRequest("Cannot create scheduled change with data_version for non-existent row")
		}
		return checkPermissionDelete(tx)
	}
}

func (permissionsSC) requirements(tx *gormstore.AdminTx, sc store.ScheduledChange) (requirements, error) {
	next := scPermission(sc.Base)
	var affected []store.Permission
	if sc.ChangeType != "insert" {
		if cur, err := tx.Permission(next.Permission, next.Username); err == nil {
			affected = append(affected, cur)
		}
	}
	if sc.ChangeType != "delete" {
		affected = append(affected, next)
	}
	return permissionRequirements(tx, affected...)
}

func (permissionsSC) enact(tx *gormstore.AdminTx, sc store.ScheduledChange, signoffs []store.Signoff) error {
	next := scPermission(sc.Base)
	if sc.ChangeType == "insert" {
		return insertPermissionAs(tx, next, signoffs)
	}
	cur, err := tx.Permission(next.Permission, next.Username)
	if errors.Is(err, store.ErrNotFound) {
		return permissionNotFound(next.Permission, next.Username)
	} else if err != nil {
		return err
	}
	if sc.ChangeType == "delete" {
		return deletePermissionAs(tx, cur, next.DataVersion, signoffs)
	}
	_, err = updatePermissionAs(tx, cur, next, next.DataVersion, signoffs)
	return err
}
