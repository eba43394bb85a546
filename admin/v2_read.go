package admin

import (
	"errors"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/balrog-go/balrog/rules"
	"github.com/balrog-go/balrog/store"
	"github.com/balrog-go/balrog/store/gormstore"
)

// v2List is GET /v2/releases: every v2 release with its rules, signoff
// requirements and pending changes, or only the names.
func (s *Server) v2List(c echo.Context) error {
	if err := checkQuery(c, "names_only"); err != nil {
		return err
	}
	namesOnly := c.QueryParam("names_only") != ""
	var out any
	err := s.anon(c, func(tx *gormstore.AdminTx) error {
		infos, err := tx.ListReleasesJSON()
		if err != nil {
			return err
		}
		if namesOnly {
			names := make([]string, len(infos))
			for i, r := range infos {
				names[i] = r.Name
			}
			out = names
			return nil
		}
		all, err := tx.ListRules(nil)
		if err != nil {
			return err
		}
		list := []any{}
		for _, r := range infos {
			info := map[string]any{}
			for _, rule := range all {
				if (rule.Mapping != nil && *rule.Mapping == r.Name) || (rule.FallbackMapping != nil && *rule.FallbackMapping == r.Name) {
					info[strconv.Itoa(rule.RuleID)] = map[string]any{"product": rule.Product, "channel": rule.Channel}
				}
			}
			req, err := releaseSignoffs(tx, r.Name)
			if err != nil {
				return err
			}
			prod, err := productWideSignoffs(tx, r.Product)
			if err != nil {
				return err
			}
			base, assets, err := pendingV2(tx, r.Name)
			if err != nil {
				return err
			}
			scs := []any{}
			for _, ch := range v2Changes(base, assets) {
				m := scJSON(scV2Base, ch.sc)
				delete(m, "data")
				signoffs, err := tx.Signoffs(ch.a.family(), ch.sc.ScID)
				if err != nil {
					return err
				}
				m["signoffs"] = signoffsJSON(signoffs)
				scs = append(scs, m)
			}
			list = append(list, map[string]any{"name": r.Name, "product": r.Product, "data_version": r.DataVersion,
				"read_only": r.ReadOnly, "rule_info": info, "required_signoffs": req, "product_required_signoffs": prod,
				"scheduled_changes": scs})
		}
		out = map[string]any{"releases": list}
		return nil
	})
	if err != nil {
		return err
	}
	return okJSON(c, out)
}

// v2Change is one pending change of a v2 release with its family. Base
// and asset changes are numbered independently (sc_id 1 may be both), so an
// sc_id alone does not tell which table a change is in.
type v2Change struct {
	a  scAdapter
	sc store.ScheduledChange
}

// v2Changes lists the base changes, then the asset changes, each with its
// family.
func v2Changes(base, assets []store.ScheduledChange) []v2Change {
	out := make([]v2Change, 0, len(base)+len(assets))
	for _, sc := range base {
		out = append(out, v2Change{scV2Base, sc})
	}
	for _, sc := range assets {
		out = append(out, v2Change{scV2Assets, sc})
	}
	return out
}

// v2Get is GET /v2/releases/{name}: the assembled blob and its versions,
// and the same as they will be after the pending changes.
func (s *Server) v2Get(c echo.Context) error {
	name := c.Param("name")
	var out map[string]any
	err := s.anon(c, func(tx *gormstore.AdminTx) error {
		base, assets, err := pendingV2(tx, name)
		if err != nil {
			return err
		}
		r, err := loadV2(tx, name)
		if errors.Is(err, store.ErrNotFound) && len(base)+len(assets) == 0 {
			return v2NotFound()
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		out = map[string]any{"blob": map[string]any{}, "data_versions": map[string]any{}, "sc_blob": map[string]any{}, "sc_data_versions": map[string]any{}}
		data, stored := map[string]any{}, map[string]any{}
		if r != nil {
			out["blob"], out["data_versions"] = r.blob(), r.tree()
			data, stored = deepCopy(r.data).(map[string]any), assetMap(r.assets)
		}
		if len(base)+len(assets) == 0 {
			return nil
		}
		var scBase any
		scAssets := map[string]any{}
		for _, sc := range base {
			if sc.ChangeType == "delete" {
				return nil
			}
			data, _ = decodeJSON([]byte(strOf(sc.Base["data"]))).(map[string]any)
			scBase = sc.DataVersion
		}
		for _, sc := range assets {
			path := strOf(sc.Base["path"])
			if sc.ChangeType == "delete" {
				delete(stored, path)
			} else {
				stored[path] = decodeJSON([]byte(strOf(sc.Base["data"])))
			}
			scAssets[path] = sc.DataVersion
		}
		out["sc_blob"], out["sc_data_versions"] = assemble(data, stored), versionTree(scBase, scAssets)
		return nil
	})
	if err != nil {
		return err
	}
	return okJSON(c, out)
}

// v2DataVersions is GET /v2/releases/{name}/data_versions.
func (s *Server) v2DataVersions(c echo.Context) error {
	var out map[string]any
	err := s.anon(c, func(tx *gormstore.AdminTx) error {
		r, err := loadV2(tx, c.Param("name"))
		if errors.Is(err, store.ErrNotFound) {
			return v2NotFound()
		} else if err != nil {
			return err
		}
		out = map[string]any{"data_versions": r.tree()}
		return nil
	})
	if err != nil {
		return err
	}
	return okJSON(c, out)
}

// v2AssetVersion is GET /v2/releases/{name}/{path}/data_version.
func (s *Server) v2AssetVersion(c echo.Context) error {
	var version int
	err := s.anon(c, func(tx *gormstore.AdminTx) error {
		r, err := loadV2(tx, c.Param("name"))
		if errors.Is(err, store.ErrNotFound) {
			return v2NotFound()
		} else if err != nil {
			return err
		}
		for _, a := range r.assets {
			if a.Path == c.Param("path") {
				version = a.DataVersion
				return nil
			}
		}
		return v2NotFound()
	})
	if err != nil {
		return err
	}
	return okJSON(c, map[string]int{"data_version": version})
}

// v2GetPin is GET /v2/pins/{product}/{channel}/{version}.
func (s *Server) v2GetPin(c echo.Context) error {
	var pin rules.Pin
	err := s.anon(c, func(tx *gormstore.AdminTx) error {
		var err error
		pin, err = tx.Pin(c.Param("product"), c.Param("channel"), c.Param("version"))
		if errors.Is(err, store.ErrNotFound) {
			return notFound("Pin does not exist", nil)
		}
		return err
	})
	if err != nil {
		return err
	}
	return okJSON(c, pin)
}
