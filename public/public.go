// Package public is the public role: it answers update clients
// (/update/..., /json/...) and the read-only /api/v1 endpoints from an
// in-memory snapshot of the database, refreshed when the database changes.
package public

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/balrog-go/balrog/blobs"
	"github.com/balrog-go/balrog/metrics"
	"github.com/balrog-go/balrog/store"
)

// Source is what the public role reads from the database.
type Source interface {
	// ChangeMarker returns a value that moves whenever rules, shutoffs,
	// pins or releases change.
	ChangeMarker(ctx context.Context) (string, error)
	// ReadSnapshot reads the marker, rules, shutoffs, pins and release
	// list as of one point in time.
	ReadSnapshot(ctx context.Context) (store.Snapshot, error)
	Release(ctx context.Context, name string) (store.Release, error)
	// ReadRelease reads one release and calls fn with it; rel.Data is only
	// valid until fn returns.
	ReadRelease(ctx context.Context, name string, fn func(rel store.Release) error) error
}

// Config is the public role's configuration.
type Config struct {
	// Allowlist decides which download URLs may be served to which product.
	Allowlist *blobs.Allowlist
	// ForceHosts are the special force hosts (URL prefixes).
	ForceHosts []string
	// RefreshInterval is how often the change marker is polled.
	RefreshInterval time.Duration
	// CacheControl is sent on responses whose handler sets none.
	CacheControl string
	// Dice returns a uniformly random integer in [0, 100) for throttling;
	// nil means math/rand.
	Dice func() int
	// Metrics receives the role's metrics (package metrics names them);
	// nil sends nothing.
	Metrics metrics.Sink
	// Signer adds a Content-Signature to the update responses of the
	// products it signs for; nil signs nothing.
	Signer *Signer
	// RequestLogInterval is how often the aggregated request log line is
	// written (Handler.Run); 0 means a minute.
	RequestLogInterval time.Duration
	// UpdateLog receives the sampled update-request lines (updatelog.go);
	// nil, or UpdateLogSample 0, writes none.
	UpdateLog io.Writer
	// UpdateLogSample is the share of update requests logged, 0 to 1.
	UpdateLogSample float64
	// ReportError receives panics and 5xx errors with the route pattern
	// (Sentry, in package app); nil reports nothing.
	ReportError func(route string, err error)
}

// Service is the public role.
type Service struct {
	src   Source
	cfg   Config
	log   *slog.Logger
	snap  atomic.Pointer[snapshot]
	blobs *blobCache

	// noResponseCache turns the rendered-answer cache off (tests compare
	// answers with and without it).
	noResponseCache bool
	// trace, when set, records what decided one answer, and for Explain
	// its steps (Evaluator, answer.go and explain.go); the live role
	// leaves it nil.
	trace *answerTrace

	// lastRefreshErr is the error of the most recent failed refresh, nil
	// after a successful one.
	lastRefreshErr atomic.Pointer[error]
}

// New returns the public role over src. It loads nothing until Load or Run.
func New(src Source, cfg Config, log *slog.Logger) *Service {
	if cfg.RefreshInterval <= 0 {
		cfg.RefreshInterval = 5 * time.Second
	}
	if cfg.CacheControl == "" {
		cfg.CacheControl = "public, max-age=90"
	}
	if cfg.Dice == nil {
		cfg.Dice = defaultDice
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.Discard{}
	}
	if cfg.RequestLogInterval <= 0 {
		cfg.RequestLogInterval = time.Minute
	}
	if cfg.ReportError == nil {
		cfg.ReportError = func(string, error) {}
	}
	return &Service{src: src, cfg: cfg, log: log, blobs: newBlobCache(src, cfg.Metrics, log)}
}

// ErrNotLoaded means no snapshot has ever been loaded: the database has not
// answered since the process started.
var ErrNotLoaded = errors.New("public: no data loaded yet")

// Load reads the database into a new snapshot when its change marker has
// moved, and swaps it in. It reports whether a new snapshot was loaded.
func (s *Service) Load(ctx context.Context) (bool, error) {
	marker, err := s.src.ChangeMarker(ctx)
	if err != nil {
		return false, err
	}
	if cur := s.snap.Load(); cur != nil && cur.marker == marker {
		cur.checkedAt.Store(time.Now().UnixNano())
		return false, nil
	}
	next, err := loadSnapshot(ctx, s.src)
	if err != nil {
		return false, err
	}
	if s.noResponseCache {
		next.responses, next.recalled = respCache{}, nil
	}
	s.snap.Store(next)
	s.blobs.retain(next.releases)
	return true, nil
}

// Run keeps the snapshot fresh until ctx ends. A failed refresh keeps the
// last good snapshot and is retried at the next tick.
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.RefreshInterval)
	defer t.Stop()
	for {
		s.refresh(ctx)
		select {
		case <-ctx.Done():
			s.blobs.wait()
			return nil
		case <-t.C:
		}
	}
}

// spareIdle is how long the spare memory for copies of large blobs' text
// is kept unused (blobs.TrimSpares).
const spareIdle = 30 * time.Second

func (s *Service) refresh(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	blobs.TrimSpares(spareIdle)
	loaded, err := s.Load(ctx)
	defer s.report()
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			return
		}
		_ = s.cfg.Metrics.Incr(metrics.SnapshotRefreshErrors, nil, 1)
		if prev := s.lastRefreshErr.Swap(&err); prev == nil {
			s.log.Error("public: refreshing the snapshot failed; serving the last one", "error", err.Error(), "snapshot_age", s.SnapshotAge().String())
			s.cfg.ReportError("refresh", err)
		}
		return
	}
	if prev := s.lastRefreshErr.Swap(nil); prev != nil {
		s.log.Info("public: database answers again")
	}
	if loaded {
		snap := s.snap.Load()
		s.log.Info("public: snapshot loaded", "rules", len(snap.rules), "releases", len(snap.releases), "shutoffs", len(snap.shutoffs), "pins", len(snap.pins))
	}
}

// report sends the snapshot's age and the blob cache's size and memory
// outside the Go heap.
func (s *Service) report() {
	if s.snap.Load() == nil {
		return
	}
	_ = s.cfg.Metrics.Gauge(metrics.SnapshotAge, s.SnapshotAge().Seconds(), nil, 1)
	_ = s.cfg.Metrics.Gauge(metrics.BlobCacheEntries, float64(s.blobs.len()), nil, 1)
	_ = s.cfg.Metrics.Gauge(metrics.BlobCacheOffHeapBytes, float64(blobs.OffHeapBytes()), nil, 1)
}

// SnapshotAge is how long ago the database last confirmed the snapshot;
// zero when none is loaded.
func (s *Service) SnapshotAge() time.Duration {
	snap := s.snap.Load()
	if snap == nil {
		return 0
	}
	return time.Since(time.Unix(0, snap.checkedAt.Load()))
}

// Health is the heartbeat check: it asks the database, and on failure says
// how old the snapshot being served is.
func (s *Service) Health(ctx context.Context) (string, error) {
	snap := s.snap.Load()
	if _, err := s.src.ChangeMarker(ctx); err != nil {
		if snap == nil {
			return "", fmt.Errorf("%w; no data loaded, update requests get 503", err)
		}
		return "", fmt.Errorf("%w; serving a snapshot last confirmed %s ago", err, s.SnapshotAge().Round(time.Second))
	}
	if snap == nil {
		return "", ErrNotLoaded
	}
	return fmt.Sprint(len(snap.rules)), nil
}
