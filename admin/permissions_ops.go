package admin

import (
	"errors"
	"fmt"
	"slices"

	"github.com/balrog-go/balrog/store"
	"github.com/balrog-go/balrog/store/gormstore"
)

// Permission-grant operations shared by the direct endpoints and the
// enactment of scheduled permission changes (acting as tx.User).

func checkPermissionCreate(tx *gormstore.AdminTx) error {
	return requirePermission(tx, tx.User, "permission", "create", nil, tx.User+" is not allowed to grant permissions")
}

func checkPermissionModify(tx *gormstore.AdminTx) error {
	return requirePermission(tx, tx.User, "permission", "modify", nil, tx.User+" is not allowed to modify permissions")
}

func checkPermissionDelete(tx *gormstore.AdminTx) error {
	return requirePermission(tx, tx.User, "permission", "delete", nil,
		fmt.Sprintf("('%%s is not allowed to revoke permissions', %s)", pyStr(tx.User)))
}

// permissionRequirements are the permissions required signoffs covering
// grants (admin.md §7.2): those of the products a grant's options list, or
// all of them when it lists none.
func permissionRequirements(tx *gormstore.AdminTx, perms ...store.Permission) (requirements, error) {
	rows, err := tx.RequiredSignoffs(gormstore.PermissionsSignoffTable, nil, nil)
	if err != nil {
		return nil, err
	}
	req := requirements{}
	for _, p := range perms {
		products := parseOptions(p.Options).Products
		for _, r := range rows {
			if len(products) == 0 || slices.Contains(products, r.Product) {
				req.add(r.Role, r.SignoffsRequired)
			}
		}
	}
	return req, nil
}

// insertPermissionAs grants p after the permission and signoff checks.
func insertPermissionAs(tx *gormstore.AdminTx, p store.Permission, signoffs []store.Signoff) error {
	if err := checkPermissionCreate(tx); err != nil {
		return err
	}
	req, err := permissionRequirements(tx, p)
	if err != nil {
		return err
	}
	if err := verifySignoffs(req, signoffs); err != nil {
		return err
	}
	return tx.InsertPermission(p)
}

// permissionMap is a grant as base columns of its scheduled-change table.
func permissionMap(p store.Permission) map[string]any {
	m := map[string]any{"permission": p.Permission, "username": p.Username, "options": nil, "data_version": int64(p.DataVersion)}
	if p.Options != nil {
		m["options"] = *p.Options
	}
	return m
}

// updatePermissionAs replaces the options of grant cur, guarded by version.
func updatePermissionAs(tx *gormstore.AdminTx, cur, next store.Permission, version int, signoffs []store.Signoff) (int, error) {
	if err := checkPermissionModify(tx); err != nil {
		return 0, err
	}
	req, err := permissionRequirements(tx, cur, next)
	if err != nil {
		return 0, err
	}
	if err := verifySignoffs(req, signoffs); err != nil {
		return 0, err
	}
	pk := map[string]any{"permission": cur.Permission, "username": cur.Username}
	cur.DataVersion, next.DataVersion = version, version+1
	if err := checkMergeable(tx, scPermissions, pk, permissionMap(cur), permissionMap(next)); err != nil {
		return 0, err
	}
	n, err := tx.UpdatePermission(next, version)
	if err != nil {
		return 0, err
	}
	return n, mergePending(tx, scPermissions, pk, permissionMap(cur), permissionMap(next))
}

// deletePermissionAs revokes grant cur, guarded by version; a user left
// without grants loses every role too.
func deletePermissionAs(tx *gormstore.AdminTx, cur store.Permission, version int, signoffs []store.Signoff) error {
	if err := checkPermissionDelete(tx); err != nil {
		return err
	}
	req, err := permissionRequirements(tx, cur)
	if err != nil {
		return err
	}
	if err := verifySignoffs(req, signoffs); err != nil {
		return err
	}
	pk := map[string]any{"permission": cur.Permission, "username": cur.Username}
	if err := refuseIfScheduled(tx, scPermissions, pk); err != nil {
		return err
	}
	if err := tx.DeletePermission(cur.Permission, cur.Username, version); err != nil {
		return err
	}
	left, err := tx.Permissions(cur.Username)
	if err != nil || len(left) > 0 {
		return err
	}
	roles, err := tx.UserRoles(cur.Username)
	if err != nil {
		return err
	}
	for _, r := range roles {
		if err := revokeRole(tx, tx.User, r); err != nil {
			var p *Problem
			if errors.As(err, &p) && p.Detail == "Unknown error" {
				return badRequest(fmt.Sprintf("(%s,)", pyStr(fmt.Sprint(p.Exception))))
			}
			return err
		}
	}
	return nil
}
