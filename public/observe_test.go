package public

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balrog-go/balrog/blobs"
	"github.com/balrog-go/balrog/metrics"
	"github.com/balrog-go/balrog/rules"
	"github.com/balrog-go/balrog/store"
	"github.com/balrog-go/balrog/store/storetest"
)

// tagSink records every metric as "name tag,tag" with how often it came.
type tagSink struct {
	mu   sync.Mutex
	seen map[string]int
}

func (s *tagSink) add(name string, tags []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen[name+" "+strings.Join(tags, ",")]++
	return nil
}

func (s *tagSink) Incr(name string, tags []string, _ float64) error { return s.add(name, tags) }
func (s *tagSink) Count(name string, _ int64, tags []string, _ float64) error {
	return s.add(name, tags)
}
func (s *tagSink) Gauge(name string, _ float64, tags []string, _ float64) error {
	return s.add(name, tags)
}
func (s *tagSink) Timing(name string, _ time.Duration, tags []string, _ float64) error {
	return s.add(name, tags)
}

func (s *tagSink) get(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen[key]
}

// outcomeDataset adds to testDataset a throttled rule with a fallback and
// a desupport rule.
func outcomeDataset() store.Dataset {
	ds := testDataset()
	ds.Releases = append(ds.Releases, store.Release{Name: "Desupport", Product: "Firefox",
		Data: []byte(`{"name":"Desupport","schema_version":50,"detailsUrl":"https://example.com/%LOCALE%","displayVersion":"1"}`)})
	ds.Rules = append(ds.Rules,
		rules.Rule{RuleID: 3, Priority: num(200), Mapping: str("Firefox-61.0-build1"), FallbackMapping: str("Firefox-60.0-build1"), BackgroundRate: num(0), UpdateType: "minor", Product: str("Firefox"), Channel: str("release"), Distribution: str("throttled"), DataVersion: 1},
		rules.Rule{RuleID: 4, Priority: num(70), Mapping: str("Desupport"), BackgroundRate: num(100), UpdateType: "minor", Product: str("Firefox"), Channel: str("aurora"), DataVersion: 1},
	)
	return ds
}

// updateURLFor is updateURL with another channel, or with the
// distribution "throttled" for the channel "release-throttled".
func updateURLFor(channel string) string {
	if channel == "release-throttled" {
		return strings.Replace(updateURL, "/default/default/", "/throttled/default/", 1)
	}
	return strings.Replace(updateURL, "/release/", "/"+channel+"/", 1)
}

