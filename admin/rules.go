package admin

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/balrog-go/balrog/rules"
	"github.com/balrog-go/balrog/store"
	"github.com/balrog-go/balrog/store/gormstore"
)

// aliasRE is the pattern of rule aliases (and of alias path segments).
var aliasRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]*$`)

// ruleNotFound is the 404 of the single-rule routes.
func ruleNotFound() *Problem {
	return notFound("Requested rule wasn't found", "Requested rule does not exist")
}

// ruleStringFields are the nullable string columns a rule body may set, with
// whether they are declared ascii.
var ruleStringFields = []struct {
	name  string
	ascii bool
	field func(*rules.Rule) **string
}{
	{"alias", true, func(r *rules.Rule) **string { return &r.Alias }},
	{"mapping", true, func(r *rules.Rule) **string { return &r.Mapping }},
	{"fallbackMapping", true, func(r *rules.Rule) **string { return &r.FallbackMapping }},
	{"product", true, func(r *rules.Rule) **string { return &r.Product }},
	{"version", true, func(r *rules.Rule) **string { return &r.Version }},
	{"channel", true, func(r *rules.Rule) **string { return &r.Channel }},
	{"buildTarget", true, func(r *rules.Rule) **string { return &r.BuildTarget }},
	{"buildID", true, func(r *rules.Rule) **string { return &r.BuildID }},
	{"locale", true, func(r *rules.Rule) **string { return &r.Locale }},
	{"osVersion", true, func(r *rules.Rule) **string { return &r.OSVersion }},
	{"memory", true, func(r *rules.Rule) **string { return &r.Memory }},
	{"instructionSet", true, func(r *rules.Rule) **string { return &r.InstructionSet }},
	{"distribution", true, func(r *rules.Rule) **string { return &r.Distribution }},
	{"distVersion", true, func(r *rules.Rule) **string { return &r.DistVersion }},
	{"headerArchitecture", true, func(r *rules.Rule) **string { return &r.HeaderArchitecture }},
	{"comment", false, func(r *rules.Rule) **string { return &r.Comment }},
}

var (
	priorityParam       = intParam{name: "priority", min: bound(0)}
	backgroundRateParam = intParam{name: "backgroundRate", min: bound(0), max: bound(100)}
	dataVersionParam    = intParam{name: "data_version", min: bound(1)}
)

// applyRuleBody validates the rule fields present in b and sets them on r,
// normalised as Balrog does: strings trimmed, blank strings null, all
// whitespace removed from locale and distribution.
func applyRuleBody(r *rules.Rule, b body) error {
	for _, f := range ruleStringFields {
		v, present, err := optString(b, f.name, f.ascii)
		if err != nil {
			return err
		}
		if !present {
			continue
		}
		if v != nil {
			if err := checkRuleFormat(f.name, *v); err != nil {
				return err
			}
			s := strings.TrimSpace(*v)
			if f.name == "locale" || f.name == "distribution" {
				s = strings.Join(strings.Fields(s), "")
			}
			if s == "" {
				v = nil
			} else {
				v = &s
			}
		}
		*f.field(r) = v
	}
	if b.has("update_type") {
		switch v := b["update_type"].(type) {
		case string:
			if v != "minor" && v != "major" {
				return invalid(fmt.Sprintf("update_type: %s is not one of ['major', 'minor']", pyRepr(v)))
			}
			r.UpdateType = v
		default:
			return invalid(fmt.Sprintf("update_type: %s is not of type 'string'", pyRepr(v)))
		}
	}
	for _, p := range []struct {
		param intParam
		dst   **int
	}{{priorityParam, &r.Priority}, {backgroundRateParam, &r.BackgroundRate}} {
		n, ok, err := p.param.get(b)
		if err != nil {
			return err
		}
		if ok {
			*p.dst = &n
		} else if b.has(p.param.name) {
			*p.dst = nil
		}
	}
	for _, f := range []struct {
		name string
		dst  **bool
	}{{"jaws", &r.Jaws}, {"mig64", &r.Mig64}} {
		v, present := b[f.name]
		if !present {
			continue
		}
		switch x := v.(type) {
		case nil:
			*f.dst = nil
		case bool:
			*f.dst = &x
		default:
			return invalid(fmt.Sprintf("%s: %s is not of type 'boolean', 'null'", f.name, pyRepr(v)))
		}
	}
	return nil
}

// checkRuleFormat applies the custom string formats of rule fields.
func checkRuleFormat(name, v string) error {
	switch name {
	case "alias":
		if v != "" && !aliasRE.MatchString(v) {
			return invalid(fmt.Sprintf("alias: %s does not match '(^[a-zA-Z][a-zA-Z0-9-]*$|^$)'", pyStr(v)))
		}
	case "version":
		return checkVersionFormat(v)
	case "buildID":
		s := strings.TrimLeft(v, "<>=")
		if v != "" {
			if _, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err != nil {
				return invalid(fmt.Sprintf("Invalid input for buildID: must be an integer. buildID: %s is not a 'buildID'", pyStr(v)))
			}
		}
	}
	return nil
}

// checkVersionFormat is Balrog's version format: each comma-separated element
// a Mozilla version, operators only on a single version.
func checkVersionFormat(v string) error {
	if v == "" {
		return nil
	}
	parts := strings.Split(v, ",")
	for _, p := range parts {
		operand := strings.TrimLeft(p, "<>=")
		if len(parts) > 1 && operand != p {
			return invalid(fmt.Sprintf("Invalid input for %s .Relational Operators are not allowed when providing a list of versions. version: %s is not a 'version'", v, pyStr(v)))
		}
		if _, err := rules.ParseMozillaVersion(operand); err != nil {
			return invalid(fmt.Sprintf("Invalid input for %s .Not a valid version. version: %s is not a 'version'", v, pyStr(v)))
		}
	}
	return nil
}

// checkMappings refuses a rule whose mapping is null or names no release.
func checkMappings(tx *gormstore.AdminTx, r rules.Rule) error {
	if r.Mapping == nil {
		return badRequest("mapping value cannot be set to null/empty")
	}
	for _, m := range []struct {
		name string
		v    *string
	}{{"mapping", r.Mapping}, {"fallbackMapping", r.FallbackMapping}} {
		if m.v == nil {
			continue
		}
		ok, err := tx.ReleaseNameExists(*m.v)
		if err != nil {
			return err
		}
		if !ok {
			return badRequest(fmt.Sprintf("Invalid %s value. No release name found in DB", m.name))
		}
	}
	return nil
}

// checkAliasFree refuses an alias another rule already has: the schema's
// unique key would refuse it anyway (admin.md §11.1 asks for a 400).
func checkAliasFree(tx *gormstore.AdminTx, r rules.Rule) error {
	if r.Alias == nil {
		return nil
	}
	other, err := tx.RuleByAlias(*r.Alias)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return err
	case other.RuleID != r.RuleID:
		return badRequest("Rule with alias exists.")
	}
	return nil
}

// findRule reads the rule named by a path segment: an alias when it looks
// like one, else a numeric id.
func findRule(tx *gormstore.AdminTx, idOrAlias string) (rules.Rule, error) {
	var r rules.Rule
	var err error
	if aliasRE.MatchString(idOrAlias) {
		r, err = tx.RuleByAlias(idOrAlias)
	} else {
		id, perr := strconv.Atoi(idOrAlias)
		if perr != nil {
			return rules.Rule{}, ruleNotFound()
		}
		r, err = tx.Rule(id)
	}
	if errors.Is(err, store.ErrNotFound) {
		return rules.Rule{}, ruleNotFound()
	}
	return r, err
}

func (s *Server) listRules(c echo.Context) error {
	if err := checkQuery(c, "product", "timestamp"); err != nil {
		return err
	}
	ts, hasTS, err := queryInt(c, "timestamp", nil)
	if err != nil {
		return err
	}
	product, hasProduct := c.QueryParams()["product"]
	if hasTS && hasProduct {
		return invalid("Cannot query with a timestamp and a product at the same time")
	}
	var out []any
	err = s.anon(c, func(tx *gormstore.AdminTx) error {
		if hasTS {
			revs, err := tx.RulesAt(int64(ts))
			for _, rev := range revs {
				out = append(out, revisionJSON(rev))
			}
			return err
		}
		var p *string
		if hasProduct {
			p = &product[0]
		}
		rs, err := tx.ListRules(p)
		for _, r := range rs {
			out = append(out, r)
		}
		return err
	})
	if err != nil {
		return err
	}
	if out == nil {
		out = []any{}
	}
	return okJSON(c, map[string]any{"count": len(out), "rules": out})
}

// revisionJSON is a rules_history row as Balrog lists it.
func revisionJSON(rev store.RuleRevision) map[string]any {
	m := structMap(rev.Rule)
	m["change_id"] = rev.ChangeID
	m["changed_by"] = rev.ChangedBy
	m["timestamp"] = rev.Timestamp
	return m
}

func (s *Server) getRule(c echo.Context) error {
	var r rules.Rule
	err := s.anon(c, func(tx *gormstore.AdminTx) error {
		var err error
		r, err = findRule(tx, c.Param("id"))
		return err
	})
	if err != nil {
		return err
	}
	c.Response().Header().Set("X-Data-Version", strconv.Itoa(r.DataVersion))
	return okJSON(c, r)
}

// parseRuleCreate validates the body of POST /rules.
func parseRuleCreate(b body) (rules.Rule, error) {
	for _, k := range []string{"update_type", "backgroundRate", "priority"} {
		if !b.has(k) {
			return rules.Rule{}, invalid(fmt.Sprintf("'%s' is a required property", k))
		}
	}
	var r rules.Rule
	err := applyRuleBody(&r, b)
	return r, err
}

// checkNewRule is the validation of a new rule against the database.
func checkNewRule(tx *gormstore.AdminTx, r rules.Rule) error {
	if err := checkMappings(tx, r); err != nil {
		return err
	}
	if r.Alias != nil {
		if _, err := tx.RuleByAlias(*r.Alias); err == nil {
			return badRequest("Rule with alias exists.")
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return nil
}

func (s *Server) createRule(c echo.Context) error {
	b, err := readBody(c)
	if err != nil {
		return err
	}
	r, err := parseRuleCreate(b)
	if err != nil {
		return err
	}
	var id int
	err = s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		if err := checkNewRule(tx, r); err != nil {
			return err
		}
		id, err = insertRuleAs(tx, r, nil)
		return err
	})
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, ctHTML, []byte(strconv.Itoa(id)))
}

func equalOpt(a, b *string) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

// parseRuleUpdate validates the body of PUT /rules/:id and returns its
// data_version.
func parseRuleUpdate(b body) (int, error) {
	version, err := dataVersionParam.required(b)
	if err != nil {
		return 0, err
	}
	var probe rules.Rule
	return version, applyRuleBody(&probe, b)
}

// changedRule reads the rule idOrAlias and applies the update body b (as
// parsed by parseRuleUpdate) to it, validated against the database.
func changedRule(tx *gormstore.AdminTx, idOrAlias string, b body) (cur, next rules.Rule, err error) {
	cur, err = findRule(tx, idOrAlias)
	if err != nil {
		return cur, next, err
	}
	next = cur
	_ = applyRuleBody(&next, b)
	if b.has("mapping") && next.Mapping == nil {
		return cur, next, badRequest("mapping value cannot be set to null/empty")
	}
	if err := checkMappings(tx, next); err != nil {
		return cur, next, err
	}
	return cur, next, checkAliasFree(tx, next)
}

func (s *Server) updateRule(c echo.Context) error {
	b, err := readBody(c)
	if err != nil {
		return err
	}
	version, err := parseRuleUpdate(b)
	if err != nil {
		return err
	}
	var newVersion int
	err = s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		cur, next, err := changedRule(tx, c.Param("id"), b)
		if err != nil {
			return err
		}
		newVersion, err = updateRuleAs(tx, cur, next, version, nil)
		return err
	})
	if err != nil {
		return err
	}
	return okJSON(c, map[string]int{"new_data_version": newVersion})
}

func (s *Server) deleteRule(c echo.Context) error {
	version, err := requiredDataVersion(c)
	if err != nil {
		return err
	}
	err = s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		cur, err := findRule(tx, c.Param("id"))
		if err != nil {
			return err
		}
		return deleteRuleAs(tx, cur, version, nil)
	})
	if err != nil {
		return err
	}
	return emptyOK(c)
}

func (s *Server) ruleRevisions(c echo.Context) error {
	if err := checkQuery(c, "page", "limit"); err != nil {
		return err
	}
	page, limit, err := paging(c, 10)
	if err != nil {
		return err
	}
	id, perr := strconv.Atoi(c.Param("id"))
	var out []any
	var total int
	err = s.anon(c, func(tx *gormstore.AdminTx) error {
		if perr != nil {
			return errRuleMissingText
		}
		if _, err := tx.Rule(id); errors.Is(err, store.ErrNotFound) {
			return errRuleMissingText
		} else if err != nil {
			return err
		}
		revs, n, err := tx.RuleHistory(&id, store.HistoryFilter{Limit: limit, Offset: (page - 1) * limit})
		for _, r := range revs {
			out = append(out, revisionJSON(r))
		}
		total = n
		return err
	})
	if errors.Is(err, errRuleMissingText) {
		return c.Blob(http.StatusNotFound, ctHTML, []byte("Requested rule does not exist"))
	}
	if err != nil {
		return err
	}
	if out == nil {
		out = []any{}
	}
	return okJSON(c, map[string]any{"count": total, "rules": out})
}

// errRuleMissingText marks the plain-text 404 of the revisions listing.
var errRuleMissingText = errors.New("requested rule does not exist")

// paging reads page (>= 1, default 1) and limit (default def).
func paging(c echo.Context, def int) (page, limit int, err error) {
	page, ok, err := queryInt(c, "page", bound(1))
	if err != nil {
		return 0, 0, err
	}
	if !ok {
		page = 1
	}
	limit, ok, err = queryInt(c, "limit", bound(1))
	if err != nil {
		return 0, 0, err
	}
	if !ok {
		limit = def
	}
	return page, limit, nil
}

func (s *Server) revertRule(c echo.Context) error {
	b, err := readBody(c)
	if err != nil {
		return err
	}
	changeID, err := intParam{name: "change_id"}.required(b)
	if err != nil {
		return err
	}
	id, perr := strconv.Atoi(c.Param("id"))
	err = s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		var cur rules.Rule
		var err error
		if perr == nil {
			cur, err = tx.Rule(id)
		}
		if perr != nil || errors.Is(err, store.ErrNotFound) {
			return notFound("bad rule_id", nil)
		} else if err != nil {
			return err
		}
		rev, err := tx.RuleChange(changeID)
		if errors.Is(err, store.ErrNotFound) {
			return badRequest(fmt.Sprintf("Invalid change_id : %d passed in the request body", changeID))
		} else if err != nil {
			return err
		}
		if rev.Rule.RuleID != id {
			return badRequest("Bad rule_id passed in the request")
		}
		next := rev.Rule
		next.RuleID, next.Jaws, next.Mig64 = cur.RuleID, cur.Jaws, cur.Mig64
		if err := checkMappings(tx, next); err != nil {
			return err
		}
		_, err = updateRuleAs(tx, cur, next, cur.DataVersion, nil)
		return err
	})
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, ctHTML, []byte("Excellent!"))
}

func (s *Server) ruleColumn(c echo.Context) error {
	column := c.Param("column")
	var vals []any
	err := s.anon(c, func(tx *gormstore.AdminTx) error {
		var err error
		vals, err = tx.RuleColumn(column)
		if errors.Is(err, store.ErrNotFound) {
			return notFound("Rule column was not found", "Requested column does not exist")
		}
		return err
	})
	if err != nil {
		return err
	}
	for i, v := range vals {
		if b, ok := v.([]byte); ok {
			vals[i] = string(b)
		}
	}
	if vals == nil {
		vals = []any{}
	}
	return okJSON(c, map[string]any{"count": len(vals), column: vals})
}
