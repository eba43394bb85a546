package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/balrog-go/balrog/store"
	"github.com/balrog-go/balrog/store/gormstore"
)

// Every admin transaction that writes rules, releases, shutoffs or pins
// (directly or by enacting a scheduled change) ends in checkAssertions,
// before it commits: the assertions of the products whose answers the
// writes may have changed are evaluated against the transaction's own view
// of the database, and a broken one refuses the whole write unless an
// admin overrode it.

// AssertionResult is one assertion evaluated against some state of the
// database.
type AssertionResult struct {
	Assertion store.Assertion
	// Actual is the release the URL is answered with; nil means no update.
	Actual *string
	// Status is the HTTP status of the public answer.
	Status int
}

// OK reports whether the answer is the expected one. An answer other than
// 200 (a malformed URL, a broken blob) satisfies no assertion: "no update"
// is a 200 with an empty <updates/>.
func (r AssertionResult) OK() bool {
	return r.Status == http.StatusOK && equalOpt(r.Assertion.ExpectedRelease, r.Actual)
}

// String describes the result in one line.
func (r AssertionResult) String() string {
	a := r.Assertion
	got := releaseOrNone(r.Actual)
	if r.Status != http.StatusOK {
		got = fmt.Sprintf("HTTP %d", r.Status)
	}
	return fmt.Sprintf("assertion %d (%s %s): expected %s, got %s", a.AssertionID, a.Product, a.URL,
		releaseOrNone(a.ExpectedRelease), got)
}

func releaseOrNone(s *string) string {
	if s == nil {
		return "no update"
	}
	return *s
}

// EvaluateAssertions answers every assertion's URL with ev from db (the
// live database, or a transaction's view) and reports each outcome.
func EvaluateAssertions(ctx context.Context, ev Evaluator, db *gormstore.DB, list []store.Assertion) ([]AssertionResult, error) {
	if len(list) == 0 {
		return nil, nil
	}
	if ev == nil {
		return nil, errors.New("assertions cannot be evaluated: no evaluator configured")
	}
	targets := make([]string, len(list))
	for i, a := range list {
		targets[i] = a.URL
	}
	answers, err := ev.Answers(ctx, db, targets)
	if err != nil {
		return nil, fmt.Errorf("evaluate assertions: %w", err)
	}
	out := make([]AssertionResult, len(list))
	for i, a := range list {
		out[i] = AssertionResult{Assertion: a, Status: answers[i].Status}
		if r := answers[i].Release; r != "" {
			out[i].Actual = &r
		}
	}
	return out, nil
}

// assertionRequest is what the check needs to know of the write it judges.
type assertionRequest struct {
	// name describes the write for the override record ("PUT /rules/5").
	name string
	// override is ?override_assertions=1; only admins may use it.
	override bool
	// user is the caller who would override.
	user string
}

// BrokenAssertions is the refusal of a write that breaks assertions.
type BrokenAssertions struct{ Results []AssertionResult }

func (e *BrokenAssertions) Error() string {
	msgs := make([]string, len(e.Results))
	for i, r := range e.Results {
		msgs[i] = r.String()
	}
	return "this change breaks " + strings.Join(msgs, "; ")
}

// problem is the 400 answer naming each broken assertion.
func (e *BrokenAssertions) problem() *Problem {
	data := make([]map[string]any, len(e.Results))
	for i, r := range e.Results {
		a := r.Assertion
		data[i] = map[string]any{"assertion_id": a.AssertionID, "product": a.Product, "url": a.URL,
			"expected_release": a.ExpectedRelease, "actual_release": r.Actual, "status": r.Status}
	}
	return &Problem{Status: http.StatusBadRequest, Title: "Bad Request", Detail: "AssertionsBroken",
		Exception: e.Error() + " (an admin may add ?override_assertions=1)", Data: data}
}

// checkAssertions is the hook every writing transaction runs before it
// commits (see inTx).
func (s *Server) checkAssertions(ctx context.Context, tx *gormstore.AdminTx, req assertionRequest) error {
	changed := tx.ServedChanges()
	if changed.Empty() {
		return nil
	}
	products, all, err := tx.ServedProducts(changed)
	if err != nil {
		return err
	}
	list, err := tx.Assertions(products, all)
	if err != nil || len(list) == 0 {
		return err
	}
	results, err := EvaluateAssertions(ctx, s.cfg.Evaluator, tx.View(), list)
	if err != nil {
		return err
	}
	var broken []AssertionResult
	for _, r := range results {
		if !r.OK() {
			broken = append(broken, r)
		}
	}
	if len(broken) == 0 {
		return nil
	}
	if !req.override {
		return &BrokenAssertions{Results: broken}
	}
	overrides := make([]store.AssertionOverride, len(broken))
	for i, r := range broken {
		product := r.Assertion.Product
		if err := requirePermission(tx, req.user, "admin", "override", &product,
			fmt.Sprintf("%s is not allowed to override assertions for product %s", req.user, product)); err != nil {
			return err
		}
		overrides[i] = store.AssertionOverride{Assertion: r.Assertion, ActualRelease: r.Actual}
		s.log.Warn("admin: assertion overridden", "user", req.user, "request", req.name, "assertion", r.String())
	}
	return tx.As(req.user).InsertAssertionOverrides(req.name, overrides)
}

// inTx runs fn in one transaction as user and, when it succeeds, the
// assertion check of what it wrote, so that a refused write rolls back.
func (s *Server) inTx(ctx context.Context, user string, req assertionRequest, fn func(*gormstore.AdminTx) error) error {
	return s.store.Tx(ctx, user, func(tx *gormstore.AdminTx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return s.checkAssertions(ctx, tx, req)
	})
}
