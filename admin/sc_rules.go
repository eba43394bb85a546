package admin

import (
	"errors"
	"fmt"

	"github.com/balrog-go/balrog/rules"
	"github.com/balrog-go/balrog/store"
	"github.com/balrog-go/balrog/store/gormstore"
)

// rulesSC is the scheduled-change family of the rules table.
type rulesSC struct{}

// scRules is the rules family.
var scRules scAdapter = rulesSC{}

func (rulesSC) family() gormstore.SCFamily {
	cols := map[string]gormstore.ColumnKind{}
	for k := range ruleMap(rules.Rule{}) {
		cols[k] = gormstore.KindString
	}
	for _, k := range []string{"rule_id", "priority", "backgroundRate", "data_version"} {
		cols[k] = gormstore.KindInt
	}
	cols["jaws"], cols["mig64"] = gormstore.KindBool, gormstore.KindBool
	return gormstore.SCFamily{Base: "rules", Columns: cols, Telemetry: true}
}

func (rulesSC) noun() string          { return "Rule" }
func (rulesSC) changeTypes() []string { return []string{"insert", "update", "delete"} }
func (rulesSC) listFilters() []string { return []string{"rule_id"} }
func (rulesSC) render(b map[string]any) map[string]any {
	m := map[string]any{}
	for k, v := range b {
		m[k] = v
	}
	return m
}

func (rulesSC) pk(sc store.ScheduledChange) map[string]any {
	if sc.Base["rule_id"] == nil {
		return nil
	}
	return map[string]any{"rule_id": sc.Base["rule_id"]}
}

// missingField is the "Missing field" 400 of scheduled-change bodies.
func missingField(name string) *Problem {
	return &Problem{Status: 400, Title: "Bad Request", Detail: "Missing field", Exception: name + " is missing"}
}

func (rulesSC) createBase(tx *gormstore.AdminTx, b body, ct string) (map[string]any, error) {
	ruleID, hasID, err := intParam{name: "rule_id", min: bound(0)}.get(b)
	if err != nil {
		return nil, err
	}
	dv, hasDV, err := dataVersionParam.get(b)
	if err != nil {
		return nil, err
	}
	var r rules.Rule
	if ct != "delete" {
		if err := applyRuleBody(&r, b); err != nil {
			return nil, err
		}
	}
	base := ruleMap(r)
	switch ct {
	case "insert":
		for _, k := range []string{"update_type", "backgroundRate", "priority", "mapping"} {
			if base[k] == nil {
				return nil, &Problem{Status: 400, Title: "Bad Request", Detail: "Null/Empty Value",
					Exception: k + " cannot be set to null/empty when scheduling insertion of a new rule"}
			}
		}
		base["rule_id"], base["data_version"] = nil, nil
	default:
		if !hasDV {
			return nil, missingField("data_version")
		}
		if !hasID {
			return nil, missingField("rule_id")
		}
		if ct == "update" && b.has("mapping") && base["mapping"] == nil {
			return nil, badRequest("mapping value cannot be set to null/empty")
		}
		base["rule_id"], base["data_version"] = int64(ruleID), int64(dv)
	}
	return base, nil
}

func (rulesSC) editBase(b body, sc *store.ScheduledChange) error {
	if sc.ChangeType == "delete" {
		return nil
	}
	r := ruleFromMap(sc.Base)
	if err := applyRuleBody(&r, b); err != nil {
		return err
	}
	next := ruleMap(r)
	next["rule_id"] = sc.Base["rule_id"]
	next["data_version"] = sc.Base["data_version"]
	if sc.ChangeType == "update" {
		dv, ok, err := dataVersionParam.get(b)
		if err != nil {
			return err
		}
		if !ok {
			return missingField("data_version")
		}
		next["data_version"] = int64(dv)
	}
	if b.has("mapping") && next["mapping"] == nil {
		return badRequest("mapping value cannot be set to null/empty")
	}
	sc.Base = next
	return nil
}

// current reads the rule a change targets.
func (rulesSC) current(tx *gormstore.AdminTx, sc store.ScheduledChange) (rules.Rule, error) {
	id, _ := sc.Base["rule_id"].(int64)
	cur, err := tx.Rule(int(id))
	if errors.Is(err, store.ErrNotFound) {
		return cur, badRequest("Cannot create scheduled change with data_version for non-existent row")
	}
	return cur, err
}

func (a rulesSC) validate(tx *gormstore.AdminTx, sc store.ScheduledChange) error {
	next := ruleFromMap(sc.Base)
	switch sc.ChangeType {
	case "insert":
		if err := checkMappings(tx, next); err != nil {
			return err
		}
		return checkRuleCreate(tx, next)
	case "update":
		cur, err := a.current(tx, sc)
		if err != nil {
			return err
		}
		if dv, _ := sc.Base["data_version"].(int64); int(dv) != cur.DataVersion {
			return fmt.Errorf("rule %d: %w", cur.RuleID, store.ErrOutdated)
		}
		if next.Mapping != nil || next.FallbackMapping != nil {
			probe := next
			if probe.Mapping == nil {
				probe.Mapping = cur.Mapping
			}
			if err := checkMappings(tx, probe); err != nil {
				return err
			}
		}
		return checkRuleModify(tx, cur, &next)
	default:
		cur, err := a.current(tx, sc)
		if err != nil {
			return err
		}
		return checkRuleDelete(tx, cur)
	}
}

func (a rulesSC) requirements(tx *gormstore.AdminTx, sc store.ScheduledChange) (requirements, error) {
	var affected []rules.Rule
	if sc.ChangeType != "insert" {
		if cur, err := a.current(tx, sc); err == nil {
			affected = append(affected, cur)
		}
	}
	if sc.ChangeType != "delete" {
		affected = append(affected, ruleFromMap(sc.Base))
	}
	return ruleRequirements(tx, affected...)
}

func (a rulesSC) enact(tx *gormstore.AdminTx, sc store.ScheduledChange, signoffs []store.Signoff) error {
	next := ruleFromMap(sc.Base)
	switch sc.ChangeType {
	case "insert":
		next.RuleID = 0
		_, err := insertRuleAs(tx, next, signoffs)
		return err
	case "update":
		cur, err := a.current(tx, sc)
		if err != nil {
			return err
		}
		_, err = updateRuleAs(tx, cur, next, next.DataVersion, signoffs)
		return err
	default:
		cur, err := a.current(tx, sc)
		if err != nil {
			return err
		}
		return deleteRuleAs(tx, cur, next.DataVersion, signoffs)
	}
}
