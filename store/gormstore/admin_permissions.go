package gormstore

import (
	"fmt"

	"github.com/balrog-go/balrog/store"
)

// userRoleRow is a user_roles row.
type userRoleRow struct {
	Username    string `gorm:"column:username;primaryKey"`
	Role        string `gorm:"column:role;primaryKey"`
	DataVersion int    `gorm:"column:data_version"`
}

func (userRoleRow) TableName() string { return "user_roles" }

// userRoleHistoryRow is a user_roles_history row.
type userRoleHistoryRow struct {
	History     historyMeta `gorm:"embedded"`
	Username    string      `gorm:"column:username"`
	Role        string      `gorm:"column:role"`
	DataVersion *int        `gorm:"column:data_version"`
}

func (userRoleHistoryRow) TableName() string { return "user_roles_history" }

func permissionOf(r permissionRow) store.Permission {
	return store.Permission{Permission: r.Permission, Username: r.Username, Options: r.Options, DataVersion: r.DataVersion}
}

// IsKnownUser reports whether user has at least one permission row.
func (t *AdminTx) IsKnownUser(user string) (bool, error) {
	var n int64
	if err := t.tx.Model(&permissionRow{}).Where("username = ?", user).Count(&n).Error; err != nil {
		return false, unavailable("look up user "+user, err)
	}
	return n > 0, nil
}

// Permissions returns the permission rows of one user, or of every user when
// user is empty, ordered by username and permission.
func (t *AdminTx) Permissions(user string) ([]store.Permission, error) {
	q := t.tx.Order("username, permission")
	if user != "" {
		q = q.Where("username = ?", user)
	}
	var rows []permissionRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, unavailable("read permissions", err)
	}
	out := make([]store.Permission, len(rows))
	for i, r := range rows {
		out[i] = permissionOf(r)
	}
	return out, nil
}

// Permission reads one permission row.
func (t *AdminTx) Permission(permission, user string) (store.Permission, error) {
	var row permissionRow
	err := t.tx.Where("permission = ? AND username = ?", permission, user).Take(&row).Error
	if err != nil {
		return store.Permission{}, dbErr(fmt.Sprintf("permission %s of %s", permission, user), err)
	}
	return permissionOf(row), nil
}

// InsertPermission creates a permission row (data_version 1) with its
// history rows.
func (t *AdminTx) InsertPermission(p store.Permission) error {
	row := permissionRow{Permission: p.Permission, Username: p.Username, Options: p.Options, DataVersion: 1}
	if err := t.create("insert permission", &row); err != nil {
		return err
	}
	marker, full := t.insertMetas()
	dv := 1
	hist := []permissionHistoryRow{
		{History: marker, Permission: p.Permission, Username: p.Username},
		{History: full, Permission: p.Permission, Username: p.Username, Options: p.Options, DataVersion: &dv},
	}
	return t.create("insert permission history", &hist)
}

// UpdatePermission replaces the options of a permission row, guarded by
// oldVersion, and returns the new data_version.
func (t *AdminTx) UpdatePermission(p store.Permission, oldVersion int) (int, error) {
	dv := oldVersion + 1
	res := t.tx.Model(&permissionRow{}).Where("permission = ? AND username = ? AND data_version = ?", p.Permission, p.Username, oldVersion).
		Updates(map[string]any{"options": p.Options, "data_version": dv})
	if err := guarded("update permission", res); err != nil {
		return 0, err
	}
	hist := permissionHistoryRow{History: t.meta(), Permission: p.Permission, Username: p.Username, Options: p.Options, DataVersion: &dv}
	return dv, t.create("update permission history", &hist)
}

// DeletePermission deletes a permission row, guarded by version.
func (t *AdminTx) DeletePermission(permission, user string, version int) error {
	res := t.tx.Where("permission = ? AND username = ? AND data_version = ?", permission, user, version).Delete(&permissionRow{})
	if err := guarded("delete permission", res); err != nil {
		return err
	}
	hist := permissionHistoryRow{History: t.meta(), Permission: permission, Username: user}
	return t.create("delete permission history", &hist)
}

