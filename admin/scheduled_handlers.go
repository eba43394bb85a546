package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/balrog-go/balrog/store"
	"github.com/balrog-go/balrog/store/gormstore"
)

// scRoutes registers the scheduled-change endpoints of one family under
// /scheduled_changes/<path> (admin.md §11.3).
func (s *Server) scRoutes(e *echo.Echo, path string, a scAdapter, single, revisions bool) {
	base := "/scheduled_changes/" + path
	h := scHandlers{s: s, a: a}
	getHead(e, base, h.list)
	e.POST(base, h.create)
	if single {
		getHead(e, base+"/:sc_id", h.get)
	}
	e.POST(base+"/:sc_id", h.edit)
	e.DELETE(base+"/:sc_id", h.delete)
	if revisions {
		getHead(e, base+"/:sc_id/revisions", h.revisions)
		e.POST(base+"/:sc_id/revisions", h.revert)
	}
	e.POST(base+"/:sc_id/enact", h.enact)
	e.POST(base+"/:sc_id/signoffs", h.signoff)
	e.DELETE(base+"/:sc_id/signoffs", h.revoke)
}

// scHandlers are the endpoints of one family.
type scHandlers struct {
	s *Server
	a scAdapter
}

func (h scHandlers) list(c echo.Context) error {
	if err := checkQuery(c, append([]string{"all"}, h.a.listFilters()...)...); err != nil {
		return err
	}
	_, all := c.QueryParams()["all"]
	filter := map[string]any{}
	for _, f := range h.a.listFilters() {
		if v := optQuery(c, f); v != nil {
			if kind := h.a.family().Columns[f]; kind == gormstore.KindInt {
				n, err := asInt64(*v)
				if err != nil {
					return invalid(fmt.Sprintf("Wrong type, expected 'integer' for query parameter '%s'", f))
				}
				filter[f] = n
			} else if _, ok := h.a.family().Columns[f]; ok {
				filter[f] = *v
			}
		}
	}
	out := []any{}
	err := h.s.anon(c, func(tx *gormstore.AdminTx) error {
		list, err := tx.ScheduledChanges(h.a.family(), all, filter)
		if err != nil {
			return err
		}
		for _, sc := range list {
			m, err := scFullJSON(tx, h.a, sc)
			if err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return okJSON(c, map[string]any{"count": len(out), "scheduled_changes": out})
}

func (h scHandlers) get(c echo.Context) error {
	id, err := scID(c)
	if err != nil {
		return err
	}
	var out map[string]any
	err = h.s.anon(c, func(tx *gormstore.AdminTx) error {
		sc, err := loadSC(tx, h.a, id, scNotFound())
		if err != nil {
			return err
		}
		out, err = scFullJSON(tx, h.a, sc)
		return err
	})
	if err != nil {
		return err
	}
	return okJSON(c, map[string]any{"scheduled_change": out})
}

// changeType reads and checks change_type.
func (h scHandlers) changeType(b body) (string, error) {
	v, ok := b["change_type"]
	if !ok {
		return "", invalid("'change_type' is a required property")
	}
	ct, isStr := v.(string)
	types := h.a.changeTypes()
	if !isStr || !containsStr(types, ct) {
		quoted := make([]string, len(types))
		for i, t := range types {
			quoted[i] = pyStr(t)
		}
		return "", invalid(fmt.Sprintf("change_type: %s is not one of [%s]", pyRepr(v), strings.Join(quoted, ", ")))
	}
	return ct, nil
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (h scHandlers) create(c echo.Context) error {
	b, err := readBody(c)
	if err != nil {
		return err
	}
	if sr, ok := h.a.(interface{ schemaRequired() []string }); ok {
		for _, k := range sr.schemaRequired() {
			if !b.has(k) {
				return invalid(fmt.Sprintf("'%s' is a required property", k))
			}
		}
	}
	ct, err := h.changeType(b)
	if err != nil {
		return err
	}
	fam := h.a.family()
	cond, err := readConditions(b, fam.Telemetry)
	if err != nil {
		return err
	}
	var id int
	var signoffs map[string]string
	err = h.s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		if b.has("sc_id") {
			return badRequest("sc_id cannot be set when scheduling a new change")
		}
		if cond["when"] == nil {
			return badRequest("'when' cannot be set to null when scheduling a new change for a " + h.a.noun())
		}
		if cond["when"].(int64) < nowMillis() {
			return badRequest("Changes may not be scheduled in the past")
		}
		if err := checkConditions(cond); err != nil {
			return err
		}
		base, err := h.a.createBase(tx, b, ct)
		if err != nil {
			return err
		}
		sc := store.ScheduledChange{ScheduledBy: user, ChangeType: ct, Base: base, Conditions: conditionsOf(fam, cond)}
		if err := conflictCheck(tx, h.a, sc); err != nil {
			return err
		}
		if err := h.a.validate(tx, sc); err != nil {
			return err
		}
		if id, err = tx.InsertScheduledChange(fam, sc); err != nil {
			return err
		}
		sc.ScID, sc.DataVersion = id, 1
		if err := autoSignoff(tx, h.a, sc); err != nil {
			return err
		}
		list, err := tx.Signoffs(fam, id)
		signoffs = signoffsJSON(list)
		return err
	})
	if err != nil {
		return err
	}
	return okJSON(c, map[string]any{"sc_id": id, "signoffs": signoffs})
}

func (h scHandlers) edit(c echo.Context) error {
	id, err := scID(c)
	if err != nil {
		return err
	}
	b, err := readBody(c)
	if err != nil {
		return err
	}
	scVersion, err := intParam{name: "sc_data_version", min: bound(1)}.required(b)
	if err != nil {
		return err
	}
	fam := h.a.family()
	cond, err := readConditions(b, fam.Telemetry)
	if err != nil {
		return err
	}
	var newVersion int
	var signoffs map[string]string
	err = h.s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		sc, err := loadSC(tx, h.a, id, notFound("Unknown sc_id",
			fmt.Sprintf("No scheduled change for %s found for given sc_id", strings.ToLower(h.a.noun()))))
		if err != nil {
			return err
		}
		if sc.Complete {
			return valueError("Scheduled change already completed. Cannot update now.")
		}
		if w, ok := cond["when"].(int64); ok && w < nowMillis() {
			return badRequest("Changes may not be scheduled in the past")
		}
		for k, v := range cond {
			sc.Conditions[k] = v
		}
		if err := checkConditions(sc.Conditions); err != nil {
			return err
		}
		if err := h.a.editBase(b, &sc); err != nil {
			return err
		}
		sc.ScheduledBy = user
		if err := h.a.validate(tx, sc); err != nil {
			return err
		}
		if newVersion, err = tx.UpdateScheduledChange(fam, sc, scVersion); err != nil {
			return err
		}
		sc.DataVersion = newVersion
		if err := autoSignoff(tx, h.a, sc); err != nil {
			return err
		}
		if err := resetSignoffs(tx, h.a, id); err != nil {
			return err
		}
		list, err := tx.Signoffs(fam, id)
		signoffs = signoffsJSON(list)
		return err
	})
	if err != nil {
		return err
	}
	return okJSON(c, map[string]any{"new_data_version": newVersion, "signoffs": signoffs})
}

