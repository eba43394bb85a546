// Package agent is the agent role (agent.md): a loop that, every interval,
// finds the scheduled changes whose time has come and whose required
// signoffs are complete, and enacts each in its own transaction through the
// admin package's enact path (admin.Server.EnactChange, EnactRelease), as
// the change's scheduler. It talks to the database through package admin;
// it has no HTTP client and no token.
//
// Deliberate differences from Balrog's Python agent (agent.md §6, §10):
//   - a change that fails is logged and counted, and the pass goes on with
//     the next change (upstream aborts the rest of the pass);
//   - changes with a telemetry (uptake) condition are never enacted, as
//     upstream, and this is logged once per change at WARN instead of being
//     silently "not ready";
//   - several agents may run against one database: a change is completed by
//     a data_version-guarded update inside its enact transaction, so only
//     one agent enacts it; the others see it stale and skip it.
package agent

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/balrog-go/balrog/admin"
	"github.com/balrog-go/balrog/metrics"
)

// Source is what the agent needs from package admin (*admin.Server).
type Source interface {
	PendingChanges(ctx context.Context) (admin.Pending, error)
	EnactChange(ctx context.Context, f admin.Family, scID, seenVersion int) error
	EnactRelease(ctx context.Context, r admin.PendingRelease) error
}

var _ Source = (*admin.Server)(nil)

// DefaultInterval is the pause between passes when Config.Interval is 0.
const DefaultInterval = 30 * time.Second

// Config tunes the agent.
type Config struct {
	// Interval is the pause between the start of two passes; 0 means
	// DefaultInterval.
	Interval time.Duration
	// Now is the clock scheduled times are compared against; nil means
	// time.Now. Tests move it forward without sleeping.
	Now func() time.Time
	// Log receives the agent's records; nil discards them.
	Log *slog.Logger
	// Metrics receives agent.* counters; nil sends none.
	Metrics metrics.Sink
	// ReportError receives failed passes and enactments and panics, with
	// the route "agent.pass" or "agent.enact" (Sentry, in package app);
	// nil reports nothing.
	ReportError func(route string, err error)
}

// Agent enacts due scheduled changes.
type Agent struct {
	src     Source
	cfg     Config
	log     *slog.Logger
	metrics metrics.Sink

	// telemetryLogged holds the changes whose skipped telemetry condition
	// was logged, so that it is logged once per change.
	telemetryLogged map[string]bool
}

// New returns an agent over src.
func New(src Source, cfg Config) *Agent {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := cfg.Metrics
	if m == nil {
		m = metrics.Discard{}
	}
	if cfg.ReportError == nil {
		cfg.ReportError = func(string, error) {}
	}
	return &Agent{src: src, cfg: cfg, log: log, metrics: m, telemetryLogged: map[string]bool{}}
}

// Result counts what one pass did.
type Result struct {
	// Enacted changes (a v2 release counts once).
	Enacted int
	// Failed enactments: logged, retried next pass.
	Failed int
	// Stale changes: enacted or changed by someone else (another agent)
	// between the listing and the enactment.
	Stale int
	// NotReady changes: before their time, or lacking signoffs.
	NotReady int
	// Telemetry changes: skipped because uptake conditions are not supported.
	Telemetry int
}

