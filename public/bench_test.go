package public

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balrog-go/balrog/blobs"
	"github.com/balrog-go/balrog/rules/rulestest"
	"github.com/balrog-go/balrog/store"
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

// ruleCountDataset is rulestest.RuleCount's n rules and their releases,
// each with every build target and locale of rulestest.
func ruleCountDataset(n int) store.Dataset {
	rs, rels := rulestest.RuleCount(n)
	ds := store.Dataset{Rules: rs}
	for _, r := range rels {
		var platforms []string
		for _, t := range rulestest.Targets {
			var locales []string
			for _, l := range rulestest.Locales {
				locales = append(locales, fmt.Sprintf(`%q: {"buildID": "20240101000000", "completes": [{"from": "*", "filesize": 1234, "hashValue": "abc", "fileUrl": "http://download.mozilla.org/?product=x-%s-complete&os=x&lang=%s"}]}`, l, r.Version, l))
			}
			platforms = append(platforms, fmt.Sprintf(`%q: {"OS_BOUNCER": "x", "OS_FTP": "x", "locales": {%s}}`, t, strings.Join(locales, ", ")))
		}
		data := fmt.Sprintf(`{"name": %q, "schema_version": 4, "hashFunction": "sha512", "appVersion": %q, "displayVersion": %q, "platformVersion": %q, "platforms": {%s}}`,
			r.Name, r.Version, r.Version, r.Version, strings.Join(platforms, ", "))
		ds.Releases = append(ds.Releases, store.Release{Name: r.Name, Product: r.Product, Data: []byte(data)})
	}
	return ds
}

// BenchmarkServeUpdateRuleCount measures update requests through the
// public handler, data loaded and every answer cached, with 100 to 10 000
// rules of which the same 100 decide the answers (rulestest.RuleCount): the
// cost per request must not grow with the rules that match none of them.
// Each iteration is one request of a mix over every product and channel.
func BenchmarkServeUpdateRuleCount(b *testing.B) {
	urls := rulestest.URLs()
	var want []string
	for _, n := range []int{100, 1000, 5000, 10000} {
		h := ruleCountHandler(b, ruleCountDataset(n))
		reqs := make([]*http.Request, len(urls))
		var answers []string
		for i, u := range urls {
			reqs[i] = httptest.NewRequest(http.MethodGet, u, nil)
			reqs[i].RequestURI = u
			w := httptest.NewRecorder()
			h.ServeHTTP(w, reqs[i])
			if w.Code != http.StatusOK {
				b.Fatalf("%s: status %d: %s", u, w.Code, w.Body)
			}
			answers = append(answers, w.Header().Get("Rule-ID")+" "+w.Body.String())
		}
		// The added rules change no answer (a throttled rule's may differ
		// by its roll, as between two requests).
		if want == nil {
			want = answers
			if !slices.ContainsFunc(answers, func(a string) bool { return strings.Contains(a, "<update ") }) {
				b.Fatal("no request gets an update")
			}
		}
		for i := range want {
			if answers[i] != want[i] && !strings.Contains(urls[i], "/beta/") {
				b.Fatalf("%d rules change the answer to %s:\n%s\nwas\n%s", n, urls[i], answers[i], want[i])
			}
		}
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				w := &discardWriter{h: http.Header{}}
				h.ServeHTTP(w, reqs[i%len(reqs)])
				i++
			}
		})
	}
}

// ruleCountHandler loads ds into a fresh SQLite database and returns the
// public handler serving it.
func ruleCountHandler(b *testing.B, ds store.Dataset) *Handler {
	db := openLoaded(b, storetest.Database{Name: "sqlite", URL: "sqlite:///" + b.TempDir() + "/bench.db"}, ds)
	allow, err := blobs.NewAllowlist([]blobs.AllowlistHost{{Host: "download.mozilla.org", Products: rulestest.Products}})
	if err != nil {
		b.Fatal(err)
	}
	s := New(db, Config{Allowlist: allow}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if _, err := s.Load(context.Background()); err != nil {
		b.Fatal(err)
	}
	return s.NewHandler()
}
