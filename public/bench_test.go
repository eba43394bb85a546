package public

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/balrog-go/balrog/blobs"
	"github.com/balrog-go/balrog/store/storetest"
)

// BenchmarkServeUpdate measures one update request through the public
// handler, data loaded and the blob cached: the steady state of the hot path.
func BenchmarkServeUpdate(b *testing.B) {
	benchServeUpdate(b, Config{})
}

// BenchmarkServeUpdateWithMetrics is the same with every metric sent to a
// sink that counts them: its allocations per request must equal
// BenchmarkServeUpdate's.
func BenchmarkServeUpdateWithMetrics(b *testing.B) {
	sink := newCountingSink()
	benchServeUpdate(b, Config{Metrics: sink})
	if sink.total() == 0 {
		b.Fatal("no metric was sent")
	}
}

// BenchmarkServeUpdateWithUpdateLog also writes the update log line of
// every request (--request-log-sample 1).
func BenchmarkServeUpdateWithUpdateLog(b *testing.B) {
	benchServeUpdate(b, Config{Metrics: newCountingSink(), UpdateLog: io.Discard, UpdateLogSample: 1})
}

func benchServeUpdate(b *testing.B, cfg Config) {
	db := openLoaded(b, storetest.Database{Name: "sqlite", URL: "sqlite:///" + b.TempDir() + "/bench.db"}, testDataset())
	allow, err := blobs.NewAllowlist([]blobs.AllowlistHost{{Host: "download.mozilla.org", Products: []string{"Firefox"}}})
	if err != nil {
		b.Fatal(err)
	}
	cfg.Allowlist, cfg.ForceHosts = allow, []string{"http://download.mozilla.org"}
	s := New(db, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if _, err := s.Load(context.Background()); err != nil {
		b.Fatal(err)
	}
	h := s.NewHandler()
	req := httptest.NewRequest(http.MethodGet, updateURL, nil)
	req.RequestURI = updateURL
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != 200 {
		b.Fatalf("status %d: %s", w.Code, w.Body)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := &discardWriter{h: http.Header{}}
		h.ServeHTTP(w, req)
	}
}

type discardWriter struct {
	h      http.Header
	status int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(s int)           { d.status = s }

// countingSink counts what it receives by metric name.
type countingSink struct {
	mu     sync.Mutex
	counts map[string]int64
}

func newCountingSink() *countingSink { return &countingSink{counts: map[string]int64{}} }

func (c *countingSink) add(name string, n int64) error {
	c.mu.Lock()
	c.counts[name] += n
	c.mu.Unlock()
	return nil
}

func (c *countingSink) Incr(name string, _ []string, _ float64) error { return c.add(name, 1) }
func (c *countingSink) Count(name string, n int64, _ []string, _ float64) error {
	return c.add(name, n)
}
func (c *countingSink) Gauge(name string, _ float64, _ []string, _ float64) error {
	return c.add(name, 1)
}
func (c *countingSink) Timing(name string, _ time.Duration, _ []string, _ float64) error {
	return c.add(name, 1)
}

func (c *countingSink) total() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n int64
	for _, v := range c.counts {
		n += v
	}
	return n
}
