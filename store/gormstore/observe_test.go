package gormstore

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balrog-go/balrog/metrics"
	"github.com/balrog-go/balrog/migrations"
	"github.com/balrog-go/balrog/store/storetest"
)

// sinkRecorder records metrics as "name tag,tag" with the sum of their
// counts (timings count 1).
type sinkRecorder struct {
	mu   sync.Mutex
	seen map[string]int64
}

func (s *sinkRecorder) add(name string, n int64, tags []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen[name+" "+strings.Join(tags, ",")] += n
	return nil
}

func (s *sinkRecorder) Incr(name string, tags []string, _ float64) error { return s.add(name, 1, tags) }
func (s *sinkRecorder) Count(name string, n int64, tags []string, _ float64) error {
	return s.add(name, n, tags)
}
func (s *sinkRecorder) Gauge(name string, _ float64, tags []string, _ float64) error {
	return s.add(name, 1, tags)
}
func (s *sinkRecorder) Timing(name string, _ time.Duration, tags []string, _ float64) error {
	return s.add(name, 1, tags)
}

func (s *sinkRecorder) get(key string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen[key]
}

// TestQueryAndMigrationMetrics checks the metrics of the database: schema
// steps applied per phase, statement latencies tagged op and table, and
// failed statements counted, on every database.
func TestQueryAndMigrationMetrics(t *testing.T) {
	for _, d := range storetest.Databases(t) {
		t.Run(d.Name, func(t *testing.T) {
			ctx := context.Background()
			rec := &sinkRecorder{seen: map[string]int64{}}
			db, err := Open(ctx, d.URL, Options{Metrics: rec})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			applied, err := db.Migrate(ctx, migrations.Pre)
			if err != nil || len(applied) == 0 {
				t.Fatalf("migrate: %d steps, %v", len(applied), err)
			}
			if got := rec.get(metrics.MigrationsApplied + " phase:pre"); got != int64(len(applied)) {
				t.Errorf("migrations_applied{phase:pre} = %d, want %d", got, len(applied))
			}
			if _, err := db.Rules(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := db.ChangeMarker(ctx); err != nil {
				t.Fatal(err)
			}
			if rec.get(metrics.DBQueryDuration+" op:query,table:rules") != 1 {
				t.Errorf("no timing of the rules query: %v", rec.seen)
			}
			if rec.get(metrics.DBQueryDuration+" op:change_marker,table:none") != 1 {
				t.Errorf("no timing of the change marker: %v", rec.seen)
			}
			if rec.get(metrics.DBQueryErrors+" op:query,table:rules") != 0 {
				t.Errorf("a successful query counted as an error")
			}
			if err := db.gorm.WithContext(ctx).Exec("DROP TABLE rules").Error; err != nil {
				t.Fatal(err)
			}
			if _, err := db.Rules(ctx); err == nil {
				t.Fatal("reading a dropped table succeeded")
			}
			if got := rec.get(metrics.DBQueryErrors + " op:query,table:rules"); got != 1 {
				t.Errorf("query_errors{op:query,table:rules} = %d, want 1: %v", got, rec.seen)
			}
		})
	}
}
