package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/balrog-go/balrog/store"
	"github.com/balrog-go/balrog/store/gormstore"
)

// errViewOthers is the 403 of reading or writing another user's permissions

// without permission/view.
var errViewOthers = &PermissionDenied{Message: "You are not authorized to view permissions of other users."}

// requireView checks permission/view when user acts on another user.
func requireView(tx *gormstore.AdminTx, user, other string) error {
	if user == other {
		return nil
	}
	ok, err := hasPermission(tx, user, "permission", "view", nil)
	if err != nil {
		return err
	}
	if !ok {
		return errViewOthers
	}
	return nil
}

// grantJSON is a permission as the users endpoints render it.
func grantJSON(p store.Permission) map[string]any {
	var opts any
	if p.Options != nil {
		_ = json.Unmarshal([]byte(*p.Options), &opts)
	}
	return map[string]any{"options": opts, "data_version": p.DataVersion}
}

func grantsJSON(perms []store.Permission) map[string]any {
	out := map[string]any{}
	for _, p := range perms {
		out[p.Permission] = grantJSON(p)
	}
	return out
}

// checkPermissionName refuses a permission name outside Balrog's enum.
func checkPermissionName(p string) error {
	if slices.Contains(permissionNames, p) || slices.Contains(extensionPermissions, p) {
		return nil
	}
	quoted := make([]string, len(permissionNames))
	for i, n := range permissionNames {
		quoted[i] = pyStr(n)
	}
	return invalid(fmt.Sprintf("%s is not one of [%s]", pyStr(p), strings.Join(quoted, ", ")))
}

func (s *Server) listUsers(c echo.Context) error {
	var out map[string]any
	err := s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		ok, err := hasPermission(tx, user, "permission", "view", nil)
		if err != nil {
			return err
		}
		if !ok {
			return errViewOthers
		}
		perms, err := tx.Permissions("")
		if err != nil {
			return err
		}
		roles, err := tx.UserRoles("")
		if err != nil {
			return err
		}
		out = map[string]any{}
		for _, p := range perms {
			u, _ := out[p.Username].(map[string]any)
			if u == nil {
				u = map[string]any{"permissions": map[string]any{}, "roles": []any{}}
				out[p.Username] = u
			}
			u["permissions"].(map[string]any)[p.Permission] = grantJSON(p)
		}
		for _, r := range roles {
			if u, ok := out[r.Username].(map[string]any); ok {
				u["roles"] = append(u["roles"].([]any), map[string]any{"role": r.Role, "data_version": r.DataVersion})
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return okJSON(c, out)
}

func (s *Server) getUser(c echo.Context) error {
	other := c.Param("user")
	var out map[string]any
	err := s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		if err := requireView(tx, user, other); err != nil {
			return err
		}
		perms, err := tx.Permissions(other)
		if err != nil {
			return err
		}
		if len(perms) == 0 {
			return notFound("No permission found for username "+other, nil)
		}
		roles, err := tx.UserRoles(other)
		if err != nil {
			return err
		}
		rj := map[string]any{}
		for _, r := range roles {
			rj[r.Role] = map[string]any{"data_version": r.DataVersion}
		}
		out = map[string]any{"username": other, "permissions": grantsJSON(perms), "roles": rj}
		return nil
	})
	if err != nil {
		return err
	}
	return okJSON(c, out)
}

func (s *Server) userPermissions(c echo.Context) error {
	other := c.Param("user")
	var out map[string]any
	err := s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		if err := requireView(tx, user, other); err != nil {
			return err
		}
		perms, err := tx.Permissions(other)
		out = grantsJSON(perms)
		return err
	})
	if err != nil {
		return err
	}
	return okJSON(c, out)
}

// permissionNotFound is the 404 of a missing grant.
func permissionNotFound(permission, user string) *Problem {
	return notFound(fmt.Sprintf("Requested user permission %s not found for %s", permission, user), nil)
}

func (s *Server) getPermission(c echo.Context) error {
	other, name := c.Param("user"), c.Param("permission")
	if err := checkPermissionName(name); err != nil {
		return err
	}
	var out map[string]any
	err := s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		if err := requireView(tx, user, other); err != nil {
			return err
		}
		p, err := tx.Permission(name, other)
		if errors.Is(err, store.ErrNotFound) {
			return permissionNotFound(name, other)
		}
		out = grantJSON(p)
		return err
	})
	if err != nil {
		return err
	}
	return okJSON(c, out)
}

// permissionBody reads options (a JSON object as a string, or null) and the

