package admin

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/balrog-go/balrog/store"
	"github.com/balrog-go/balrog/store/gormstore"
)

// This file is the in-process API of the agent (admin/agent): it lists the
// incomplete scheduled changes with what the agent decides on (conditions,
// required and given signoffs) and enacts one change, or one v2 release,
// through the same code path as POST …/enact (enactLoaded, enactV2Pending),
// as the change's scheduler.

// Family names a scheduled-change family as the admin API's
// /scheduled_changes/{family} path does.
type Family string

// The v1 families, and the two v2 families whose changes are enacted
// together per release.
const (
	FamilyRules               Family = "rules"
	FamilyReleases            Family = "releases"
	FamilyPermissions         Family = "permissions"
	FamilyEmergencyShutoff    Family = "emergency_shutoff"
	FamilyProductSignoffs     Family = "required_signoffs/product"
	FamilyPermissionsSignoffs Family = "required_signoffs/permissions"
	FamilyPinnableReleases    Family = "pinnable_releases"
	FamilyV2Releases          Family = "v2/releases"
	FamilyV2ReleaseAssets     Family = "v2/release_assets"
)

// V1Families are the v1 families in the order the agent visits them
// (agent.md §5.1).
var V1Families = []Family{
	FamilyRules, FamilyReleases, FamilyPermissions, FamilyEmergencyShutoff,
	FamilyProductSignoffs, FamilyPermissionsSignoffs, FamilyPinnableReleases,
}

// AgentAccount is the account of the agent's own transactions. Nothing is
// written as it: every write of an enactment is attributed to the change's
// scheduler (agent.md §7).
const AgentAccount = "balrogagent"

// ErrStale means the change was enacted, edited or deleted after it was
// listed (typically by another agent): nothing was written, and the next
// listing decides again.
var ErrStale = errors.New("scheduled change was enacted or changed since it was listed")

// PendingChange is one incomplete scheduled change.
type PendingChange struct {
	Family Family
	ScID   int
	// DataVersion is the change's sc_data_version when it was listed.
	DataVersion int
	ScheduledBy string
	ChangeType  string
	// When is the scheduled time in milliseconds since the epoch, nil when
	// the change has no time condition.
	When *int64
	// Priority is the rule priority of a rules change (nil otherwise, and
	// for changes without one, e.g. deletions).
	Priority *int64
	// TelemetryUptake, TelemetryProduct and TelemetryChannel are the uptake
	// condition of a rules change, if any.
	TelemetryUptake                    *int64
	TelemetryProduct, TelemetryChannel string
	// Required is {role: count} as the change needs it now; for v2 changes
	// the release-level requirement.
	Required map[string]int
	// Signoffs is {username: role}.
	Signoffs map[string]string
	// Name is the release of a v2 change, Path the asset path ("" for the
	// base row).
	Name, Path string
	// Err is set when the change's requirement could not be computed: the
	// change is listed (so that the failure is reported per change) but
	// cannot be decided on.
	Err error
}

// PendingRelease is the incomplete v2 changes of one release, enacted
// together (agent.md §5.2).
type PendingRelease struct {
	Name string
	// Required is the release-level requirement (the rules mapping to it).
	Required map[string]int
	// Changes are the base change (Family FamilyV2Releases) and the asset
	// changes (FamilyV2ReleaseAssets), in sc_id order within each.
	Changes []PendingChange
	// Err is set when the requirement could not be computed.
	Err error
}

// Pending is every incomplete scheduled change.
type Pending struct {
	// Changes are the v1 changes: by family in V1Families order, then by sc_id.
	Changes []PendingChange
	// Releases are the v2 releases with pending changes, by name.
	Releases []PendingRelease
}

// v1Adapter returns the adapter of a v1 family.
func (s *Server) v1Adapter(f Family) (scAdapter, error) {
	switch f {
	case FamilyRules:
		return scRules, nil
	case FamilyReleases:
		return releasesSC{s: s}, nil
	case FamilyPermissions:
		return scPermissions, nil
	case FamilyEmergencyShutoff:
		return scShutoffs, nil
	case FamilyProductSignoffs:
		return scProductSignoffs, nil
	case FamilyPermissionsSignoffs:
		return scPermissionsSignoffs, nil
	case FamilyPinnableReleases:
		return scPins, nil
	}
	return nil, fmt.Errorf("unknown scheduled-change family %q", f)
}

