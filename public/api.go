package public

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/balrog-go/balrog/rules"
	"github.com/balrog-go/balrog/store"
)

// RuleHistorySource is the optional part of a Source that serves
// /api/v1/rules/{id}/revisions.
type RuleHistorySource interface {
	// RuleHistoryPage returns the rule's history rows with a data_version,
	// newest first, and how many there are in all.
	RuleHistoryPage(ctx context.Context, ruleID, limit, offset int) ([]store.RuleRevision, int, error)
}

var aliasPattern = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]*$`)

// apiRoutes registers the read-only /api/v1 endpoints (public.md §13). They
// read the snapshot; only release blobs and rule history come from the
// database.
func (h *Handler) apiRoutes(e *echo.Echo) {
	g := e.Group("/api/v1")
	route := func(path string, allowed []string, fn func(c echo.Context, snap *snapshot) error) {
		g.Match([]string{http.MethodGet, http.MethodHead}, path, func(c echo.Context) error {
			for name := range c.QueryParams() {
				if !slices.Contains(allowed, name) {
					return apiProblem(c, http.StatusBadRequest, "Bad Request", "Extra query parameter(s) "+name+" not in spec", "")
				}
			}
			snap := h.s.snap.Load()
			if snap == nil {
				return apiProblem(c, http.StatusServiceUnavailable, "Service Unavailable", "The update data is not available right now.", "")
			}
			return fn(c, snap)
		})
	}
	route("/releases", []string{"product", "name_prefix", "names_only"}, h.apiReleases)
	route("/releases/:release", []string{"pretty"}, h.apiRelease)
	route("/releases/:release/builds/:platform/:locale", nil, h.apiReleaseLocale)
	route("/rules", []string{"product"}, h.apiRules)
	route("/rules/:id_or_alias", nil, h.apiRule)
	route("/rules/:rule_id/revisions", []string{"page", "limit"}, h.apiRuleRevisions)
	route("/emergency_shutoff", nil, h.apiShutoffs)
	route("/emergency_shutoff/:product/:channel", nil, h.apiShutoff)
	route("/pins/:product/:channel/:version", []string{"pretty"}, h.apiPin)
}

// apiCollection writes a collection compactly with sorted keys and a final
// newline, as Flask's jsonify does.
func apiCollection(c echo.Context, v any) error {
	return c.Blob(http.StatusOK, "application/json", collectionBody(v))
}

// collectionBody is the body apiCollection writes for v.
func collectionBody(v any) []byte {
	return append(appendPy(nil, pyOf(v), pyStyle{sortKeys: true, compact: true}, 0), '\n')
}

// apiObject writes a single object as json.dumps does: ", " and ": ", or
// indented by 4 when pretty, with the X-Data-Version header.
func apiObject(c echo.Context, v pyValue, sortKeys bool, dataVersion int) error {
	st := pyStyle{sortKeys: sortKeys}
	if c.QueryParam("pretty") != "" {
		st.indent = 4
	}
	c.Response().Header().Set("X-Data-Version", strconv.Itoa(dataVersion))
	return c.Blob(http.StatusOK, "application/json", appendPy(nil, v, st, 0))
}

func apiProblem(c echo.Context, status int, title, detail, exception string) error {
	v := map[string]any{"type": "about:blank", "title": title, "detail": detail, "status": status}
	if exception != "" {
		v["exception"] = exception
	}
	body := appendPy(nil, pyOf(v), pyStyle{sortKeys: true}, 0)
	return c.Blob(status, "application/problem+json", body)
}

// ruleObject is a rule with every column, nulls included.
func ruleObject(r rules.Rule) map[string]any {
	return map[string]any{
		"rule_id": r.RuleID, "alias": r.Alias, "priority": r.Priority, "mapping": r.Mapping,
		"fallbackMapping": r.FallbackMapping, "backgroundRate": r.BackgroundRate, "update_type": r.UpdateType,
		"product": r.Product, "version": r.Version, "channel": r.Channel, "buildTarget": r.BuildTarget,
		"buildID": r.BuildID, "locale": r.Locale, "osVersion": r.OSVersion, "instructionSet": r.InstructionSet,
		"memory": r.Memory, "distribution": r.Distribution, "distVersion": r.DistVersion,
		"headerArchitecture": r.HeaderArchitecture, "mig64": r.Mig64, "jaws": r.Jaws, "comment": r.Comment,
		"data_version": r.DataVersion,
	}
}

func (h *Handler) apiReleases(c echo.Context, snap *snapshot) error {
	product, prefix := c.QueryParam("product"), c.QueryParam("name_prefix")
	if c.QueryParam("names_only") != "" {
		return apiCollection(c, map[string]any{"names": releaseNames(snap, product, prefix)})
	}
	if product == "" && prefix == "" {
		// The whole listing is made once per snapshot.
		l := &snap.releaseListing
		l.once.Do(func() { l.body = collectionBody(releaseList(snap, releaseNames(snap, "", ""))) })
		return c.Blob(http.StatusOK, "application/json", l.body)
	}
	return c.Blob(http.StatusOK, "application/json", collectionBody(releaseList(snap, releaseNames(snap, product, prefix))))
}

// releaseNames are the names of the snapshot's releases of product (any
// when empty) that start with prefix, in the listing's order.
func releaseNames(snap *snapshot, product, prefix string) []string {
	var names []string
	for _, name := range snap.releaseOrder {
		info := snap.releases[name]
		if (product == "" || info.Product == product) && strings.HasPrefix(name, prefix) {
			names = append(names, name)
		}
	}
	return names
}

// releaseList is the body of /api/v1/releases for names: each release with
// the rules that map to it (mapping or fallbackMapping).
func releaseList(snap *snapshot, names []string) map[string]any {
	byMapping := map[string][]int{}
	ruleInfo := map[int]map[string]any{}
	for _, r := range snap.rules {
		info := map[string]any{"product": r.Product, "channel": r.Channel}
		for _, m := range []*string{r.Mapping, r.FallbackMapping} {
			if m != nil && !slices.Contains(byMapping[*m], r.RuleID) {
				byMapping[*m] = append(byMapping[*m], r.RuleID)
				ruleInfo[r.RuleID] = info
			}
		}
	}
	releases := make([]any, 0, len(names))
	for _, name := range names {
		info := snap.releases[name]
		ids := byMapping[name]
		sort.Ints(ids)
		ri := map[string]any{}
		for _, id := range ids {
			ri[strconv.Itoa(id)] = ruleInfo[id]
		}
		releases = append(releases, map[string]any{
			"name": name, "product": info.Product, "data_version": info.DataVersion,
			"read_only": info.ReadOnly, "rule_ids": ids, "rule_info": ri,
		})
	}
	return map[string]any{"releases": releases}
}

// loadRelease reads a release's stored blob for the API.
func (h *Handler) loadRelease(c echo.Context, snap *snapshot, name string) (pyValue, store.ReleaseInfo, error) {
	info, ok := snap.releases[name]
	if !ok {
		return pyValue{}, info, store.ErrNotFound
	}
	rel, err := h.s.src.Release(c.Request().Context(), name)
	if err != nil {
		return pyValue{}, info, err
	}
	v, err := parsePy(rel.Data)
	info.DataVersion = rel.DataVersion
	return v, info, err
}

func (h *Handler) apiRelease(c echo.Context, snap *snapshot) error {
	name := c.Param("release")
	if len(name) > 100 {
		return apiProblem(c, http.StatusBadRequest, "Bad Request", "'"+name+"' is too long", "")
	}
	v, info, err := h.loadRelease(c, snap, name)
	if errors.Is(err, store.ErrNotFound) {
		return apiProblem(c, http.StatusNotFound, "Not Found", "Release name: "+name+" not found", "")
	}
	if err != nil {
		return err
	}
	return apiObject(c, v, true, info.DataVersion)
}

func (h *Handler) apiReleaseLocale(c echo.Context, snap *snapshot) error {
	name, platform, locale := c.Param("release"), c.Param("platform"), c.Param("locale")
	notFound := func() error {
		return apiProblem(c, http.StatusNotFound, "Not Found", "[\"Couldn't find locale identified by: "+name+", "+platform+", "+locale+"\"]", "")
	}
	v, info, err := h.loadRelease(c, snap, name)
	if errors.Is(err, store.ErrNotFound) {
		return notFound()
	}
	if err != nil {
		return err
	}
	platforms, _ := v.get("platforms")
	p, _ := platforms.get(platform)
	locales, _ := p.get("locales")
	l, ok := locales.get(locale)
	if !ok {
		return notFound()
	}
	return apiObject(c, l, false, info.DataVersion)
}

// sortedRules orders rules as Balrog's listing: priority, version, mapping
// ascending with nulls first, then rule_id.
func sortedRules(rs []rules.Rule) []rules.Rule {
	out := slices.Clone(rs)
	cmpInt := func(a, b *int) int {
		switch {
		case a == nil && b == nil:
			return 0
		case a == nil:
			return -1
		case b == nil:
			return 1
		}
		return *a - *b
	}
	cmpStr := func(a, b *string) int {
		switch {
		case a == nil && b == nil:
			return 0
		case a == nil:
			return -1
		case b == nil:
			return 1
		}
		return strings.Compare(*a, *b)
	}
	slices.SortStableFunc(out, func(a, b rules.Rule) int {
		if c := cmpInt(a.Priority, b.Priority); c != 0 {
			return c
		}
		if c := cmpStr(a.Version, b.Version); c != 0 {
			return c
		}
		if c := cmpStr(a.Mapping, b.Mapping); c != 0 {
			return c
		}
		return a.RuleID - b.RuleID
	})
	return out
}

func (h *Handler) apiRules(c echo.Context, snap *snapshot) error {
	product := c.QueryParam("product")
	list := []any{}
	for _, r := range sortedRules(snap.rules) {
		if product != "" && (r.Product == nil || *r.Product != product) {
			continue
		}
		list = append(list, ruleObject(r))
	}
	return apiCollection(c, map[string]any{"count": len(list), "rules": list})
}

func findRule(snap *snapshot, idOrAlias string) (rules.Rule, bool) {
	byAlias := aliasPattern.MatchString(idOrAlias)
	id, _ := strconv.Atoi(idOrAlias)
	for _, r := range snap.rules {
		if byAlias && r.Alias != nil && *r.Alias == idOrAlias || !byAlias && r.RuleID == id {
			return r, true
		}
	}
	return rules.Rule{}, false
}

func (h *Handler) apiRule(c echo.Context, snap *snapshot) error {
	r, ok := findRule(snap, c.Param("id_or_alias"))
	if !ok {
		return apiProblem(c, http.StatusNotFound, "Not Found", "Requested rule wasn't found", "Requested rule does not exist")
	}
	return apiObject(c, pyOf(ruleObject(r)), true, r.DataVersion)
}

func positiveParam(c echo.Context, name string, def int) (int, bool) {
	s := c.QueryParam(name)
	if s == "" {
		return def, true
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 1
}

func (h *Handler) apiRuleRevisions(c echo.Context, snap *snapshot) error {
	id, err := strconv.Atoi(c.Param("rule_id"))
	page, okPage := positiveParam(c, "page", 1)
	limit, okLimit := positiveParam(c, "limit", 10)
	if err != nil || id < 0 || !okPage || !okLimit {
		return apiProblem(c, http.StatusBadRequest, "Bad Request", "rule_id, page and limit must be integers (page and limit at least 1)", "")
	}
	if _, ok := findRule(snap, strconv.Itoa(id)); !ok {
		return c.Blob(http.StatusNotFound, "text/html; charset=utf-8", []byte("Requested rule does not exist"))
	}
	src, ok := h.s.src.(RuleHistorySource)
	if !ok {
		return apiProblem(c, http.StatusNotFound, "Not Found", "Rule history is not available", "")
	}
	revs, total, err := src.RuleHistoryPage(c.Request().Context(), id, limit, limit*(page-1))
	if err != nil {
		return err
	}
	list := make([]any, 0, len(revs))
	for _, rev := range revs {
		obj := ruleObject(rev.Rule)
		obj["change_id"] = rev.ChangeID
		obj["changed_by"] = rev.ChangedBy
		obj["timestamp"] = rev.Timestamp
		list = append(list, obj)
	}
	return apiCollection(c, map[string]any{"count": total, "rules": list})
}

func shutoffObject(s rules.Shutoff) map[string]any {
	return map[string]any{"product": s.Product, "channel": s.Channel, "comment": s.Comment, "data_version": s.DataVersion}
}

func (h *Handler) apiShutoffs(c echo.Context, snap *snapshot) error {
	list := make([]any, 0, len(snap.shutoffs))
	for _, s := range snap.shutoffs {
		list = append(list, shutoffObject(s))
	}
	return apiCollection(c, map[string]any{"count": len(list), "shutoffs": list})
}

func (h *Handler) apiShutoff(c echo.Context, snap *snapshot) error {
	product, channel := c.Param("product"), c.Param("channel")
	for _, s := range snap.shutoffs {
		if s.Product == product && s.Channel == channel {
			return apiObject(c, pyOf(shutoffObject(s)), true, s.DataVersion)
		}
	}
	return apiProblem(c, http.StatusNotFound, "Not Found", "Requested emergency shutoff wasn't found", "Requested shutoff does not exist")
}

func (h *Handler) apiPin(c echo.Context, snap *snapshot) error {
	product, channel, version := c.Param("product"), c.Param("channel"), c.Param("version")
	for _, p := range snap.pins {
		if p.Product == product && p.Channel == channel && p.Version == version {
			obj := map[string]any{"product": p.Product, "channel": p.Channel, "version": p.Version, "mapping": p.Mapping, "data_version": p.DataVersion}
			return apiObject(c, pyOf(obj), true, p.DataVersion)
		}
	}
	return apiProblem(c, http.StatusNotFound, "Not Found", "Pin for Product='"+product+"', Channel='"+channel+"', Version='"+version+"' not found", "")
}