func (h scHandlers) delete(c echo.Context) error {
	id, err := scID(c)
	if err != nil {
		return err
	}
	version, err := requiredDataVersion(c)
	if err != nil {
		return err
	}
	err = h.s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		sc, err := loadSC(tx, h.a, id, scNotFound())
		if err != nil {
			return err
		}
		if sc.Complete {
			return valueError("Scheduled change already completed. Cannot delete now.")
		}
		if err := h.a.validate(tx, sc); err != nil {
			var pd *PermissionDenied
			if errors.As(err, &pd) {
				return err
			}
		}
		return tx.DeleteScheduledChange(h.a.family(), id, version)
	})
	if err != nil {
		return err
	}
	return okJSON(c, map[string]any{})
}

func (h scHandlers) enact(c echo.Context) error {
	id, err := scID(c)
	if err != nil {
		return err
	}
	err = h.s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		if err := requirePermission(tx, user, "scheduled_change", "enact", nil,
			fmt.Sprintf("('%%s is not allowed to enact scheduled changes', %s)", pyStr(user))); err != nil {
			return err
		}
		sc, err := loadSC(tx, h.a, id, scNotFound())
		if err != nil {
			return err
		}
		return enactLoaded(tx, h.a, sc)
	})
	if err != nil {
		return err
	}
	return okJSON(c, map[string]any{})
}