// pendingOf describes sc of family f with its requirement and signoffs.
func pendingOf(f Family, sc store.ScheduledChange, req requirements, signoffs []store.Signoff) PendingChange {
	p := PendingChange{
		Family: f, ScID: sc.ScID, DataVersion: sc.DataVersion, ScheduledBy: sc.ScheduledBy, ChangeType: sc.ChangeType,
		Required: map[string]int(req), Signoffs: signoffsJSON(signoffs),
	}
	if p.Required == nil {
		p.Required = map[string]int{}
	}
	if w, ok := sc.Conditions["when"].(int64); ok {
		p.When = &w
	}
	if u, ok := sc.Conditions["telemetry_uptake"].(int64); ok {
		p.TelemetryUptake = &u
	}
	p.TelemetryProduct, _ = sc.Conditions["telemetry_product"].(string)
	p.TelemetryChannel, _ = sc.Conditions["telemetry_channel"].(string)
	if f == FamilyRules {
		if pr, ok := sc.Base["priority"].(int64); ok {
			p.Priority = &pr
		}
	}
	if f == FamilyV2Releases || f == FamilyV2ReleaseAssets {
		p.Name, _ = sc.Base["name"].(string)
		p.Path, _ = sc.Base["path"].(string)
	}
	return p
}

// PendingChanges lists every incomplete scheduled change, v1 and v2, in one
// read transaction, with the signoffs each needs now (as GET
// /scheduled_changes/{family} and GET /v2/releases show them).
func (s *Server) PendingChanges(ctx context.Context) (Pending, error) {
	var out Pending
	err := s.store.Tx(ctx, AgentAccount, func(tx *gormstore.AdminTx) error {
		out = Pending{}
		for _, f := range V1Families {
			a, err := s.v1Adapter(f)
			if err != nil {
				return err
			}
			list, err := tx.ScheduledChanges(a.family(), false, nil)
			if err != nil {
				return err
			}
			for _, sc := range list {
				signoffs, err := tx.Signoffs(a.family(), sc.ScID)
				if err != nil {
					return err
				}
				req, reqErr := a.requirements(tx, sc)
				p := pendingOf(f, sc, req, signoffs)
				if reqErr != nil {
					p.Err = fmt.Errorf("required signoffs: %w", reqErr)
				}
				out.Changes = append(out.Changes, p)
			}
		}
		byName := map[string]*PendingRelease{}
		var names []string
		for _, part := range []struct {
			f Family
			a scAdapter
		}{{FamilyV2Releases, scV2Base}, {FamilyV2ReleaseAssets, scV2Assets}} {
			list, err := tx.ScheduledChanges(part.a.family(), false, nil)
			if err != nil {
				return err
			}
			for _, sc := range list {
				signoffs, err := tx.Signoffs(part.a.family(), sc.ScID)
				if err != nil {
					return err
				}
				p := pendingOf(part.f, sc, nil, signoffs)
				r := byName[p.Name]
				if r == nil {
					req, reqErr := releaseSignoffs(tx, p.Name)
					if req == nil {
						req = requirements{}
					}
					r = &PendingRelease{Name: p.Name, Required: req}
					if reqErr != nil {
						r.Err = fmt.Errorf("required signoffs: %w", reqErr)
					}
					byName[p.Name] = r
					names = append(names, p.Name)
				}
				p.Required = r.Required
				r.Changes = append(r.Changes, p)
			}
		}
		slices.Sort(names)
		for _, n := range names {
			out.Releases = append(out.Releases, *byName[n])
		}
		return nil
	})
	return out, err
}