func newObservedHandler(t testing.TB, cfg Config) *Handler {
	t.Helper()
	db := openLoaded(t, storetest.SQLite(t), outcomeDataset())
	allow, err := blobs.NewAllowlist([]blobs.AllowlistHost{{Host: "download.mozilla.org", Products: []string{"Firefox"}}})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Allowlist = allow
	s := New(db, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if _, err := s.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s.NewHandler()
}

func serve(h http.Handler, target string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.RequestURI = target
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// TestUpdateMetrics checks the outcome counter of each kind of answer,
// rendered and from the response cache, and the request counter's route
// and status_class tags.
func TestUpdateMetrics(t *testing.T) {
	sink := &tagSink{seen: map[string]int{}}
	h := newObservedHandler(t, Config{Metrics: sink})
	tests := []struct {
		channel string
		outcome string
	}{
		{"release", "served"},
		{"release-throttled", "fallback"},
		{"release-cdntest", "shutoff"},
		{"nightly", "no_update"},
		{"aurora", "desupport"},
	}
	for _, tt := range tests {
		for range 2 { // the second answer comes from the response cache
			if w := serve(h, updateURLFor(tt.channel)); w.Code != 200 {
				t.Fatalf("%s: status %d: %s", tt.channel, w.Code, w.Body)
			}
		}
		if n := sink.get(metrics.UpdateOutcomes + " outcome:" + tt.outcome); n != 2 {
			t.Errorf("%s: %s{outcome:%s} counted %d times, want 2", tt.channel, metrics.UpdateOutcomes, tt.outcome, n)
		}
	}
	serve(h, "/api/v1/rules/1")
	serve(h, "/update/6/Firefox/59.0/x/y/update.xml?bogus=1")
	for key, want := range map[string]int{
		metrics.PublicRequests + " route:U6,status_class:2xx":                         10,
		metrics.PublicRequestDuration + " route:U6,status_class:2xx":                  10,
		metrics.PublicRequests + " route:/api/v1/rules/:id_or_alias,status_class:2xx": 1,
		metrics.PublicRequests + " route:update_other,status_class:2xx":               1,
		metrics.ResponsePrefix + "update.200 ":                                        11,
		metrics.MakeResponse + " ":                                                    10,
		metrics.BlobCacheMisses + " ":                                                 2,
		metrics.BlobCacheHits + " ":                                                   1,
		metrics.BlobLoadDuration + " phase:read":                                      2,
		metrics.BlobLoadDuration + " phase:parse":                                     2,
	} {
		if got := sink.get(key); got != want {
			t.Errorf("%q sent %d times, want %d", key, got, want)
		}
	}
}

// TestMetricsDoNotAllocate checks that sending the metrics of an update
// request (answered from the response cache) allocates nothing more than
// answering it without metrics.
func TestMetricsDoNotAllocate(t *testing.T) {
	allocs := func(cfg Config) float64 {
		h := newObservedHandler(t, cfg)
		req := httptest.NewRequest(http.MethodGet, updateURL, nil)
		req.RequestURI = updateURL
		w := &discardWriter{h: http.Header{}}
		h.ServeHTTP(w, req)
		return testing.AllocsPerRun(200, func() { h.ServeHTTP(w, req) })
	}
	without, with := allocs(Config{}), allocs(Config{Metrics: newCountingSink()})
	if with > without {
		t.Errorf("an update request allocates %v times with metrics, %v without", with, without)
	}
}

// TestUpdateLogLines checks the sampled update-request log: one JSON line
// per request at sample 1, rendered or cached, with the parsed query and
// what was served; none at sample 0.
func TestUpdateLogLines(t *testing.T) {
	var out bytes.Buffer
	h := newObservedHandler(t, Config{UpdateLog: &out, UpdateLogSample: 1})
	serve(h, updateURL)
	serve(h, updateURL)
	serve(h, updateURLFor("nightly"))
	serve(h, "/api/v1/rules") // not an update request
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 lines, got %d:\n%s", len(lines), out.String())
	}
	type line struct {
		Timestamp  int64
		Type       string
		Logger     string
		EnvVersion string
		Severity   int
		Fields     map[string]any
	}
	var got []line
	for _, l := range lines {
		var rec line
		dec := json.NewDecoder(strings.NewReader(l))
		dec.UseNumber()
		if err := dec.Decode(&rec); err != nil {
			t.Fatalf("not JSON: %s: %v", l, err)
		}
		if rec.Logger != "balrog.updates" || rec.Type != "update_request" || rec.Timestamp == 0 || rec.Severity != 200 {
			t.Errorf("envelope: %s", l)
		}
		got = append(got, rec)
	}
	want := map[string]any{
		"route": "U6", "status": json.Number("200"), "product": "Firefox", "version": "59.0", "buildID": "20170101000000",
		"buildTarget": "WINNT_x86-msvc", "locale": "en-US", "channel": "release", "osVersion": "Windows_NT 10.0",
		"distribution": "default", "distVersion": "default", "instructionSet": "SSE3", "memory": json.Number("8192"),
		"jaws": nil, "mig64": nil, "pin": nil, "rule_id": json.Number("1"), "release": "Firefox-60.0-build1", "outcome": "served",
	}
	for i := range 2 {
		for k, v := range want {
			if got[i].Fields[k] != v {
				t.Errorf("line %d: %s = %#v, want %#v", i, k, got[i].Fields[k], v)
			}
		}
		if _, ok := got[i].Fields["duration_ms"].(json.Number); !ok {
			t.Errorf("line %d: no duration_ms", i)
		}
	}
	if f := got[2].Fields; f["rule_id"] != nil || f["release"] != nil || f["outcome"] != "no_update" || f["channel"] != "nightly" {
		t.Errorf("no-update line: %v", f)
	}

	var off bytes.Buffer
	h = newObservedHandler(t, Config{UpdateLog: &off, UpdateLogSample: 0})
	serve(h, updateURL)
	if off.Len() != 0 {
		t.Errorf("sample 0 wrote %q", off.String())
	}
}

// TestAggregatedRequestLog checks the public request log line: counts by
// route and status class since the last line, and no line when idle.
func TestAggregatedRequestLog(t *testing.T) {
	var out bytes.Buffer
	db := openLoaded(t, storetest.SQLite(t), testDataset())
	s := New(db, Config{}, slog.New(slog.NewJSONHandler(&out, nil)))
	if _, err := s.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := s.NewHandler()
	serve(h, updateURL)
	serve(h, updateURL)
	serve(h, "/nope")
	h.logRequests(time.Minute)
	h.logRequests(time.Minute) // nothing since: no line
	var rec map[string]any
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one line, got:\n%s", out.String())
	}
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	routes, _ := rec["routes"].(map[string]any)
	if rec["msg"] != "public requests" || rec["requests"] != 3.0 || rec["status_2xx"] != 2.0 || rec["status_4xx"] != 1.0 ||
		routes["U6"] != 2.0 || routes["other"] != 1.0 || rec["interval_s"] != 60.0 {
		t.Errorf("line: %s", lines[0])
	}
}

