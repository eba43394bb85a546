package admin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/balrog-go/balrog/rules"
	"github.com/balrog-go/balrog/store/gormstore"
)

// Answer is what the public role answers one update request target with.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
	// Query is the parsed update query; nil when the target did not reach
	// rule evaluation.
	Query *rules.Query
	// Decision is the rule evaluation's result.
	Decision rules.Decision
	// Release names the release served; "" means no update.
	Release string
}

// Evaluator answers update request targets exactly as the public role
// would, from the data db holds: the live database, or a transaction's
// view of it (gormstore.AdminTx.View) to judge a write before it commits.
// app wires the public role's evaluator; admin never imports public.
type Evaluator interface {
	Answers(ctx context.Context, db *gormstore.DB, targets []string) ([]Answer, error)
}

// Explainer explains one update request target as the public role would
// answer it from db's data: the JSON object of POST /evaluate. force true
// answers as with force=1, false as with no force parameter, nil as the
// target says. An error wrapping ErrBadTarget is the caller's fault (400).
type Explainer interface {
	Explain(ctx context.Context, db *gormstore.DB, target string, force *bool) (json.RawMessage, error)
}

// ErrBadTarget marks a URL that is not an update request.
var ErrBadTarget = errors.New("not an update URL")

// RollEvaluator answers like Evaluator.Answers with every throttle roll
// fixed at roll (in [0, 100)), so that answers are reproducible: the impact
// preview answers each URL at roll 0 and at roll 99.
type RollEvaluator interface {
	AnswersRolled(ctx context.Context, db *gormstore.DB, targets []string, roll int) ([]Answer, error)
}
