package admin

import (
	"fmt"

	"github.com/balrog-go/balrog/rules"
	"github.com/balrog-go/balrog/store"
	"github.com/balrog-go/balrog/store/gormstore"
)

// The rule operations below are shared by the direct endpoints (no
// signoffs) and by the enactment of scheduled changes (the change's
// signoffs, acting as its scheduler: tx.User).

// insertRuleAs creates a rule after the rule/create and signoff checks.
func insertRuleAs(tx *gormstore.AdminTx, r rules.Rule, signoffs []store.Signoff) (int, error) {
	if err := ruleCreateGates(tx, r, signoffs); err != nil {
		return 0, err
	}
	return tx.InsertRule(r)
}

// ruleCreateGates are the permission and signoff checks of a rule
// insertion (the impact preview reports them instead of stopping).
func ruleCreateGates(tx *gormstore.AdminTx, r rules.Rule, signoffs []store.Signoff) error {
	if err := checkRuleCreate(tx, r); err != nil {
		return err
	}
	req, err := ruleRequirements(tx, r)
	if err != nil {
		return err
	}
	return verifySignoffs(req, signoffs)
}

// checkRuleCreate is the permission check of a rule insertion.
func checkRuleCreate(tx *gormstore.AdminTx, r rules.Rule) error {
	return requirePermission(tx, tx.User, "rule", "create", r.Product,
		fmt.Sprintf("%s is not allowed to create new rules for product %s", tx.User, pyOpt(r.Product)))
}

// checkRuleModify is the permission check of a rule modification: the
// current product and, when it changes, the new one.
func checkRuleModify(tx *gormstore.AdminTx, cur rules.Rule, next *rules.Rule) error {
	if err := requirePermission(tx, tx.User, "rule", "modify", cur.Product,
		fmt.Sprintf("%s is not allowed to modify rules for product %s", tx.User, pyOpt(cur.Product))); err != nil {
		return err
	}
	if next != nil && next.Product != nil && !equalOpt(cur.Product, next.Product) {
		return requirePermission(tx, tx.User, "rule", "modify", next.Product,
			fmt.Sprintf("%s is not allowed to modify rules for product %s", tx.User, pyOpt(next.Product)))
	}
	return nil
}

// checkRuleDelete is the permission check of a rule deletion.
func checkRuleDelete(tx *gormstore.AdminTx, cur rules.Rule) error {
	return requirePermission(tx, tx.User, "rule", "delete", cur.Product,
		fmt.Sprintf("%s is not allowed to delete rules for product %s", tx.User, pyOpt(cur.Product)))
}

// updateRuleAs replaces rule cur by next, guarded by version, after the
// permission and signoff checks, and merges the change into the rule's
// pending scheduled changes (admin.md §8.6).
func updateRuleAs(tx *gormstore.AdminTx, cur, next rules.Rule, version int, signoffs []store.Signoff) (int, error) {
	if err := ruleModifyGates(tx, cur, next, signoffs); err != nil {
		return 0, err
	}
	return writeRuleUpdate(tx, cur, next, version)
}

// ruleModifyGates are the permission and signoff checks of a rule update.
func ruleModifyGates(tx *gormstore.AdminTx, cur, next rules.Rule, signoffs []store.Signoff) error {
	if err := checkRuleModify(tx, cur, &next); err != nil {
		return err
	}
	req, err := ruleRequirements(tx, cur, next)
	if err != nil {
		return err
	}
	return verifySignoffs(req, signoffs)
}

// writeRuleUpdate is updateRuleAs after its gates.
func writeRuleUpdate(tx *gormstore.AdminTx, cur, next rules.Rule, version int) (int, error) {
	pk := map[string]any{"rule_id": int64(cur.RuleID)}
	cur.DataVersion, next.DataVersion = version, version+1
	if err := checkMergeable(tx, scRules, pk, ruleMap(cur), ruleMap(next)); err != nil {
		return 0, err
	}
	n, err := tx.UpdateRule(next, version)
	if err != nil {
		return 0, err
	}
	if err := mergePending(tx, scRules, pk, ruleMap(cur), ruleMap(next)); err != nil {
		return 0, err
	}
	return n, nil
}

