package rules

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// column names the rule column whose matcher failed (colNone: all passed).
type column int8

const (
	colNone column = iota
	colBuildTarget
	colHeaderArchitecture
	colDistVersion
	colChannel
	colVersion
	colBuildID
	colMemory
	colOSVersion
	colInstructionSet
	colDistribution
	colLocale
	colMig64
	colJaws
)

var columnNames = [...]string{
	colNone: "", colBuildTarget: "buildTarget", colHeaderArchitecture: "headerArchitecture",
	colDistVersion: "distVersion", colChannel: "channel", colVersion: "version", colBuildID: "buildID",
	colMemory: "memory", colOSVersion: "osVersion", colInstructionSet: "instructionSet",
	colDistribution: "distribution", colLocale: "locale", colMig64: "mig64", colJaws: "jaws",
}

// RuleTrace is how one rule fared against a query.
type RuleTrace struct {
	RuleID   int     `json:"rule_id"`
	Alias    *string `json:"alias"`
	Priority *int    `json:"priority"`
	Matched  bool    `json:"matched"`
	// Column names the first column that failed; nil when Matched.
	Column *string `json:"column"`
	// Reason says why, e.g. "version: client 66.0.5 is not < 60.0".
	Reason string `json:"reason"`
}

// Trace is the rule evaluation of one query, step by step.
type Trace struct {
	// Shutoff is the emergency shutoff row that stops the evaluation, nil
	// when there is none. The rules are still traced, for information.
	Shutoff *Shutoff
	// Rules are the rules of the query's product (and of no product) in
	// evaluation order: priority descending, null last, then rule_id.
	Rules []RuleTrace
	// RuleID is the highest-ranked matching rule (0 when none matches, a
	// matcher failed with an error, or a shutoff stopped the evaluation).
	RuleID int
	// TieBreak explains why RuleID won over other matching rules of the
	// same priority; "" when no tie was broken.
	TieBreak string
	// Err is the first matcher error in rule_id order, the one Evaluate
	// returns (the public role then answers an error); nil under a shutoff.
	Err error
}

// Explain evaluates q against every rule of its product with the matchers
// that Evaluate uses, recording for each rule whether it matched or the
// first column that failed and why. It does not roll the throttle dice; the
// caller's Evaluate decides that.
func (ix *Index) Explain(q *Query) Trace {
	var tr Trace
	if ix == nil || q == nil {
		return tr
	}
	tr.Shutoff = ix.shutoffRow(q.Product, q.Channel)
	fb := FallbackChannel(q.Channel)
	qv := queryVersion{raw: q.Version, loose: UsesLooseVersion(q.Product)}
	var cands []*compiledRule
	for _, cr := range ix.compiled {
		if p := cr.rule.Product; p == nil || *p == q.Product {
			cands = append(cands, cr)
		}
	}
	// Errors are raised in rule_id order (ix.compiled's order).
	cols := make(map[*compiledRule]column, len(cands))
	errs := make(map[*compiledRule]error)
	for _, cr := range cands {
		col, err := cr.mismatch(q, fb, &qv)
		cols[cr] = col
		if err != nil {
			errs[cr] = err
			if tr.Err == nil && tr.Shutoff == nil {
				tr.Err = err
			}
		}
	}
	slices.SortStableFunc(cands, func(a, b *compiledRule) int {
		if ranksBefore(a, b) {
			return -1
		}
		if ranksBefore(b, a) {
			return 1
		}
		return 0
	})
	var matched []*compiledRule
	for _, cr := range cands {
		r := cr.rule
		rt := RuleTrace{RuleID: r.RuleID, Alias: r.Alias, Priority: r.Priority}
		col := cols[cr]
		if col == colNone && errs[cr] == nil {
			rt.Matched, rt.Reason = true, "matched"
			matched = append(matched, cr)
		} else {
			name := columnNames[col]
			rt.Column = &name
			rt.Reason = name + ": " + cr.reason(col, q, fb, &qv, errs[cr])
		}
		tr.Rules = append(tr.Rules, rt)
	}
	if tr.Shutoff == nil && tr.Err == nil && len(matched) > 0 {
		tr.RuleID = matched[0].rule.RuleID
		tr.TieBreak = tieBreak(matched)
	}
	return tr
}