// Run passes once now and then every interval until ctx ends; it returns
// nil then. A pass that fails (the database does not answer) is logged and
// does not stop the loop.
func (a *Agent) Run(ctx context.Context) error {
	a.log.Info("agent: enacting due scheduled changes", "interval", a.cfg.Interval.String())
	t := time.NewTicker(a.cfg.Interval)
	defer t.Stop()
	for {
		if err := a.safePass(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("agent: pass failed", "error", err.Error())
			a.metrics.Incr(metrics.AgentPassFailed, nil, 1)
			a.cfg.ReportError("agent.pass", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// safePass runs one pass; a panic in it is its error, so the loop goes on.
func (a *Agent) safePass(ctx context.Context) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	_, err = a.Pass(ctx)
	return err
}

// Pass lists the pending scheduled changes and enacts the ready ones, in
// agent.md's order: the v1 families in admin.V1Families order (rules by
// descending when, then descending priority, a missing priority counting 0;
// the others by sc_id), then the v2 releases by name. The error is that of
// the listing; enactment failures are logged and counted in the result.
func (a *Agent) Pass(ctx context.Context) (Result, error) {
	var res Result
	pending, err := a.src.PendingChanges(ctx)
	if err != nil {
		return res, err
	}
	nowMs := a.cfg.Now().UnixMilli()
	seenTelemetry := map[string]bool{}

	changes := orderV1(pending.Changes)
	for _, c := range changes {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		log := a.log.With("family", string(c.Family), "sc_id", c.ScID, "scheduled_by", c.ScheduledBy)
		if c.Err != nil {
			a.count(&res, log, c.Err)
			continue
		}
		if telemetry(c) {
			key := string(c.Family) + "/" + strconv.Itoa(c.ScID)
			seenTelemetry[key] = true
			if !a.telemetryLogged[key] {
				a.telemetryLogged[key] = true
				log.Warn("agent: scheduled change has a telemetry (uptake) condition, which is not supported; it is never enacted",
					"telemetry_product", c.TelemetryProduct, "telemetry_channel", c.TelemetryChannel, "telemetry_uptake", *c.TelemetryUptake)
			}
			res.Telemetry++
			continue
		}
		if !timeReady(c, nowMs) || !signoffsReady(c.Required, c.Signoffs) {
			log.Debug("agent: scheduled change is not ready", "when", c.When, "required_signoffs", c.Required, "signoffs", c.Signoffs)
			res.NotReady++
			continue
		}
		log.Debug("agent: scheduled change is ready, enacting", "change_type", c.ChangeType)
		a.count(&res, log, a.src.EnactChange(ctx, c.Family, c.ScID, c.DataVersion))
	}
	for key := range a.telemetryLogged {
		if !seenTelemetry[key] {
			delete(a.telemetryLogged, key) // enacted elsewhere or deleted
		}
	}

	for _, r := range pending.Releases {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		log := a.log.With("family", string(admin.FamilyV2Releases), "release", r.Name)
		if r.Err != nil {
			a.count(&res, log, r.Err)
			continue
		}
		if !releaseReady(r, nowMs) {
			log.Debug("agent: release changes are not ready", "required_signoffs", r.Required)
			res.NotReady++
			continue
		}
		log.Debug("agent: release changes are ready, enacting", "changes", len(r.Changes))
		a.count(&res, log, a.src.EnactRelease(ctx, r))
	}
	return res, nil
}

// count records the outcome of one enactment.
func (a *Agent) count(res *Result, log *slog.Logger, err error) {
	switch {
	case err == nil:
		res.Enacted++
		a.metrics.Incr(metrics.AgentEnacted, nil, 1)
		log.Info("agent: enacted scheduled change")
	case errors.Is(err, admin.ErrStale):
		res.Stale++
		log.Info("agent: scheduled change was enacted or changed elsewhere; skipped", "reason", err.Error())
	default:
		res.Failed++
		a.metrics.Incr(metrics.AgentFailed, nil, 1)
		log.Error("agent: enacting scheduled change failed; retried next pass", "error", err.Error())
		a.cfg.ReportError("agent.enact", err)
	}
}

// orderV1 returns the v1 changes in the order they are enacted.
func orderV1(in []admin.PendingChange) []admin.PendingChange {
	out := slices.Clone(in)
	rank := map[admin.Family]int{}
	for i, f := range admin.V1Families {
		rank[f] = i
	}
	slices.SortStableFunc(out, func(x, y admin.PendingChange) int {
		if c := cmp.Compare(rank[x.Family], rank[y.Family]); c != 0 {
			return c
		}
		if x.Family == admin.FamilyRules {
			// Descending (when, priority or 0), agent.md §5.1.
			if c := cmp.Compare(deref(y.When), deref(x.When)); c != 0 {
				return c
			}
			if c := cmp.Compare(deref(y.Priority), deref(x.Priority)); c != 0 {
				return c
			}
		}
		return cmp.Compare(x.ScID, y.ScID)
	})
	return out
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// telemetry reports an uptake condition (non-null and non-zero).
func telemetry(c admin.PendingChange) bool {
	return c.TelemetryUptake != nil && *c.TelemetryUptake != 0
}

// timeReady is agent.md's time condition: a non-zero when that has come.
func timeReady(c admin.PendingChange, nowMs int64) bool {
	return c.When != nil && *c.When != 0 && nowMs >= *c.When
}

// signoffsReady is agent.md's per-role count: every required role has at
// least its count of signoffs.
func signoffsReady(required map[string]int, given map[string]string) bool {
	count := map[string]int{}
	for _, role := range given {
		count[role]++
	}
	for role, n := range required {
		if count[role] < n {
			return false
		}
	}
	return true
}

// releaseReady is agent.md §5.2: every part of the release is due and
// signed off against the release-level requirement.
func releaseReady(r admin.PendingRelease, nowMs int64) bool {
	if len(r.Changes) == 0 {
		return false
	}
	for _, c := range r.Changes {
		if telemetry(c) || !timeReady(c, nowMs) || !signoffsReady(r.Required, c.Signoffs) {
			return false
		}
	}
	return true
}
