package admin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/balrog-go/balrog/store/gormstore"
)

// permissionOptions are the option keys each permission accepts (admin.md
// §2.1), in Balrog's order of permission names.
var permissionOptions = map[string][]string{
	"admin":             {"products"},
	"emergency_shutoff": {"actions", "products"},
	"rule":              {"actions", "products"},
	"release":           {"actions", "products"},
	"release_read_only": {"actions", "products"},
	"release_locale":    {"actions", "products"},
	"required_signoff":  {"products"},
	"permission":        {"actions"},
	"scheduled_change":  {"actions"},
	"pinnable_release":  {"products"},
	"assertion":         {"actions", "products"},
}

// permissionNames lists the permissions in Balrog's enum order.
var permissionNames = []string{"admin", "emergency_shutoff", "rule", "release", "release_read_only",
	"release_locale", "required_signoff", "permission", "scheduled_change", "pinnable_release"}

// extensionPermissions are this server's permissions beyond Balrog's
// enum; error messages keep listing Balrog's names only.
var extensionPermissions = []string{"assertion"}

// grantOptions is a decoded options object of a permission row.
type grantOptions struct {
	Products []string `json:"products"`
	Actions  []string `json:"actions"`
}

func parseOptions(s *string) grantOptions {
	var o grantOptions
	if s != nil {
		_ = json.Unmarshal([]byte(*s), &o)
	}
	return o
}

// hasPermission is Balrog's check (admin.md §2.2). A nil product is Python's
// None, which never satisfies a products restriction.
func hasPermission(tx *gormstore.AdminTx, user, thing, action string, product *string) (bool, error) {
	perms, err := tx.Permissions(user)
	if err != nil {
		return false, err
	}
	allowsProduct := func(o grantOptions) bool {
		return len(o.Products) == 0 || (product != nil && slices.Contains(o.Products, *product))
	}
	for _, p := range perms {
		if p.Permission == "admin" {
			return allowsProduct(parseOptions(p.Options)), nil
		}
	}
	for _, p := range perms {
		if p.Permission == thing {
			o := parseOptions(p.Options)
			if len(o.Actions) > 0 && !slices.Contains(o.Actions, action) {
				return false, nil
			}
			return allowsProduct(o), nil
		}
	}
	return false, nil
}

// requirePermission returns PermissionDenied with msg when the check fails.
func requirePermission(tx *gormstore.AdminTx, user, thing, action string, product *string, msg string) error {
	ok, err := hasPermission(tx, user, thing, action, product)
	if err != nil {
		return err
	}
	if !ok {
		return &PermissionDenied{Message: msg}
	}
	return nil
}

// pyOpt renders an optional string as Python's str() would: None when nil.
func pyOpt(s *string) string {
	if s == nil {
		return "None"
	}
	return *s
}

// authenticate returns the caller's Balrog username and whether the known-
// user gate applies to it (admin.md §1.3).
func (s *Server) authenticate(c echo.Context) (string, bool, error) {
	id, err := s.cfg.Auth.Authenticate(c.Request())
	if err != nil {
		return "", false, fmt.Errorf("authenticate: %w", err)
	}
	user := id.Username(s.cfg.M2MAccounts)
	c.Set(userKey, user) // for the request log line
	return user, id.NeedsKnownUserCheck(), nil
}

// knownUser is the authorization gate of admin.md §1.3: a user named by an
// email address must have at least one permission row.
func knownUser(tx *gormstore.AdminTx, user string) error {
	ok, err := tx.IsKnownUser(user)
	if err != nil {
		return err
	}
	if !ok {
		return &Problem{Status: http.StatusForbidden, Title: "Forbidden", Detail: "Authorization Required"}
	}
	return nil
}

// authed runs fn in one transaction as the authenticated, known user, with
// the assertion check of its writes (?override_assertions=1 lets an admin
// write anyway).
func (s *Server) authed(c echo.Context, fn func(tx *gormstore.AdminTx, user string) error) error {
	user, gate, err := s.authenticate(c)
	if err != nil {
		return err
	}
	r := c.Request()
	req := assertionRequest{name: r.Method + " " + r.URL.Path, override: c.QueryParam("override_assertions") == "1", user: user}
	return s.inTx(r.Context(), user, req, func(tx *gormstore.AdminTx) error {
		if gate {
			if err := knownUser(tx, user); err != nil {
				return err
			}
		}
		return fn(tx, user)
	})
}

// anon runs fn in one transaction without a user (anonymous reads).
func (s *Server) anon(c echo.Context, fn func(tx *gormstore.AdminTx) error) error {
	return s.store.Tx(c.Request().Context(), "", fn)
}

// validateOptions checks the option keys of a grant.
func validateOptions(permission string, opts map[string]any) error {
	allowed, ok := permissionOptions[permission]
	if !ok {
		return badRequest(fmt.Sprintf("('Unknown permission \"%s\"',)", permission))
	}
	keys := make([]string, 0, len(opts))
	for k := range opts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			return badRequest(fmt.Sprintf("('Unknown option \"%s\" for permission \"%s\"',)", k, permission))
		}
	}
	return nil
}
