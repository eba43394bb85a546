package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/balrog-go/balrog/store"
	"github.com/balrog-go/balrog/store/gormstore"
)

// scAdapter is what the generic scheduled-change endpoints (admin.md §8)
// need to know about one family.
type scAdapter interface {
	// family describes the family's tables.
	family() gormstore.SCFamily
	// noun names the base object in messages ("Rule").
	noun() string
	// changeTypes are the change types the family accepts.
	changeTypes() []string
	// pk returns the base primary key of a change, nil when it is not
	// known yet (a rule insertion).
	pk(sc store.ScheduledChange) map[string]any
	// createBase reads the base fields of a new change of changeType.
	createBase(tx *gormstore.AdminTx, b body, changeType string) (map[string]any, error)
	// editBase overlays the base fields an edit may change.
	editBase(b body, sc *store.ScheduledChange) error
	// validate checks a new or edited change against the base table as
	// tx.User would apply it, without applying it (dry run).
	validate(tx *gormstore.AdminTx, sc store.ScheduledChange) error
	// requirements computes the signoffs the change needs now.
	requirements(tx *gormstore.AdminTx, sc store.ScheduledChange) (requirements, error)
	// enact applies the change as tx.User (its scheduler) with signoffs.
	enact(tx *gormstore.AdminTx, sc store.ScheduledChange, signoffs []store.Signoff) error
	// render returns the base columns as the API shows them.
	render(base map[string]any) map[string]any
	// listFilters are the query parameters that filter listings by base column.
	listFilters() []string
}

// ChangeScheduled is Balrog's ChangeScheduledError: a conflict with a
// scheduled change.
type ChangeScheduled struct{ Message string }

func (e *ChangeScheduled) Error() string { return e.Message }

// UpdateMerge is Balrog's UpdateMergeError: a direct change conflicts with a
// pending scheduled change of the same row.
type UpdateMerge struct{}

func (e *UpdateMerge) Error() string { return "update conflicts with a scheduled change" }

// scNotFound is the 404 of a missing scheduled change (Balrog's title is
// really "Bad Request").
func scNotFound() *Problem {
	return &Problem{Status: http.StatusNotFound, Title: "Bad Request", Detail: "Scheduled change does not exist"}
}

