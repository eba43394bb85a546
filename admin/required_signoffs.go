package admin

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/balrog-go/balrog/rules"
	"github.com/balrog-go/balrog/store"
	"github.com/balrog-go/balrog/store/gormstore"
)

// signoffKind describes one of the two required-signoff endpoints families.
type signoffKind struct {
	table      gormstore.SignoffTable
	hasChannel bool
	// historyKey and scHistoryKey are the keys of the history answer.
	historyKey, scHistoryKey string
}

var (
	productSignoffs = signoffKind{gormstore.ProductSignoffTable, true,
		"Product Required Signoffs", "Product Required Signoffs Scheduled Change"}
	permissionsSignoffs = signoffKind{gormstore.PermissionsSignoffTable, false,
		"Permissions Required Signoffs", "Permissions Required Signoffs Scheduled Change"}
)

// signoffJSON renders a required-signoff row.
func (k signoffKind) signoffJSON(rs store.RequiredSignoff) map[string]any {
	m := map[string]any{"product": rs.Product, "role": rs.Role, "signoffs_required": rs.SignoffsRequired, "data_version": rs.DataVersion}
	if k.hasChannel {
		m["channel"] = rs.Channel
	}
	return m
}

func (s *Server) listSignoffs(k signoffKind) echo.HandlerFunc {
	return func(c echo.Context) error {
		allowed := []string{"product"}
		if k.hasChannel {
			allowed = append(allowed, "channel")
		}
		if err := checkQuery(c, allowed...); err != nil {
			return err
		}
		product, channel := optQuery(c, "product"), optQuery(c, "channel")
		out := []any{}
		err := s.anon(c, func(tx *gormstore.AdminTx) error {
			rows, err := tx.RequiredSignoffs(k.table, product, channel)
			for _, r := range rows {
				out = append(out, k.signoffJSON(r))
			}
			return err
		})
		if err != nil {
			return err
		}
		return okJSON(c, map[string]any{"count": len(out), "required_signoffs": out})
	}
}

// optQuery returns a query parameter, or nil when it is absent.
func optQuery(c echo.Context, name string) *string {
	if v, ok := c.QueryParams()[name]; ok {
		return &v[0]
	}
	return nil
}

func (s *Server) createSignoff(k signoffKind) echo.HandlerFunc {
	return func(c echo.Context) error {
		b, err := readBody(c)
		if err != nil {
			return err
		}
		fields := []string{"product", "role"}
		if k.hasChannel {
			fields = []string{"product", "channel", "role"}
		}
		var rs store.RequiredSignoff
		for _, f := range append(fields, "signoffs_required") {
			if !b.has(f) {
				return invalid(fmt.Sprintf("'%s' is a required property", f))
			}
		}
		for _, f := range fields {
			v, _, err := optString(b, f, true)
			if err != nil {
				return err
			}
			if v == nil {
				return invalid(fmt.Sprintf("%s: None is not of type 'string'", f))
			}
			switch f {
			case "product":
				rs.Product = *v
			case "channel":
				rs.Channel = *v
			case "role":
				rs.Role = *v
			}
		}
		if rs.SignoffsRequired, err = (intParam{name: "signoffs_required", min: bound(1)}).required(b); err != nil {
			return err
		}
		err = s.authed(c, func(tx *gormstore.AdminTx, user string) error {
			if err := checkSignoffPermission(tx, "create"); err != nil {
				return err
			}
			if err := checkHolders(tx, k, rs, true); err != nil {
				return err
			}
			if _, exists, err := findSignoff(tx, k, rs); err != nil {
				return err
			} else if exists {
				return signoffRequired("Required Signoffs cannot be directly modified")
			}
			return insertSignoffAs(tx, k, rs, nil)
		})
		if err != nil {
			return err
		}
		return writeJSON(c, http.StatusCreated, ctHTML, map[string]int{"new_data_version": 1})
	}
}

// deleteSignoff is the direct DELETE, which Balrog always refuses.
func (s *Server) deleteSignoff(c echo.Context) error {
	return signoffRequired("Required Signoffs cannot be directly deleted.")
}