// enactLoaded enacts the scheduled change sc of family a, as its scheduler:
// the one enact path of the endpoint and of the agent (enact_api.go). The
// completion is a data_version-guarded update of the change row, so that of
// two concurrent enactments of one change only one commits.
func enactLoaded(tx *gormstore.AdminTx, a scAdapter, sc store.ScheduledChange) error {
	if sc.Complete {
		return valueError("Scheduled change already completed. Cannot enact now.")
	}
	signoffs, err := tx.Signoffs(a.family(), sc.ScID)
	if err != nil {
		return err
	}
	// Refuse missing signoffs before writing anything (the base
	// operation verifies them again against the data it changes).
	req, err := a.requirements(tx, sc)
	if err != nil {
		return err
	}
	if err := verifySignoffs(req, signoffs); err != nil {
		return err
	}
	as := tx.As(sc.ScheduledBy)
	done := sc
	done.Complete = true
	if _, err := as.UpdateScheduledChange(a.family(), done, sc.DataVersion); err != nil {
		return err
	}
	return a.enact(as, sc, signoffs)
}

func (h scHandlers) signoff(c echo.Context) error {
	id, err := scID(c)
	if err != nil {
		return err
	}
	b, err := readBody(c)
	if err != nil {
		return err
	}
	if !b.has("role") {
		return invalid("'role' is a required property")
	}
	role, _, err := optString(b, "role", false)
	if err != nil {
		return err
	}
	if role == nil {
		return invalid("role: None is not of type 'string'")
	}
	err = h.s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		if u, ok := b["username"].(string); ok && u != user {
			return &PermissionDenied{Message: "Cannot signoff on behalf of another user"}
		}
		if h.s.isSystemAccount(user) {
			return &PermissionDenied{Message: "System account cannot signoff"}
		}
		roles, err := tx.UserRoles(user)
		if err != nil {
			return err
		}
		held := false
		for _, r := range roles {
			held = held || r.Role == *role
		}
		if !held {
			return &PermissionDenied{Message: fmt.Sprintf("%s cannot signoff with role '%s'", user, *role)}
		}
		existing, err := tx.Signoffs(h.a.family(), id)
		if err != nil {
			return err
		}
		for _, s := range existing {
			if s.Username == user {
				if s.Role == *role {
					return nil
				}
				return &PermissionDenied{Message: "Cannot signoff with a second role"}
			}
		}
		return tx.InsertSignoff(h.a.family(), id, store.Signoff{Username: user, Role: *role})
	})
	if err != nil {
		return err
	}
	return okJSON(c, map[string]any{})
}