// deleteRuleAs deletes rule cur, guarded by version, after the permission
// and signoff checks; a rule with a pending scheduled change cannot go.
func deleteRuleAs(tx *gormstore.AdminTx, cur rules.Rule, version int, signoffs []store.Signoff) error {
	if err := ruleDeleteGates(tx, cur, signoffs); err != nil {
		return err
	}
	return writeRuleDelete(tx, cur, version)
}

// ruleDeleteGates are the permission and signoff checks of a rule deletion.
func ruleDeleteGates(tx *gormstore.AdminTx, cur rules.Rule, signoffs []store.Signoff) error {
	if err := checkRuleDelete(tx, cur); err != nil {
		return err
	}
	req, err := ruleRequirements(tx, cur)
	if err != nil {
		return err
	}
	return verifySignoffs(req, signoffs)
}

// writeRuleDelete is deleteRuleAs after its gates.
func writeRuleDelete(tx *gormstore.AdminTx, cur rules.Rule, version int) error {
	if err := refuseIfScheduled(tx, scRules, map[string]any{"rule_id": int64(cur.RuleID)}); err != nil {
		return err
	}
	return tx.DeleteRule(cur.RuleID, version)
}

// ruleMap is a rule as base columns of its scheduled-change table.
func ruleMap(r rules.Rule) map[string]any {
	m := map[string]any{}
	str := func(k string, v *string) {
		if v == nil {
			m[k] = nil
		} else {
			m[k] = *v
		}
	}
	num := func(k string, v *int) {
		if v == nil {
			m[k] = nil
		} else {
			m[k] = int64(*v)
		}
	}
	boolean := func(k string, v *bool) {
		if v == nil {
			m[k] = nil
		} else {
			m[k] = *v
		}
	}
	if r.RuleID != 0 {
		m["rule_id"] = int64(r.RuleID)
	} else {
		m["rule_id"] = nil
	}
	str("alias", r.Alias)
	num("priority", r.Priority)
	str("mapping", r.Mapping)
	str("fallbackMapping", r.FallbackMapping)
	num("backgroundRate", r.BackgroundRate)
	if r.UpdateType == "" {
		m["update_type"] = nil
	} else {
		m["update_type"] = r.UpdateType
	}
	str("product", r.Product)
	str("version", r.Version)
	str("channel", r.Channel)
	str("buildTarget", r.BuildTarget)
	str("buildID", r.BuildID)
	str("locale", r.Locale)
	str("osVersion", r.OSVersion)
	str("memory", r.Memory)
	str("instructionSet", r.InstructionSet)
	boolean("jaws", r.Jaws)
	boolean("mig64", r.Mig64)
	str("distribution", r.Distribution)
	str("distVersion", r.DistVersion)
	str("headerArchitecture", r.HeaderArchitecture)
	str("comment", r.Comment)
	if r.DataVersion != 0 {
		m["data_version"] = int64(r.DataVersion)
	} else {
		m["data_version"] = nil
	}
	return m
}

// ruleFromMap is the inverse of ruleMap.
func ruleFromMap(m map[string]any) rules.Rule {
	str := func(k string) *string {
		if s, ok := m[k].(string); ok {
			return &s
		}
		return nil
	}
	num := func(k string) *int {
		if n, ok := m[k].(int64); ok {
			i := int(n)
			return &i
		}
		return nil
	}
	boolean := func(k string) *bool {
		if b, ok := m[k].(bool); ok {
			return &b
		}
		return nil
	}
	r := rules.Rule{
		Alias: str("alias"), Priority: num("priority"), Mapping: str("mapping"), FallbackMapping: str("fallbackMapping"),
		BackgroundRate: num("backgroundRate"), Product: str("product"), Version: str("version"), Channel: str("channel"),
		BuildTarget: str("buildTarget"), BuildID: str("buildID"), Locale: str("locale"), OSVersion: str("osVersion"),
		Memory: str("memory"), InstructionSet: str("instructionSet"), Jaws: boolean("jaws"), Mig64: boolean("mig64"),
		Distribution: str("distribution"), DistVersion: str("distVersion"), HeaderArchitecture: str("headerArchitecture"),
		Comment: str("comment"),
	}
	if p := num("rule_id"); p != nil {
		r.RuleID = *p
	}
	if p := num("data_version"); p != nil {
		r.DataVersion = *p
	}
	if s := str("update_type"); s != nil {
		r.UpdateType = *s
	}
	return r
}
