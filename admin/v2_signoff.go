package admin

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/balrog-go/balrog/rules"
	"github.com/balrog-go/balrog/store"
	"github.com/balrog-go/balrog/store/gormstore"
)

// v2Pending loads the pending changes of a release, 404 when none.
func v2Pending(tx *gormstore.AdminTx, name string) ([]store.ScheduledChange, []store.ScheduledChange, error) {
	base, assets, err := pendingV2(tx, name)
	if err != nil {
		return nil, nil, err
	}
	if len(base)+len(assets) == 0 {
		return nil, nil, &Problem{Status: http.StatusNotFound, Title: "Missing", Detail: "Release has no scheduled changes"}
	}
	return base, assets, nil
}

// v2Signoff is PUT /v2/releases/{name}/signoff: the caller signs off on
// every pending change of the release.
func (s *Server) v2Signoff(c echo.Context) error {
	name := c.Param("name")
	b, err := readBody(c)
	if err != nil {
		return err
	}
	role, _ := b["role"].(string)
	if role == "" {
		return invalid("'role' is a required property")
	}
	err = s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		base, assets, err := v2Pending(tx, name)
		if err != nil {
			return err
		}
		if s.isSystemAccount(user) {
			return &PermissionDenied{Message: "System account cannot signoff"}
		}
		roles, err := tx.UserRoles(user)
		if err != nil {
			return err
		}
		held := false
		for _, r := range roles {
			held = held || r.Role == role
		}
		if !held {
			return &PermissionDenied{Message: fmt.Sprintf("%s cannot signoff with role '%s'", user, role)}
		}
		for _, ch := range v2Changes(base, assets) {
			fam, sc := ch.a.family(), ch.sc
			existing, err := tx.Signoffs(fam, sc.ScID)
			if err != nil {
				return err
			}
			done := false
			for _, so := range existing {
				if so.Username == user {
					if so.Role != role {
						return &PermissionDenied{Message: "Cannot signoff with a second role"}
					}
					done = true
				}
			}
			if !done {
				if err := tx.InsertSignoff(fam, sc.ScID, store.Signoff{Username: user, Role: role}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, ctJSON, nil)
}

// v2RevokeSignoff is DELETE /v2/releases/{name}/signoff.
func (s *Server) v2RevokeSignoff(c echo.Context) error {
	name := c.Param("name")
	err := s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		base, assets, err := v2Pending(tx, name)
		if err != nil {
			return err
		}
		for _, ch := range v2Changes(base, assets) {
			fam, sc := ch.a.family(), ch.sc
			existing, err := tx.Signoffs(fam, sc.ScID)
			if err != nil {
				return err
			}
			for _, so := range existing {
				if so.Username == user {
					if err := tx.DeleteSignoff(fam, sc.ScID, user); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, ctJSON, nil)
}

// v2Enact is POST /v2/releases/{name}/enact: every pending change of the
// release is applied as its scheduler.
func (s *Server) v2Enact(c echo.Context) error {
	name := c.Param("name")
	err := s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		base, assets, err := v2Pending(tx, name)
		if err != nil {
			return err
		}
		if err := requirePermission(tx, user, "scheduled_change", "enact", nil,
			fmt.Sprintf("('%%s is not allowed to enact scheduled changes', %s)", pyStr(user))); err != nil {
			return err
		}
		return enactV2Pending(tx, base, assets)
	})
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, ctJSON, nil)
}

// enactV2Pending enacts the pending base and asset changes of one v2
// release, each as its scheduler: the one v2 enact path of the endpoint and
// of the agent (enact_api.go). As enactLoaded does for v1, every change's
// signoffs are verified before anything is written, so that an enactment
// refused for missing signoffs leaves every change incomplete and the
// release untouched.
func enactV2Pending(tx *gormstore.AdminTx, base, assets []store.ScheduledChange) error {
	type pendingEnact struct {
		a        scAdapter
		sc       store.ScheduledChange
		signoffs []store.Signoff
	}
	var todo []pendingEnact
	for _, ch := range v2Changes(base, assets) {
		a, sc := ch.a, ch.sc
		if sc.Complete {
			return valueError("Scheduled change already completed. Cannot enact now.")
		}
		signoffs, err := tx.Signoffs(a.family(), sc.ScID)
		if err != nil {
			return err
		}
		req, err := a.requirements(tx, sc)
		if err != nil {
			return err
		}
		if err := verifySignoffs(req, signoffs); err != nil {
			return err
		}
		todo = append(todo, pendingEnact{a, sc, signoffs})
	}
	for _, p := range todo {
		as := tx.As(p.sc.ScheduledBy)
		done := p.sc
		done.Complete = true
		if _, err := as.UpdateScheduledChange(p.a.family(), done, p.sc.DataVersion); err != nil {
			return err
		}
		if err := p.a.enact(as, p.sc, p.signoffs); err != nil {
			return err
		}
	}
	return nil
}

// appVersionOf reads the application version of a v2 release's base blob.
func appVersionOf(data []byte) (rules.MozillaVersion, bool) {
	blob, _ := decodeJSON(data).(map[string]any)
	for _, k := range []string{"appVersion", "appv"} {
		if s, ok := blob[k].(string); ok {
			if v, err := rules.ParseMozillaVersion(s); err == nil {
				return v, true
			}
		}
	}
	return rules.MozillaVersion{}, false
}

// v2Pinnable is PUT /v2/releases/{name}/pinnable: pins the release for a
// product, channel and version prefix, or schedules the pin.
func (s *Server) v2Pinnable(c echo.Context) error {
	name := c.Param("name")
	b, err := readBody(c)
	if err != nil {
		return err
	}
	var pin rules.Pin
	for _, f := range []string{"product", "channel", "version"} {
		v, _, err := optString(b, f, false)
		if err != nil {
			return err
		}
		if v == nil {
			return invalid(fmt.Sprintf("'%s' is a required property", f))
		}
		switch f {
		case "product":
			pin.Product = *v
		case "channel":
			pin.Channel = *v
		case "version":
			pin.Version = *v
		}
	}
	pin.Mapping = name
	var when *int64
	if v, ok := b["when"]; ok && v != nil {
		n, err := asInt64(v)
		if err != nil {
			return invalid(fmt.Sprintf("when: %s is not of type 'integer', 'null'", pyRepr(v)))
		}
		when = &n
	}
	var out map[string]any
	err = s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		rel, err := tx.ReleaseJSON(name)
		if err != nil {
			return v2Missing(err)
		}
		cur, err := tx.Pin(pin.Product, pin.Channel, pin.Version)
		exists := err == nil
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if exists {
			if pinned, err := tx.ReleaseJSON(cur.Mapping); err == nil {
				pv, ok1 := appVersionOf(pinned.Data)
				nv, ok2 := appVersionOf(rel.Data)
				if ok1 && ok2 && pv.Compare(nv) > 0 {
					out = map[string]any{"pin_not_set": true, "reason": "existing_pin_is_newer"}
					return nil
				}
			}
		}
		if when != nil {
			action := "create"
			if exists {
				action = "modify"
			}
			if err := checkPinPermission(tx, action, pin.Product); err != nil {
				return err
			}
			w := &v2Writer{tx: tx, name: name, when: when, assets: map[string]any{}}
			base := map[string]any{"product": pin.Product, "channel": pin.Channel, "version": pin.Version, "mapping": pin.Mapping, "data_version": nil}
			changeType := "insert"
			if exists {
				changeType, base["data_version"] = "update", int64(cur.DataVersion)
			}
			leaf, err := w.schedule(scPins, changeType, base)
			if err != nil {
				return err
			}
			if exists {
				leaf["data_version"] = cur.DataVersion + 1
			}
			out = map[string]any{".": leaf}
			return nil
		}
		var curPtr *rules.Pin
		if exists {
			curPtr = &cur
		}
		n, err := writePin(tx, pin, curPtr)
		out = map[string]any{".": n}
		return err
	})
	if err != nil {
		return err
	}
	return okJSON(c, out)
}