func (h scHandlers) revoke(c echo.Context) error {
	id, err := scID(c)
	if err != nil {
		return err
	}
	var out map[string]any
	err = h.s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		target := user
		if u := c.QueryParam("username"); u != "" {
			target = u
		}
		existing, err := tx.Signoffs(h.a.family(), id)
		if err != nil {
			return err
		}
		var found *store.Signoff
		for i := range existing {
			if existing[i].Username == target {
				found = &existing[i]
			}
		}
		if found == nil {
			out = map[string]any{"error": user + " has no signoff to revoke"}
			return nil
		}
		if h.s.isSystemAccount(user) {
			return &PermissionDenied{Message: "System account cannot revoke signoffs"}
		}
		roles, err := tx.UserRoles(user)
		if err != nil {
			return err
		}
		allowed := false
		for _, r := range roles {
			allowed = allowed || r.Role == found.Role
		}
		if !allowed {
			perms, err := tx.Permissions(user)
			if err != nil {
				return err
			}
			for _, p := range perms {
				allowed = allowed || p.Permission == "admin"
			}
		}
		if !allowed {
			return &PermissionDenied{Message: "Cannot revoke a signoff made by someone in a group you do not belong to"}
		}
		out = map[string]any{}
		return tx.DeleteSignoff(h.a.family(), id, target)
	})
	if err != nil {
		return err
	}
	return okJSON(c, out)
}

func (h scHandlers) revisions(c echo.Context) error {
	if err := checkQuery(c, "page", "limit"); err != nil {
		return err
	}
	id, err := scID(c)
	if err != nil {
		return err
	}
	page, limit, err := paging(c, 10)
	if err != nil {
		return err
	}
	revs := []any{}
	total := 0
	err = h.s.anon(c, func(tx *gormstore.AdminTx) error {
		if _, err := loadSC(tx, h.a, id, scNotFound()); err != nil {
			return err
		}
		rows, n, err := tx.ScheduledChangeHistory(h.a.family(), id, store.HistoryFilter{Limit: limit, Offset: (page - 1) * limit})
		for _, r := range rows {
			revs = append(revs, scRevisionJSON(h.a, r))
		}
		total = n
		return err
	})
	if err != nil {
		return err
	}
	return okJSON(c, map[string]any{"count": total, "revisions": revs})
}

// scRevisionJSON renders a scheduled-change history row (admin.md §8.8).
func scRevisionJSON(a scAdapter, r store.ScheduledChangeRevision) map[string]any {
	m := scJSON(a, r.ScheduledChange)
	m["change_id"], m["changed_by"], m["timestamp"] = r.ChangeID, r.ChangedBy, r.Timestamp
	return m
}

func (h scHandlers) revert(c echo.Context) error {
	id, err := scID(c)
	if err != nil {
		return err
	}
	b, err := readBody(c)
	if err != nil {
		return err
	}
	changeID, err := intParam{name: "change_id"}.required(b)
	if err != nil {
		return err
	}
	err = h.s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		cur, err := loadSC(tx, h.a, id, scNotFound())
		if err != nil {
			return err
		}
		old, err := tx.ScheduledChangeHistoryRow(h.a.family(), changeID)
		if errors.Is(err, store.ErrNotFound) {
			return badRequest(fmt.Sprintf("Invalid change_id : %d passed in the request body", changeID))
		} else if err != nil {
			return err
		}
		if old.ScID != id {
			return badRequest("Bad sc_id passed in the request")
		}
		next := old.ScheduledChange
		next.ScID, next.ScheduledBy, next.ChangeType = id, user, cur.ChangeType
		if err := h.a.validate(tx, next); err != nil {
			return err
		}
		if _, err := tx.UpdateScheduledChange(h.a.family(), next, cur.DataVersion); err != nil {
			return err
		}
		return resetSignoffs(tx, h.a, id)
	})
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, ctHTML, []byte("Success"))
}

// scHistoryJSON is the scheduled-change half of the history endpoints: the
// family's history rows, filtered like the base list except by product and
// channel (admin.md §11.7).
func scHistoryJSON(tx *gormstore.AdminTx, a scAdapter, f store.HistoryFilter) (map[string]any, error) {
	f.Product, f.Channel = nil, nil
	rows, n, err := tx.ScheduledChangeHistory(a.family(), 0, f)
	if err != nil {
		return nil, err
	}
	revs := []any{}
	for _, r := range rows {
		revs = append(revs, scRevisionJSON(a, r))
	}
	return map[string]any{"count": n, "revisions": revs}, nil
}
