package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/balrog-go/balrog/admin"
	"github.com/balrog-go/balrog/blobs"
	"github.com/balrog-go/balrog/metrics"
	"github.com/balrog-go/balrog/public"
	"github.com/balrog-go/balrog/store/gormstore"
)

// publicEvaluator gives the admin role the public role's answers
// (admin.Evaluator), computed by the public package's own code.
type publicEvaluator struct {
	cfg public.Config
	log *slog.Logger
}

// Answers loads db's data once and answers every target from it. The
// answers judge outcomes (assertions, previews), so they are not signed:
// only Explain shows the signature a client would get.
func (p publicEvaluator) Answers(ctx context.Context, db *gormstore.DB, targets []string) ([]admin.Answer, error) {
	cfg := p.cfg
	cfg.Signer = nil
	ev, err := public.NewEvaluator(ctx, db, cfg, p.log)
	if err != nil {
		return nil, err
	}
	out := make([]admin.Answer, len(targets))
	for i, t := range targets {
		a, err := ev.Answer(ctx, t)
		if err != nil {
			return nil, err
		}
		out[i] = admin.Answer(*a)
	}
	return out, nil
}

// AnswersRolled is Answers with every throttle roll fixed at roll
// (admin.RollEvaluator).
func (p publicEvaluator) AnswersRolled(ctx context.Context, db *gormstore.DB, targets []string, roll int) ([]admin.Answer, error) {
	p.cfg.Dice = func() int { return roll }
	return p.Answers(ctx, db, targets)
}

// Explain loads db's data and explains one target (admin.Explainer).
func (p publicEvaluator) Explain(ctx context.Context, db *gormstore.DB, target string, force *bool) (json.RawMessage, error) {
	ev, err := public.NewEvaluator(ctx, db, p.cfg, p.log)
	if err != nil {
		return nil, err
	}
	x, err := ev.Explain(ctx, target, force)
	if errors.Is(err, public.ErrBadTarget) {
		return nil, fmt.Errorf("%w: %w", admin.ErrBadTarget, err)
	}
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // response bodies are XML: keep them readable
	if err := enc.Encode(x); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// evaluator is the admin roles' view of the public role's answers, with
// the public role's configuration.
func (p *process) evaluator(allowlist *blobs.Allowlist) (publicEvaluator, error) {
	// Explain shows the exact public answer, a signed one included.
	signer, err := p.signer()
	if err != nil {
		return publicEvaluator{}, err
	}
	return publicEvaluator{
		cfg: public.Config{Allowlist: allowlist, ForceHosts: p.cfg.SpecialForceHosts, Signer: signer},
		log: p.log,
	}, nil
}

// openEvaluator opens the configured database and the public role's
// evaluator (the configured allowlist, force hosts and signer), for the
// commands that answer update URLs. The caller closes the database.
func (e env) openEvaluator(cmd *cobra.Command, serving bool) (*gormstore.DB, publicEvaluator, error) {
	cfg, p, err := e.setup(cmd)
	if err != nil {
		return nil, publicEvaluator{}, err
	}
	allowlist, err := blobs.NewAllowlist(cfg.DomainAllowlist)
	if err != nil {
		return nil, publicEvaluator{}, fmt.Errorf("domain_allowlist: %w", err)
	}
	ev, err := p.evaluator(allowlist)
	if err != nil {
		return nil, publicEvaluator{}, err
	}
	db, err := openDatabase(cmd.Context(), cfg, p.log, metrics.Discard{}, serving)
	if err != nil {
		return nil, publicEvaluator{}, err
	}
	return db, ev, nil
}