// optional data_version of a grant.
func permissionBody(c echo.Context) (opts *string, optsMap map[string]any, version int, hasVersion bool, err error) {
	b, err := readBody(c)
	if err != nil {
		return nil, nil, 0, false, err
	}
	if raw, ok := b["options"]; ok && raw != nil {
		str, isStr := raw.(string)
		if !isStr {
			return nil, nil, 0, false, invalid(fmt.Sprintf("options: %s is not of type 'string', 'null'", pyRepr(raw)))
		}
		if str != "" {
			var v any
			if jerr := json.Unmarshal([]byte(str), &v); jerr != nil {
				return nil, nil, 0, false, invalid(fmt.Sprintf("Not a valid json. Error: %v. options: %s is not a 'JSONStringField'", jerr, pyStr(str)))
			}
			m, isObj := v.(map[string]any)
			if !isObj {
				return nil, nil, 0, false, valueError("options must be a JSON object")
			}
			if len(m) > 0 {
				canon, _ := json.Marshal(m)
				s := string(canon)
				opts, optsMap = &s, m
			}
		}
	}
	version, hasVersion, err = dataVersionParam.get(b)
	return opts, optsMap, version, hasVersion, err
}

func (s *Server) putPermission(c echo.Context) error { return s.writePermission(c, true) }

func (s *Server) postPermission(c echo.Context) error { return s.writePermission(c, false) }

// writePermission is PUT (create or update) and POST (update only) of a grant.
func (s *Server) writePermission(c echo.Context, mayCreate bool) error {
	other, name := c.Param("user"), c.Param("permission")
	if err := checkPermissionName(name); err != nil {
		return err
	}
	opts, optsMap, version, hasVersion, err := permissionBody(c)
	if err != nil {
		return err
	}
	created, newVersion := false, 0
	err = s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		if err := requireView(tx, user, other); err != nil {
			return err
		}
		cur, err := tx.Permission(name, other)
		switch {
		case errors.Is(err, store.ErrNotFound):
			if !mayCreate {
				return permissionNotFound(name, other)
			}
			if err := validateOptions(name, optsMap); err != nil {
				return err
			}
			created, newVersion = true, 1
			return insertPermissionAs(tx, store.Permission{Permission: name, Username: other, Options: opts}, nil)
		case err != nil:
			return err
		}
		if !hasVersion {
			return badRequest("'data_version' is missing from request body")
		}
		if err := validateOptions(name, optsMap); err != nil {
			return err
		}
		next := cur
		next.Options = opts
		newVersion, err = updatePermissionAs(tx, cur, next, version, nil)
		return err
	})
	if err != nil {
		return err
	}
	if created {
		return writeJSON(c, http.StatusCreated, ctHTML, map[string]int{"new_data_version": newVersion})
	}
	return okJSON(c, map[string]int{"new_data_version": newVersion})
}

func (s *Server) deletePermission(c echo.Context) error {
	other, name := c.Param("user"), c.Param("permission")
	if err := checkPermissionName(name); err != nil {
		return err
	}
	version, err := requiredDataVersion(c)
	if err != nil {
		return err
	}
	err = s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		if err := requireView(tx, user, other); err != nil {
			return err
		}
		cur, err := tx.Permission(name, other)
		if errors.Is(err, store.ErrNotFound) {
			return permissionNotFound(name, other)
		} else if err != nil {
			return err
		}
		return deletePermissionAs(tx, cur, version, nil)
	})
	if err != nil {
		return err
	}
	return emptyOK(c)
}

// revokeRole revokes a role as user, refusing when required signoffs naming

// the role could no longer be fulfilled.
func revokeRole(tx *gormstore.AdminTx, user string, r store.UserRole) error {
	if err := requirePermission(tx, user, "permission", "delete", nil, user+" is not allowed to revoke user roles"); err != nil {
		return err
	}
	need, err := tx.MaxSignoffsRequired(r.Role)
	if err != nil {
		return err
	}
	holders, err := tx.RoleHolders(r.Role)
	if err != nil {
		return err
	}
	if need > holders-1 {
		return valueError(fmt.Sprintf("Revoking %s role would make it impossible for Required Signoffs to be fulfilled", r.Role))
	}
	return tx.DeleteRole(r.Username, r.Role, r.DataVersion)
}

func (s *Server) putRole(c echo.Context) error {
	other, role := c.Param("user"), c.Param("role")
	created, version := false, 0
	err := s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		roles, err := tx.UserRoles(other)
		if err != nil {
			return err
		}
		for _, r := range roles {
			if r.Role == role {
				version = r.DataVersion
				return nil
			}
		}
		if err := requirePermission(tx, user, "permission", "create", nil, user+" is not allowed to grant user roles"); err != nil {
			return err
		}
		known, err := tx.IsKnownUser(other)
		if err != nil {
			return err
		}
		if !known {
			return valueError("Cannot grant a role to a user without any permissions")
		}
		created, version = true, 1
		return tx.InsertRole(other, role)
	})
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return writeJSON(c, status, ctHTML, map[string]int{"new_data_version": version})
}

func (s *Server) deleteRole(c echo.Context) error {
	other, role := c.Param("user"), c.Param("role")
	version, err := requiredDataVersion(c)
	if err != nil {
		return err
	}
	err = s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		roles, err := tx.UserRoles(other)
		if err != nil {
			return err
		}
		for _, r := range roles {
			if r.Role == role {
				r.DataVersion = version
				return revokeRole(tx, user, r)
			}
		}
		return notFound("Role not found", fmt.Sprintf("No role '%s' found for username '%s'", role, other))
	})
	if err != nil {
		return err
	}
	return emptyOK(c)
}