// jsonEq compares two column values by their JSON encoding.
func jsonEq(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// nowMillis is the server clock in milliseconds.
func nowMillis() int64 { return time.Now().UnixMilli() }

// readConditions reads when and the telemetry fields of a body.
func readConditions(b body, telemetry bool) (map[string]any, error) {
	cond := map[string]any{}
	if v, ok := b["when"]; ok && v != nil {
		n, err := asInt64(v)
		if err != nil {
			return nil, invalid(fmt.Sprintf("when: %s is not of type 'integer', 'null'", pyRepr(v)))
		}
		if n < 0 {
			return nil, invalid(fmt.Sprintf("when field value should be an integer >= 0 when: %s is not a 'when'", pyRepr(v)))
		}
		cond["when"] = n
	}
	if telemetry {
		for _, k := range []string{"telemetry_product", "telemetry_channel"} {
			v, _, err := optString(b, k, false)
			if err != nil {
				return nil, err
			}
			if v != nil && *v != "" {
				cond[k] = *v
			}
		}
		if n, ok, err := (intParam{name: "telemetry_uptake", min: bound(0)}).get(b); err != nil {
			return nil, err
		} else if ok {
			cond["telemetry_uptake"] = int64(n)
		}
	}
	return cond, nil
}

// asInt64 reads an integer or a numeric string.
func asInt64(v any) (int64, error) {
	switch x := v.(type) {
	case json.Number:
		return strconv.ParseInt(x.String(), 10, 64)
	case string:
		return strconv.ParseInt(strings.TrimSpace(x), 10, 64)
	}
	return 0, fmt.Errorf("not an integer")
}

// checkConditions is the table-level validation of a condition set.
func checkConditions(cond map[string]any) error {
	var keys []string
	for _, k := range []string{"when", "telemetry_product", "telemetry_channel", "telemetry_uptake"} {
		if cond[k] != nil {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return valueError("No conditions found")
	}
	if len(keys) > 1 && slices.Contains(keys, "when") {
		quoted := make([]string, len(keys))
		for i, k := range keys {
			quoted[i] = pyStr(k)
		}
		return valueError(fmt.Sprintf("Invalid combination of conditions: dict_keys([%s])", strings.Join(quoted, ", ")))
	}
	if w, ok := cond["when"].(int64); ok && w < nowMillis() {
		return valueError("Cannot schedule changes in the past")
	}
	return nil
}

// conditionsOf fills the family's condition columns from cond.
func conditionsOf(f gormstore.SCFamily, cond map[string]any) map[string]any {
	out := map[string]any{"when": cond["when"]}
	if f.Telemetry {
		for _, k := range []string{"telemetry_product", "telemetry_channel", "telemetry_uptake"} {
			out[k] = cond[k]
		}
	}
	return out
}

// conflictCheck refuses a second incomplete change for the same row.
func conflictCheck(tx *gormstore.AdminTx, a scAdapter, sc store.ScheduledChange) error {
	pk := a.pk(sc)
	if pk == nil {
		return nil
	}
	pending, err := tx.ScheduledChanges(a.family(), false, pk)
	if err != nil {
		return err
	}
	for _, p := range pending {
		if p.ScID != sc.ScID {
			return &ChangeScheduled{Message: "Cannot schedule a change for a row with one already scheduled"}
		}
	}
	return nil
}

// autoSignoff records a signoff for tx.User when they hold exactly one of
// the roles the change needs (admin.md §7.4).
func autoSignoff(tx *gormstore.AdminTx, a scAdapter, sc store.ScheduledChange) error {
	req, err := a.requirements(tx, sc)
	if err != nil || len(req) == 0 {
		return err
	}
	roles, err := tx.UserRoles(tx.User)
	if err != nil {
		return err
	}
	var held []string
	for _, r := range roles {
		if _, ok := req[r.Role]; ok {
			held = append(held, r.Role)
		}
	}
	if len(held) != 1 {
		return nil
	}
	existing, err := tx.Signoffs(a.family(), sc.ScID)
	if err != nil {
		return err
	}
	for _, s := range existing {
		if s.Username == tx.User {
			return nil
		}
	}
	return tx.InsertSignoff(a.family(), sc.ScID, store.Signoff{Username: tx.User, Role: held[0]})
}

// resetSignoffs removes every signoff not made by tx.User.
func resetSignoffs(tx *gormstore.AdminTx, a scAdapter, id int) error {
	existing, err := tx.Signoffs(a.family(), id)
	if err != nil {
		return err
	}
	for _, s := range existing {
		if s.Username != tx.User {
			if err := tx.DeleteSignoff(a.family(), id, s.Username); err != nil {
				return err
			}
		}
	}
	return nil
}

// signoffsJSON renders signoffs as {username: role}.
func signoffsJSON(list []store.Signoff) map[string]string {
	out := map[string]string{}
	for _, s := range list {
		out[s.Username] = s.Role
	}
	return out
}

// mergePending merges a direct update of the row pk (old → new columns)
// into the row's incomplete scheduled changes (admin.md §8.6), after the
// base row was written.
func mergePending(tx *gormstore.AdminTx, a scAdapter, pk map[string]any, old, new map[string]any) error {
	return mergeInto(tx, a, pk, old, new, true)
}

// checkMergeable reports UpdateMerge before a direct update is written, so
// that a refused update writes nothing (not even auto-increment values).
func checkMergeable(tx *gormstore.AdminTx, a scAdapter, pk map[string]any, old, new map[string]any) error {
	return mergeInto(tx, a, pk, old, new, false)
}

// mergeInto checks, and with apply performs, the merge of mergePending.
func mergeInto(tx *gormstore.AdminTx, a scAdapter, pk map[string]any, old, new map[string]any, apply bool) error {
	pending, err := tx.ScheduledChanges(a.family(), false, pk)
	if err != nil || len(pending) == 0 {
		return err
	}
	var changed []string
	for k, v := range new {
		if !jsonEq(v, old[k]) {
			changed = append(changed, k)
		}
	}
	for _, sc := range pending {
		for _, k := range changed {
			if !jsonEq(sc.Base[k], old[k]) {
				return &UpdateMerge{}
			}
		}
	}
	if !apply {
		return nil
	}
	for _, sc := range pending {
		for _, k := range changed {
			sc.Base[k] = new[k]
		}
		as := tx.As(sc.ScheduledBy)
		if err := checkConditions(sc.Conditions); err != nil {
			return err
		}
		if _, err := as.UpdateScheduledChange(a.family(), sc, sc.DataVersion); err != nil {
			return err
		}
		if err := resetSignoffs(as, a, sc.ScID); err != nil {
			return err
		}
	}
	return nil
}

// refuseIfScheduled refuses to delete a row with an incomplete change.
func refuseIfScheduled(tx *gormstore.AdminTx, a scAdapter, pk map[string]any) error {
	pending, err := tx.ScheduledChanges(a.family(), false, pk)
	if err != nil {
		return err
	}
	if len(pending) > 0 {
		return &ChangeScheduled{Message: "Cannot delete rows that have changes scheduled."}
	}
	return nil
}

// scJSON renders a scheduled change (admin.md §8.7).
func scJSON(a scAdapter, sc store.ScheduledChange) map[string]any {
	m := a.render(sc.Base)
	m["sc_id"], m["scheduled_by"], m["complete"], m["change_type"] = sc.ScID, sc.ScheduledBy, sc.Complete, sc.ChangeType
	m["sc_data_version"] = sc.DataVersion
	for k, v := range sc.Conditions {
		m[k] = v
	}
	return m
}

// scFullJSON adds the signoffs and the current requirements.
func scFullJSON(tx *gormstore.AdminTx, a scAdapter, sc store.ScheduledChange) (map[string]any, error) {
	m := scJSON(a, sc)
	signoffs, err := tx.Signoffs(a.family(), sc.ScID)
	if err != nil {
		return nil, err
	}
	m["signoffs"] = signoffsJSON(signoffs)
	req := requirements{}
	if !sc.Complete {
		if req, err = a.requirements(tx, sc); err != nil {
			return nil, err
		}
	}
	m["required_signoffs"] = req
	return m, nil
}

// scID reads the {sc_id} path parameter.
func scID(c echo.Context) (int, error) {
	id, err := strconv.Atoi(c.Param("sc_id"))
	if err != nil {
		return 0, invalid(fmt.Sprintf("Wrong type, expected 'integer' for path parameter 'sc_id'"))
	}
	return id, nil
}

// loadSC reads a scheduled change, mapping absence to notFound.
func loadSC(tx *gormstore.AdminTx, a scAdapter, id int, notFound error) (store.ScheduledChange, error) {
	sc, err := tx.ScheduledChange(a.family(), id)
	if errors.Is(err, store.ErrNotFound) {
		return sc, notFound
	}
	return sc, err
}
