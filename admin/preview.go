package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/balrog-go/balrog/blobs"
	"github.com/balrog-go/balrog/rules"
	"github.com/balrog-go/balrog/store/gormstore"
)

// The impact preview (POST /rules/preview) answers which update requests a
// proposed rule change would answer differently, writing nothing. Its body:
//
//	{"action": "create" | "update" | "delete",
//	 "rule_id": 13,                 // update, delete: id or alias
//	 "data_version": 2,             // delete; update when "rule" has none
//	 "rule": {...},                 // create: POST /rules body; update: PUT /rules/:id body
//	 "urls": ["/update/6/..."]}     // optional
//
// The change runs through the real rule write path (the same validation,
// data_version check and statements) inside a transaction that is always
// rolled back; the answers before and after it are the public role's
// (Config.Evaluator), read through the transaction. The permission and
// signoff checks of the real call do not stop a preview: they are listed
// under "refusals". Without "urls", a sample is generated (previewSample).
//
// Throttling: each URL is answered twice, with the throttle dice fixed at 0
// and at 99. A throttled answer (no force, a rule with a mapping and a
// backgroundRate below 100) is reported as a distribution: the roll-0
// outcome for backgroundRate percent of clients, the roll-99 outcome for
// the rest.

// maxPreviewURLs bounds the URLs of one preview.
const maxPreviewURLs = 2000

// previewOutcome is what a share of the clients sending one URL get.
type previewOutcome struct {
	RuleID  *int    `json:"rule_id"`
	Release *string `json:"release"`
	Status  int     `json:"status"`
	// Update reports whether the answer carries an update.
	Update bool `json:"update"`
	// Share is the percentage of such clients that get this outcome.
	Share int `json:"share"`
}

// previewChange is one URL whose outcome changes.
type previewChange struct {
	URL    string           `json:"url"`
	Before []previewOutcome `json:"before"`
	After  []previewOutcome `json:"after"`
}

// previewResult is the answer of POST /rules/preview.
type previewResult struct {
	Action string `json:"action"`
	RuleID *int   `json:"rule_id"`
	// Refusals are the real call's permission and signoff refusals.
	Refusals []string        `json:"refusals"`
	Sampled  bool            `json:"sampled"`
	Checked  int             `json:"checked"`
	Changed  []previewChange `json:"changed"`
}

// errPreviewDone rolls the preview's transaction back.
var errPreviewDone = errors.New("preview: roll back")

// previewOp is a parsed preview request.
type previewOp struct {
	action    string
	idOrAlias string
	version   int
	rule      body
	urls      []string
}

func parsePreview(b body) (previewOp, error) {
	var op previewOp
	for k := range b {
		if !slices.Contains([]string{"action", "rule_id", "data_version", "rule", "urls"}, k) {
			return op, invalid(fmt.Sprintf("Additional properties are not allowed ('%s' was unexpected)", k))
		}
	}
	op.action, _ = b["action"].(string)
	if !slices.Contains([]string{"create", "update", "delete"}, op.action) {
		return op, invalid(fmt.Sprintf("action: %s is not one of ['create', 'update', 'delete']", pyRepr(b["action"])))
	}
	if b.has("urls") {
		list, ok := b["urls"].([]any)
		if !ok {
			return op, invalid(fmt.Sprintf("urls: %s is not of type 'array'", pyRepr(b["urls"])))
		}
		if len(list) > maxPreviewURLs {
			return op, invalid(fmt.Sprintf("urls: at most %d URLs", maxPreviewURLs))
		}
		for _, u := range list {
			s, ok := u.(string)
			if !ok {
				return op, invalid(fmt.Sprintf("urls: %s is not of type 'string'", pyRepr(u)))
			}
			op.urls = append(op.urls, s)
		}
	}
	if op.action != "delete" {
		rule, ok := b["rule"].(map[string]any)
		if !ok {
			return op, invalid(fmt.Sprintf("rule: %s is not of type 'object'", pyRepr(b["rule"])))
		}
		op.rule = rule
	}
	if op.action == "create" {
		return op, nil
	}
	switch id := b["rule_id"].(type) {
	case string:
		op.idOrAlias = id
	default:
		n, ok, err := intParam{name: "rule_id"}.get(b)
		if err != nil || !ok {
			return op, invalid(fmt.Sprintf("rule_id: %s is not a rule id or alias", pyRepr(id)))
		}
		op.idOrAlias = fmt.Sprint(n)
	}
	if op.action == "update" {
		if !op.rule.has("data_version") && b.has("data_version") {
			op.rule["data_version"] = b["data_version"]
		}
		var err error
		op.version, err = parseRuleUpdate(op.rule)
		return op, err
	}
	var err error
	op.version, err = dataVersionParam.required(b)
	return op, err
}