// UserRoles returns the roles of one user, or of every user when user is
// empty, ordered by username and role.
func (t *AdminTx) UserRoles(user string) ([]store.UserRole, error) {
	q := t.tx.Order("username, role")
	if user != "" {
		q = q.Where("username = ?", user)
	}
	var rows []userRoleRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, unavailable("read user roles", err)
	}
	out := make([]store.UserRole, len(rows))
	for i, r := range rows {
		out[i] = store.UserRole{Username: r.Username, Role: r.Role, DataVersion: r.DataVersion}
	}
	return out, nil
}

// InsertRole grants a role (data_version 1) with its history rows.
func (t *AdminTx) InsertRole(user, role string) error {
	row := userRoleRow{Username: user, Role: role, DataVersion: 1}
	if err := t.create("insert role", &row); err != nil {
		return err
	}
	marker, full := t.insertMetas()
	dv := 1
	hist := []userRoleHistoryRow{
		{History: marker, Username: user, Role: role},
		{History: full, Username: user, Role: role, DataVersion: &dv},
	}
	return t.create("insert role history", &hist)
}

// DeleteRole revokes a role, guarded by version.
func (t *AdminTx) DeleteRole(user, role string, version int) error {
	res := t.tx.Where("username = ? AND role = ? AND data_version = ?", user, role, version).Delete(&userRoleRow{})
	if err := guarded("delete role", res); err != nil {
		return err
	}
	hist := userRoleHistoryRow{History: t.meta(), Username: user, Role: role}
	return t.create("delete role history", &hist)
}

// RoleHolders counts the users holding role.
func (t *AdminTx) RoleHolders(role string) (int, error) {
	var n int64
	if err := t.tx.Model(&userRoleRow{}).Where("role = ?", role).Count(&n).Error; err != nil {
		return 0, unavailable("count role holders", err)
	}
	return int(n), nil
}

// MaxSignoffsRequired is the largest signoffs_required of any product or
// permissions required-signoff row naming role (0 when none does).
func (t *AdminTx) MaxSignoffsRequired(role string) (int, error) {
	var n int64
	q := `SELECT COALESCE(MAX(s), 0) FROM (
		SELECT signoffs_required AS s FROM product_req_signoffs WHERE role = ?
		UNION ALL SELECT signoffs_required AS s FROM permissions_req_signoffs WHERE role = ?) rs`
	if err := t.tx.Raw(q, role, role).Scan(&n).Error; err != nil {
		return 0, unavailable("read required signoffs of role "+role, err)
	}
	return int(n), nil
}

// PermissionHistory lists non-marker permissions_history rows, newest first,
// with the total count.
func (t *AdminTx) PermissionHistory(f store.HistoryFilter) ([]store.PermissionRevision, int, error) {
	q := applyHistoryFilter(t.tx.Model(&permissionHistoryRow{}).Where("data_version IS NOT NULL"), f, false)
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, unavailable("count permissions history", err)
	}
	var rows []permissionHistoryRow
	if err := q.Order("timestamp DESC, change_id DESC").Limit(f.Limit).Offset(f.Offset).Find(&rows).Error; err != nil {
		return nil, 0, unavailable("read permissions history", err)
	}
	out := make([]store.PermissionRevision, len(rows))
	for i, h := range rows {
		p := store.Permission{Permission: h.Permission, Username: h.Username, Options: h.Options}
		if h.DataVersion != nil {
			p.DataVersion = *h.DataVersion
		}
		out[i] = store.PermissionRevision{
			Change:     store.Change{ChangeID: h.History.ChangeID, ChangedBy: h.History.ChangedBy, Timestamp: h.History.Timestamp},
			Permission: p,
		}
	}
	return out, int(total), nil
}