// EnactChange enacts the v1 scheduled change scID of family f in its own
// transaction, as its scheduler, exactly as POST
// /scheduled_changes/{f}/{scID}/enact does after its permission check (the
// agent holds no account of its own). seenVersion, when positive, is the
// sc_data_version the caller decided on: a change edited since, completed,
// deleted, or completed concurrently by another agent returns an error
// wrapping ErrStale and writes nothing.
func (s *Server) EnactChange(ctx context.Context, f Family, scID, seenVersion int) error {
	a, err := s.v1Adapter(f)
	if err != nil {
		return err
	}
	req := assertionRequest{name: fmt.Sprintf("agent enacts %s scheduled change %d", f, scID)}
	err = s.inTx(ctx, AgentAccount, req, func(tx *gormstore.AdminTx) error {
		sc, err := tx.ScheduledChange(a.family(), scID)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%s scheduled change %d is gone: %w", f, scID, ErrStale)
		} else if err != nil {
			return err
		}
		if sc.Complete {
			return fmt.Errorf("%s scheduled change %d is already complete: %w", f, scID, ErrStale)
		}
		if seenVersion > 0 && sc.DataVersion != seenVersion {
			return fmt.Errorf("%s scheduled change %d is at sc_data_version %d, listed at %d: %w", f, scID, sc.DataVersion, seenVersion, ErrStale)
		}
		return enactLoaded(tx, a, sc)
	})
	if err != nil && !errors.Is(err, ErrStale) && errors.Is(err, store.ErrOutdated) {
		// The guarded completion (or a base write) lost against a
		// concurrent writer: stale when the change itself moved on.
		var moved bool
		_ = s.store.Tx(ctx, AgentAccount, func(tx *gormstore.AdminTx) error {
			sc, err := tx.ScheduledChange(a.family(), scID)
			moved = errors.Is(err, store.ErrNotFound) || (err == nil && (sc.Complete || (seenVersion > 0 && sc.DataVersion != seenVersion)))
			return nil
		})
		if moved {
			return fmt.Errorf("%s scheduled change %d: %w (%w)", f, scID, ErrStale, err)
		}
	}
	return err
}

// EnactRelease enacts the pending v2 changes of release r.Name in one
// transaction, each as its scheduler, exactly as POST
// /v2/releases/{name}/enact does after its permission check. When the
// release's pending changes are no longer exactly r.Changes (same sc_ids and
// sc_data_versions), it returns an error wrapping ErrStale and writes
// nothing.
func (s *Server) EnactRelease(ctx context.Context, r PendingRelease) error {
	same := func(tx *gormstore.AdminTx) (bool, []store.ScheduledChange, []store.ScheduledChange, error) {
		base, assets, err := pendingV2(tx, r.Name)
		if err != nil {
			return false, nil, nil, err
		}
		type key struct {
			f       Family
			id, ver int
		}
		want := map[key]bool{}
		for _, c := range r.Changes {
			want[key{c.Family, c.ScID, c.DataVersion}] = true
		}
		n := 0
		for _, sc := range base {
			n++
			if !want[key{FamilyV2Releases, sc.ScID, sc.DataVersion}] {
				return false, nil, nil, nil
			}
		}
		for _, sc := range assets {
			n++
			if !want[key{FamilyV2ReleaseAssets, sc.ScID, sc.DataVersion}] {
				return false, nil, nil, nil
			}
		}
		return n == len(want) && n > 0, base, assets, nil
	}
	req := assertionRequest{name: "agent enacts v2 release " + r.Name}
	err := s.inTx(ctx, AgentAccount, req, func(tx *gormstore.AdminTx) error {
		ok, base, assets, err := same(tx)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("v2 release %s: pending changes differ from the listing: %w", r.Name, ErrStale)
		}
		return enactV2Pending(tx, base, assets)
	})
	if err != nil && !errors.Is(err, ErrStale) && errors.Is(err, store.ErrOutdated) {
		moved := false
		_ = s.store.Tx(ctx, AgentAccount, func(tx *gormstore.AdminTx) error {
			ok, _, _, err := same(tx)
			moved = err == nil && !ok
			return nil
		})
		if moved {
			return fmt.Errorf("v2 release %s: %w (%w)", r.Name, ErrStale, err)
		}
	}
	return err
}
