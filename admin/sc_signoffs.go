package admin

import (
	"errors"
	"fmt"

	"github.com/balrog-go/balrog/store"
	"github.com/balrog-go/balrog/store/gormstore"
)

// signoffsSC is the scheduled-change family of one required-signoff table.
type signoffsSC struct{ k signoffKind }

var (
	scProductSignoffs     scAdapter = signoffsSC{productSignoffs}
	scPermissionsSignoffs scAdapter = signoffsSC{permissionsSignoffs}
)

func (a signoffsSC) family() gormstore.SCFamily {
	cols := map[string]gormstore.ColumnKind{"product": gormstore.KindString, "role": gormstore.KindString,
		"signoffs_required": gormstore.KindInt, "data_version": gormstore.KindInt}
	base := "permissions_req_signoffs"
	if a.k.hasChannel {
		cols["channel"] = gormstore.KindString
		base = "product_req_signoffs"
	}
	return gormstore.SCFamily{Base: base, Columns: cols}
}

func (a signoffsSC) noun() string {
	if a.k.hasChannel {
		return "Product Required Signoff"
	}
	return "Permissions Required Signoff"
}

func (signoffsSC) changeTypes() []string { return []string{"insert", "update", "delete"} }

func (a signoffsSC) listFilters() []string {
	if a.k.hasChannel {
		return []string{"product", "channel"}
	}
	return []string{"product", "channel"}
}

func (a signoffsSC) schemaRequired() []string {
	if a.k.hasChannel {
		return []string{"change_type", "product", "channel", "role", "when"}
	}
	return []string{"change_type", "product", "role", "when"}
}

func (a signoffsSC) render(b map[string]any) map[string]any {
	m := map[string]any{}
	for k, v := range b {
		m[k] = v
	}
	return m
}

func (a signoffsSC) keyFields() []string {
	if a.k.hasChannel {
		return []string{"product", "channel", "role"}
	}
	return []string{"product", "role"}
}

func (a signoffsSC) pk(sc store.ScheduledChange) map[string]any {
	pk := map[string]any{}
	for _, f := range a.keyFields() {
		pk[f] = sc.Base[f]
	}
	return pk
}

func (a signoffsSC) createBase(tx *gormstore.AdminTx, b body, ct string) (map[string]any, error) {
	base := map[string]any{"signoffs_required": nil, "data_version": nil}
	for _, f := range a.keyFields() {
		v, _, err := optString(b, f, true)
		if err != nil {
			return nil, err
		}
		if v == nil {
			return nil, missingField(f)
		}
		base[f] = *v
	}
	n, hasN, err := intParam{name: "signoffs_required", min: bound(1)}.get(b)
	if err != nil {
		return nil, err
	}
	dv, hasDV, err := dataVersionParam.get(b)
	if err != nil {
		return nil, err
	}
	if ct != "delete" {
		if !hasN {
			return nil, missingField("signoffs_required")
		}
		base["signoffs_required"] = int64(n)
	}
	if ct != "insert" {
		if !hasDV {
			return nil, missingField("data_version")
		}
		base["data_version"] = int64(dv)
	}
	return base, nil
}