func (s *Server) previewRule(c echo.Context) error {
	ev, ok := s.cfg.Evaluator.(RollEvaluator)
	if !ok {
		return errNoEvaluator()
	}
	b, err := readBody(c)
	if err != nil {
		return err
	}
	op, err := parsePreview(b)
	if err != nil {
		return err
	}
	var newRule rules.Rule
	if op.action == "create" {
		if newRule, err = parseRuleCreate(op.rule); err != nil {
			return err
		}
	}
	res := previewResult{Action: op.action, Refusals: []string{}, Changed: []previewChange{}}
	ctx := c.Request().Context()
	err = s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		var cur, next rules.Rule
		var err error
		switch op.action {
		case "create":
			next, err = newRule, checkNewRule(tx, newRule)
		case "update":
			cur, next, err = changedRule(tx, op.idOrAlias, op.rule)
		case "delete":
			cur, err = findRule(tx, op.idOrAlias)
		}
		if err != nil {
			return err
		}
		urls := op.urls
		if op.urls == nil {
			res.Sampled = true
			if urls, err = previewSample(tx, cur, next, op.action); err != nil {
				return err
			}
		}
		before, err := rolledAnswers(ctx, ev, tx, urls)
		if err != nil {
			return err
		}
		id, err := applyPreview(tx, op, cur, next, &res.Refusals)
		if err != nil {
			return err
		}
		res.RuleID = &id
		after, err := rolledAnswers(ctx, ev, tx, urls)
		if err != nil {
			return err
		}
		res.Checked = len(urls)
		for i, u := range urls {
			if !slices.EqualFunc(before[i], after[i], previewOutcome.equal) {
				res.Changed = append(res.Changed, previewChange{URL: u, Before: before[i], After: after[i]})
			}
		}
		return errPreviewDone
	})
	if !errors.Is(err, errPreviewDone) {
		return err
	}
	return okJSON(c, res)
}

// applyPreview makes the change through the rule write path, collecting
// the refusals of its permission and signoff checks instead of stopping at
// them. It returns the rule's id.
func applyPreview(tx *gormstore.AdminTx, op previewOp, cur, next rules.Rule, refusals *[]string) (int, error) {
	refused := func(err error) error {
		var pd *PermissionDenied
		var p *Problem
		switch {
		case errors.As(err, &pd):
			*refusals = append(*refusals, pd.Message)
		case errors.As(err, &p) && p.Exception != nil:
			*refusals = append(*refusals, fmt.Sprintf("%s: %v", p.Detail, p.Exception))
		case errors.As(err, &p):
			*refusals = append(*refusals, p.Detail)
		default:
			return err
		}
		return nil
	}
	switch op.action {
	case "create":
		if err := refused(ruleCreateGates(tx, next, nil)); err != nil {
			return 0, err
		}
		return tx.InsertRule(next)
	case "update":
		if err := refused(ruleModifyGates(tx, cur, next, nil)); err != nil {
			return 0, err
		}
		_, err := writeRuleUpdate(tx, cur, next, op.version)
		return cur.RuleID, err
	}
	if err := refused(ruleDeleteGates(tx, cur, nil)); err != nil {
		return 0, err
	}
	return cur.RuleID, writeRuleDelete(tx, cur, op.version)
}

// rolledAnswers answers every URL at throttle rolls 0 and 99, read through
// the transaction, and reduces each pair to its outcomes.
func rolledAnswers(ctx context.Context, ev RollEvaluator, tx *gormstore.AdminTx, urls []string) ([][]previewOutcome, error) {
	low, err := ev.AnswersRolled(ctx, tx.View(), urls, 0)
	if err != nil {
		return nil, err
	}
	high, err := ev.AnswersRolled(ctx, tx.View(), urls, 99)
	if err != nil {
		return nil, err
	}
	out := make([][]previewOutcome, len(urls))
	for i := range urls {
		out[i] = outcomes(low[i], high[i])
	}
	return out, nil
}

// outcomes merges the answers at roll 0 and roll 99 into the distribution
// of outcomes over the clients sending the URL.
func outcomes(low, high Answer) []previewOutcome {
	rate := 100
	if r := low.Decision.Rule; r != nil && r.Mapping != nil && *r.Mapping != "" && r.BackgroundRate != nil &&
		low.Query != nil && low.Query.Force == rules.ForceNone {
		rate = *r.BackgroundRate
	}
	out := []previewOutcome{outcomeOf(low, rate)}
	if rate < 100 {
		h := outcomeOf(high, 100-rate)
		if equalOutcome(out[0], h) {
			out[0].Share = 100
		} else {
			out = append(out, h)
		}
	}
	return slices.DeleteFunc(out, func(o previewOutcome) bool { return o.Share == 0 })
}

func outcomeOf(a Answer, share int) previewOutcome {
	o := previewOutcome{Status: a.Status, Share: share,
		Update: a.Status == http.StatusOK && len(a.Body) > 0 && string(a.Body) != blobs.EmptyXML}
	if a.Decision.Rule != nil {
		id := a.Decision.Rule.RuleID
		o.RuleID = &id
	}
	if a.Release != "" {
		rel := a.Release
		o.Release = &rel
	}
	return o
}

// equalOutcome compares outcomes, shares aside.
func equalOutcome(a, b previewOutcome) bool {
	a.Share, b.Share = 0, 0
	return a.equal(b)
}

func (o previewOutcome) equal(p previewOutcome) bool {
	return o.Status == p.Status && o.Update == p.Update && o.Share == p.Share &&
		equalIntPtr(o.RuleID, p.RuleID) && equalOpt(o.Release, p.Release)
}

func equalIntPtr(a, b *int) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