// tieBreak describes how the first of matched (in rank order) beat the
// others of the same priority, or "" when it had no equal.
func tieBreak(matched []*compiledRule) string {
	win := matched[0]
	ids := []string{strconv.Itoa(win.rule.RuleID)}
	for _, cr := range matched[1:] {
		if ranksBefore(win, cr) && (cr.hasPriority != win.hasPriority || cr.priority != win.priority) {
			break
		}
		ids = append(ids, strconv.Itoa(cr.rule.RuleID))
	}
	if len(ids) == 1 {
		return ""
	}
	prio := "null"
	if win.hasPriority {
		prio = strconv.Itoa(win.priority)
	}
	return fmt.Sprintf("rules %s match with the same priority %s; the lowest rule_id, %d, wins",
		strings.Join(ids, ", "), prio, win.rule.RuleID)
}

// opText spells an operator as rules write it.
var opText = [...]string{opInvalid: "?", opEq: "", opEitherEq: "", opGE: ">=", opGT: ">", opLT: "<", opLE: "<="}

// showOpt renders an optional query value: quoted, or "none".
func showOpt(p *string) string {
	if p == nil {
		return "none"
	}
	return strconv.Quote(*p)
}

// reason says why column col of cr failed for q (err is the matcher's
// error, if any).
func (cr *compiledRule) reason(col column, q *Query, fb string, qv *queryVersion, err error) string {
	r := cr.rule
	channel := strconv.Quote(q.Channel)
	if fb != q.Channel {
		channel += " (fallback " + strconv.Quote(fb) + ")"
	}
	switch col {
	case colBuildTarget:
		return fmt.Sprintf("client %q is not %q", q.BuildTarget, *r.BuildTarget)
	case colHeaderArchitecture:
		if q.HeaderArchitecture == "" {
			return fmt.Sprintf("client sends none, rule needs %q", *r.HeaderArchitecture)
		}
		return fmt.Sprintf("client %q is not %q", q.HeaderArchitecture, *r.HeaderArchitecture)
	case colDistVersion:
		return fmt.Sprintf("client %s is not %q", showOpt(q.DistVersion), *r.DistVersion)
	case colChannel:
		switch cr.chanKind {
		case chanNever:
			return fmt.Sprintf("glob %q is shorter than 3 characters and never matches", *r.Channel)
		case chanGlob:
			return fmt.Sprintf("client %s does not start with %q", channel, cr.chanValue)
		}
		return fmt.Sprintf("client %s is not %q", channel, cr.chanValue)
	case colVersion:
		return versionReason(cr.version, *r.Version, qv, err)
	case colBuildID:
		if cr.buildIDOp == opInvalid {
			return fmt.Sprintf("%q has no usable operator and never matches", *r.BuildID)
		}
		return fmt.Sprintf("client %s is not %s%s", showOpt(q.BuildID), opText[cr.buildIDOp], cr.buildIDArg)
	case colMemory:
		if !cr.memory.valid {
			return fmt.Sprintf("%q is not a usable comparison and never matches", *r.Memory)
		}
		return fmt.Sprintf("client %d is not %s%d", *q.Memory, opText[cr.memory.op], cr.memory.value)
	case colOSVersion:
		return fmt.Sprintf("client %s contains none of the alternatives %q", showOpt(q.OSVersion), *r.OSVersion)
	case colInstructionSet:
		return fmt.Sprintf("client %s is not one of %q", showOpt(q.InstructionSet), *r.InstructionSet)
	case colDistribution:
		return fmt.Sprintf("client %s is not one of %q", showOpt(q.Distribution), *r.Distribution)
	case colLocale:
		return fmt.Sprintf("client %s is not one of %q", showOpt(q.Locale), *r.Locale)
	case colMig64:
		return boolReason(q.Mig64, *r.Mig64)
	case colJaws:
		return boolReason(q.Jaws, *r.Jaws)
	}
	return "matched"
}

// versionReason explains a failed version column.
func versionReason(pieces []versionPiece, raw string, qv *queryVersion, err error) string {
	if err != nil {
		return "cannot compare: " + err.Error()
	}
	var valid []*versionPiece
	for i := range pieces {
		if pieces[i].op != opInvalid {
			valid = append(valid, &pieces[i])
		}
	}
	switch len(valid) {
	case 0:
		return fmt.Sprintf("%q has no usable operator and never matches", raw)
	case 1:
		return fmt.Sprintf("client %s is not %s%s", qv.raw, opText[valid[0].op], valid[0].operand)
	}
	return fmt.Sprintf("client %s matches none of %q", qv.raw, raw)
}

// boolReason explains a failed mig64 or jaws column.
func boolReason(q *bool, rule bool) string {
	if q == nil {
		return fmt.Sprintf("client sends none, rule needs %v", rule)
	}
	return fmt.Sprintf("client %v, rule needs %v", *q, rule)
}