func (a signoffsSC) editBase(b body, sc *store.ScheduledChange) error {
	if sc.ChangeType != "delete" {
		if n, ok, err := (intParam{name: "signoffs_required", min: bound(1)}).get(b); err != nil {
			return err
		} else if ok {
			sc.Base["signoffs_required"] = int64(n)
		}
	}
	if sc.ChangeType == "insert" {
		for _, f := range a.keyFields() {
			if v, _, err := optString(b, f, true); err != nil {
				return err
			} else if v != nil {
				sc.Base[f] = *v
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

// scSignoff is the scheduled state as a required-signoff row.
func scSignoff(base map[string]any) store.RequiredSignoff {
	rs := store.RequiredSignoff{Product: strOf(base["product"]), Channel: strOf(base["channel"]), Role: strOf(base["role"])}
	if n, ok := base["signoffs_required"].(int64); ok {
		rs.SignoffsRequired = int(n)
	}
	if n, ok := base["data_version"].(int64); ok {
		rs.DataVersion = int(n)
	}
	return rs
}

// findSignoff reads the stored row with the key of rs.
func findSignoff(tx *gormstore.AdminTx, k signoffKind, rs store.RequiredSignoff) (store.RequiredSignoff, bool, error) {
	var channel *string
	if k.hasChannel {
		channel = &rs.Channel
	}
	rows, err := tx.RequiredSignoffs(k.table, &rs.Product, channel)
	if err != nil {
		return rs, false, err
	}
	for _, r := range rows {
		if r.Role == rs.Role {
			return r, true, nil
		}
	}
	return rs, false, nil
}

func (a signoffsSC) validate(tx *gormstore.AdminTx, sc store.ScheduledChange) error {
	next := scSignoff(sc.Base)
	cur, exists, err := findSignoff(tx, a.k, next)
	if err != nil {
		return err
	}
	switch sc.ChangeType {
	case "insert":
		if exists && sc.ScID == 0 {
			return valueError("Cannot schedule change for duplicate PK")
		}
		if err := checkHolders(tx, a.k, next, false); err != nil {
			return err
		}
		return checkSignoffPermission(tx, "create")
	case "update":
		if !exists {
			return badRequest("Cannot create scheduled change with data_version for non-existent row")
		}
		if next.DataVersion != cur.DataVersion {
			return fmt.Errorf("required signoff: %w", store.ErrOutdated)
		}
		if err := checkHolders(tx, a.k, next, false); err != nil {
			return err
		}
		return checkSignoffPermission(tx, "modify")
	default:
		if !exists {
			return badRequest("Cannot create scheduled change with data_version for non-existent row")
		}
		return checkSignoffPermission(tx, "delete")
	}
}

func (a signoffsSC) requirements(tx *gormstore.AdminTx, sc store.ScheduledChange) (requirements, error) {
	return signoffRowRequirements(tx, a.k, scSignoff(sc.Base))
}

func (a signoffsSC) enact(tx *gormstore.AdminTx, sc store.ScheduledChange, signoffs []store.Signoff) error {
	next := scSignoff(sc.Base)
	if sc.ChangeType == "insert" {
		return insertSignoffAs(tx, a.k, next, signoffs)
	}
	cur, exists, err := findSignoff(tx, a.k, next)
	if err != nil {
		return err
	}
	if !exists {
		return notFound("Requested Required Signoff does not exist", nil)
	}
	if sc.ChangeType == "delete" {
		return deleteSignoffAs(tx, a.k, cur, next.DataVersion, signoffs)
	}
	return updateSignoffAs(tx, a.k, cur, next, next.DataVersion, signoffs)
}

// checkSignoffPermission checks required_signoff/<action> (product None).
func checkSignoffPermission(tx *gormstore.AdminTx, action string) error {
	verb := map[string]string{"create": "create new", "modify": "modify", "delete": "delete"}[action]
	return requirePermission(tx, tx.User, "required_signoff", action, nil,
		fmt.Sprintf("%s is not allowed to %s Required Signoffs.", tx.User, verb))
}

// checkHolders refuses a requirement more users than hold the role.
// direct selects the tuple rendering of the direct endpoints.
func checkHolders(tx *gormstore.AdminTx, k signoffKind, rs store.RequiredSignoff, direct bool) error {
	holders, err := tx.RoleHolders(rs.Role)
	if err != nil {
		return err
	}
	if holders >= rs.SignoffsRequired {
		return nil
	}
	where := rs.Product
	if k.hasChannel {
		where += ", " + rs.Channel
	}
	msg := fmt.Sprintf("Cannot require %d signoffs for %s - only %d users hold the %s role", rs.SignoffsRequired, where, holders, rs.Role)
	if direct {
		return badRequest(fmt.Sprintf("(%s,)", pyStr(msg)))
	}
	return valueError(msg)
}

// signoffRowRequirements are the requirements of a change to a required
// signoff row: the existing rows of its product (and channel).
func signoffRowRequirements(tx *gormstore.AdminTx, k signoffKind, rs store.RequiredSignoff) (requirements, error) {
	var channel *string
	if k.hasChannel {
		channel = &rs.Channel
	}
	rows, err := tx.RequiredSignoffs(k.table, &rs.Product, channel)
	if err != nil {
		return nil, err
	}
	req := requirements{}
	for _, r := range rows {
		req.add(r.Role, r.SignoffsRequired)
	}
	return req, nil
}

// insertSignoffAs creates a required-signoff row as tx.User.
func insertSignoffAs(tx *gormstore.AdminTx, k signoffKind, rs store.RequiredSignoff, signoffs []store.Signoff) error {
	if err := checkSignoffPermission(tx, "create"); err != nil {
		return err
	}
	if err := checkHolders(tx, k, rs, signoffs == nil); err != nil {
		return err
	}
	req, err := signoffRowRequirements(tx, k, rs)
	if err != nil {
		return err
	}
	if err := verifySignoffs(req, signoffs); err != nil {
		return err
	}
	return tx.InsertRequiredSignoff(k.table, rs)
}

// signoffMap is a required-signoff row as scheduled-change base columns.
func signoffMap(k signoffKind, rs store.RequiredSignoff) map[string]any {
	m := map[string]any{"product": rs.Product, "role": rs.Role, "signoffs_required": int64(rs.SignoffsRequired), "data_version": int64(rs.DataVersion)}
	if k.hasChannel {
		m["channel"] = rs.Channel
	}
	return m
}

// updateSignoffAs changes signoffs_required of row cur as tx.User.
func updateSignoffAs(tx *gormstore.AdminTx, k signoffKind, cur, next store.RequiredSignoff, version int, signoffs []store.Signoff) error {
	if err := checkSignoffPermission(tx, "modify"); err != nil {
		return err
	}
	if err := checkHolders(tx, k, next, false); err != nil {
		return err
	}
	req, err := signoffRowRequirements(tx, k, cur)
	if err != nil {
		return err
	}
	if err := verifySignoffs(req, signoffs); err != nil {
		return err
	}
	next.Product, next.Channel, next.Role = cur.Product, cur.Channel, cur.Role
	a := signoffsSC{k}
	pk := a.pk(store.ScheduledChange{Base: signoffMap(k, cur)})
	cur.DataVersion, next.DataVersion = version, version+1
	if err := checkMergeable(tx, a, pk, signoffMap(k, cur), signoffMap(k, next)); err != nil {
		return err
	}
	if _, err := tx.UpdateRequiredSignoff(k.table, next, version); err != nil {
		return err
	}
	return mergePending(tx, a, pk, signoffMap(k, cur), signoffMap(k, next))
}

// deleteSignoffAs deletes row cur as tx.User.
func deleteSignoffAs(tx *gormstore.AdminTx, k signoffKind, cur store.RequiredSignoff, version int, signoffs []store.Signoff) error {
	if err := checkSignoffPermission(tx, "delete"); err != nil {
		return err
	}
	req, err := signoffRowRequirements(tx, k, cur)
	if err != nil {
		return err
	}
	if err := verifySignoffs(req, signoffs); err != nil {
		return err
	}
	a := signoffsSC{k}
	if err := refuseIfScheduled(tx, a, a.pk(store.ScheduledChange{Base: signoffMap(k, cur)})); err != nil {
		return err
	}
	err = tx.DeleteRequiredSignoff(k.table, cur, version)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("Requested Required Signoff does not exist", nil)
	}
	return err
}