func (s *Server) signoffRevisions(k signoffKind) echo.HandlerFunc {
	return func(c echo.Context) error {
		allowed := []string{"product", "role", "page", "limit"}
		if k.hasChannel {
			allowed = append(allowed, "channel")
		}
		if err := checkQuery(c, allowed...); err != nil {
			return err
		}
		for _, p := range []string{"product", "role"} {
			if optQuery(c, p) == nil {
				return invalid(fmt.Sprintf("Missing query parameter '%s'", p))
			}
		}
		f, err := historyFilter(c, 100, k.hasChannel)
		if err != nil {
			return err
		}
		f.Product = optQuery(c, "product")
		revs := []any{}
		total := 0
		err = s.anon(c, func(tx *gormstore.AdminTx) error {
			rows, n, err := tx.RequiredSignoffHistory(k.table, optQuery(c, "role"), f)
			for _, r := range rows {
				revs = append(revs, k.revisionJSON(r))
			}
			total = n
			if err == nil && n == 0 {
				return notFound("Requested Required Signoff does not exist", nil)
			}
			return err
		})
		if err != nil {
			return err
		}
		return okJSON(c, map[string]any{"count": total, "required_signoffs": revs})
	}
}

func (k signoffKind) revisionJSON(r gormstore.SignoffRevision) map[string]any {
	m := k.signoffJSON(r.Signoff)
	m["change_id"], m["changed_by"], m["timestamp"] = r.ChangeID, r.ChangedBy, r.Timestamp
	return m
}

func (s *Server) signoffHistory(k signoffKind) echo.HandlerFunc {
	return func(c echo.Context) error {
		allowed := []string{"page", "limit", "changed_by", "change_id", "data_version", "timestamp_from", "timestamp_to", "role"}
		if k.hasChannel {
			allowed = append(allowed, "product", "channel")
		}
		if err := checkQuery(c, allowed...); err != nil {
			return err
		}
		f, err := historyFilter(c, 100, k.hasChannel)
		if err != nil {
			return err
		}
		revs := []any{}
		total := 0
		var scHist map[string]any
		err = s.anon(c, func(tx *gormstore.AdminTx) error {
			rows, n, err := tx.RequiredSignoffHistory(k.table, optQuery(c, "role"), f)
			for _, r := range rows {
				revs = append(revs, k.revisionJSON(r))
			}
			total = n
			if err != nil {
				return err
			}
			scHist, err = scHistoryJSON(tx, signoffsSC{k}, f)
			return err
		})
		if err != nil {
			return err
		}
		return okJSON(c, map[string]any{
			k.historyKey:   map[string]any{"count": total, "required_signoffs": revs},
			k.scHistoryKey: scHist,
		})
	}
}

// releaseSignoffs is the requirement of a change to a release: that of
// every rule whose mapping or fallbackMapping names it (admin.md §7.2).
func releaseSignoffs(tx *gormstore.AdminTx, name string) (requirements, error) {
	all, err := tx.ListRules(nil)
	if err != nil {
		return nil, err
	}
	var mapped []rules.Rule
	for _, r := range all {
		if (r.Mapping != nil && *r.Mapping == name) || (r.FallbackMapping != nil && *r.FallbackMapping == name) {
			mapped = append(mapped, r)
		}
	}
	return ruleRequirements(tx, mapped...)
}

func (s *Server) releaseReadOnlySignoffs(c echo.Context) error {
	name := c.Param("name")
	var rs requirements
	err := s.anon(c, func(tx *gormstore.AdminTx) error {
		r, err := tx.Release(name)
		if err != nil {
			return releaseLookupErr(name, err)
		}
		rs, err = productWideSignoffs(tx, r.Product)
		return err
	})
	if err != nil {
		return err
	}
	return okJSON(c, map[string]any{"required_signoffs": rs})
}

// productWideSignoffs is the largest signoffs_required per role of the
// product required signoffs of product, across all channels.
func productWideSignoffs(tx *gormstore.AdminTx, product string) (requirements, error) {
	rows, err := tx.ProductSignoffs(product)
	if err != nil {
		return nil, err
	}
	out := requirements{}
	for _, r := range rows {
		out[r.Role] = max(out[r.Role], r.SignoffsRequired)
	}
	return out, nil
}

// requireReadWriteSignoffs refuses a direct read-only → read-write flip of a
// release protected by required signoffs: the rule-based requirement, else
// the product-wide one (admin.md §9.2).
func requireReadWriteSignoffs(tx *gormstore.AdminTx, r store.Release, signoffs []store.Signoff) error {
	rs, err := readWriteRequirements(tx, r)
	if err != nil {
		return err
	}
	return verifySignoffs(rs, signoffs)
}

// readWriteRequirements is the requirement of a read-only → read-write flip.
func readWriteRequirements(tx *gormstore.AdminTx, r store.Release) (requirements, error) {
	rs, err := releaseSignoffs(tx, r.Name)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return productWideSignoffs(tx, r.Product)
	}
	return rs, nil
}