// panickySource panics when a release blob is read.
type panickySource struct{ Source }

func (panickySource) Release(context.Context, string) (store.Release, error) {
	panic("release read failed")
}

func (panickySource) ReadRelease(context.Context, string, func(store.Release) error) error {
	panic("release read failed")
}

// TestPanicAnswered500AndReported checks that a panic on the update path is
// answered 500, reported once with its route and counted as a 5xx.
func TestPanicAnswered500AndReported(t *testing.T) {
	db := openLoaded(t, storetest.SQLite(t), testDataset())
	var reported []string
	sink := &tagSink{seen: map[string]int{}}
	s := New(panickySource{db}, Config{Metrics: sink, ReportError: func(route string, err error) {
		reported = append(reported, route+": "+err.Error())
	}}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if _, err := s.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	w := serve(s.NewHandler(), updateURL)
	if w.Code != 500 {
		t.Fatalf("status %d, want 500", w.Code)
	}
	if len(reported) != 1 || !strings.HasPrefix(reported[0], "U6: panic: release read failed") {
		t.Errorf("reported %q", reported)
	}
	if sink.get(metrics.PublicRequests+" route:U6,status_class:5xx") != 1 {
		t.Errorf("the 500 was not counted: %v", sink.seen)
	}
}

// TestBlobLoadLogged checks the debug line of a blob load: the release,
// its size and the two phases' times; a cache hit logs nothing.
func TestBlobLoadLogged(t *testing.T) {
	var out bytes.Buffer
	db := openLoaded(t, storetest.SQLite(t), outcomeDataset())
	s := New(db, Config{}, slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if _, err := s.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := s.NewHandler()
	serve(h, updateURL)
	serve(h, updateURL)
	var loads []map[string]any
	for l := range strings.SplitSeq(strings.TrimSpace(out.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("not JSON: %s", l)
		}
		if rec["msg"] == "public: release loaded" {
			loads = append(loads, rec)
		}
	}
	if len(loads) != 1 {
		t.Fatalf("want one load logged, got %d:\n%s", len(loads), out.String())
	}
	l := loads[0]
	if l["release"] != "Firefox-60.0-build1" || l["level"] != "DEBUG" {
		t.Errorf("load line: %v", l)
	}
	for _, k := range []string{"bytes", "read_ms", "parse_ms", "data_version"} {
		if v, ok := l[k].(float64); !ok || v < 0 || (k == "bytes" && v == 0) {
			t.Errorf("load line: %s = %v", k, l[k])
		}
	}
}
