package admin

// This file holds the "all changes" history endpoints (admin.md §11.7).

import (
	"fmt"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/balrog-go/balrog/store"
	"github.com/balrog-go/balrog/store/gormstore"
)

// historyFilter reads the common query parameters of the history endpoints.
func historyFilter(c echo.Context, defLimit int, withProductChannel bool) (store.HistoryFilter, error) {
	var f store.HistoryFilter
	page, limit, err := paging(c, defLimit)
	if err != nil {
		return f, err
	}
	f.Limit, f.Offset = limit, (page-1)*limit
	q := c.QueryParams()
	str := func(k string) *string {
		if v, ok := q[k]; ok {
			return &v[0]
		}
		return nil
	}
	if withProductChannel {
		f.Product, f.Channel = str("product"), str("channel")
	}
	f.ChangedBy = str("changed_by")
	for _, p := range []struct {
		name string
		dst  **int
	}{{"change_id", &f.ChangeID}, {"data_version", &f.DataVersion}} {
		if n, ok, err := queryInt(c, p.name, nil); err != nil {
			return f, err
		} else if ok {
			*p.dst = &n
		}
	}
	for _, p := range []struct {
		name string
		dst  **int64
	}{{"timestamp_from", &f.TimestampFrom}, {"timestamp_to", &f.TimestampTo}} {
		if v := c.QueryParam(p.name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return f, invalid(fmt.Sprintf("Wrong type, expected 'integer' for query parameter '%s'", p.name))
			}
			*p.dst = &n
		}
	}
	return f, nil
}

// permissionsHistory is GET /permissions/history.
func (s *Server) permissionsHistory(c echo.Context) error {
	if err := checkQuery(c, "page", "limit", "changed_by", "change_id", "data_version", "timestamp_from", "timestamp_to"); err != nil {
		return err
	}
	f, err := historyFilter(c, 10, false)
	if err != nil {
		return err
	}
	revs := []any{}
	total := 0
	var scHist map[string]any
	err = s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		ok, err := hasPermission(tx, user, "permission", "view", nil)
		if err != nil {
			return err
		}
		if !ok {
			return errViewOthers
		}
		rows, n, err := tx.PermissionHistory(f)
		for _, r := range rows {
			m := grantJSON(r.Permission)
			m["permission"], m["username"] = r.Permission.Permission, r.Permission.Username
			m["change_id"], m["changed_by"], m["timestamp"] = r.ChangeID, r.ChangedBy, r.Timestamp
			revs = append(revs, m)
		}
		total = n
		if err != nil {
			return err
		}
		scHist, err = scHistoryJSON(tx, scPermissions, f)
		return err
	})
	if err != nil {
		return err
	}
	return okJSON(c, map[string]any{
		"Permissions":                  map[string]any{"count": total, "revisions": revs},
		"Permissions Scheduled Change": scHist,
	})
}

// rulesHistory is GET /rules/history.
func (s *Server) rulesHistory(c echo.Context) error {
	if err := checkQuery(c, "page", "limit", "product", "channel", "changed_by", "change_id", "data_version", "timestamp_from", "timestamp_to"); err != nil {
		return err
	}
	f, err := historyFilter(c, 10, true)
	if err != nil {
		return err
	}
	revs := []any{}
	total := 0
	var scHist map[string]any
	err = s.anon(c, func(tx *gormstore.AdminTx) error {
		rows, n, err := tx.RuleHistory(nil, f)
		for _, r := range rows {
			revs = append(revs, revisionJSON(r))
		}
		total = n
		if err != nil {
			return err
		}
		scHist, err = scHistoryJSON(tx, scRules, f)
		return err
	})
	if err != nil {
		return err
	}
	return okJSON(c, map[string]any{
		"Rules":                  map[string]any{"count": total, "revisions": revs},
		"Rules scheduled change": scHist,
	})
}
