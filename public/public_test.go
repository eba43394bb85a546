package public

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/balrog-go/balrog/blobs"
	"github.com/balrog-go/balrog/metrics"
	"github.com/balrog-go/balrog/migrations"
	"github.com/balrog-go/balrog/rules"
	"github.com/balrog-go/balrog/store"
	"github.com/balrog-go/balrog/store/gormstore"
	"github.com/balrog-go/balrog/store/storetest"
)

// countingSource counts every database call the public role makes.
type countingSource struct {
	Source
	calls atomic.Int64
}

func (c *countingSource) ChangeMarker(ctx context.Context) (string, error) {
	c.calls.Add(1)
	return c.Source.ChangeMarker(ctx)
}
func (c *countingSource) ReadSnapshot(ctx context.Context) (store.Snapshot, error) {
	c.calls.Add(1)
	return c.Source.ReadSnapshot(ctx)
}
func (c *countingSource) Release(ctx context.Context, name string) (store.Release, error) {
	c.calls.Add(1)
	return c.Source.Release(ctx, name)
}
func (c *countingSource) ReadRelease(ctx context.Context, name string, fn func(store.Release) error) error {
	c.calls.Add(1)
	return c.Source.ReadRelease(ctx, name, fn)
}

func str(s string) *string { return &s }
func num(n int) *int       { return &n }

// testBlob is a small V2 app-release blob for version and build id.
func testBlob(name, version, buildID string) []byte {
	return []byte(`{"name": "` + name + `", "schema_version": 2, "hashFunction": "sha512",
 "appVersion": "` + version + `", "displayVersion": "` + version + `", "platformVersion": "` + version + `",
 "fileUrls": {"release": "http://download.mozilla.org/?product=%PRODUCT%&os=%OS_BOUNCER%&lang=%LOCALE%"},
 "ftpFilenames": {"complete": "x.mar"}, "bouncerProducts": {"complete": "firefox-` + version + `-complete"},
 "platforms": {"WINNT_x86-msvc": {"buildID": "` + buildID + `", "OS_BOUNCER": "win", "OS_FTP": "win32",
   "locales": {"en-US": {"complete": {"filesize": 1234, "from": "*", "hashValue": "abc"}}}}}}`)
}

func testDataset() store.Dataset {
	return store.Dataset{
		Releases: []store.Release{
			{Name: "Firefox-60.0-build1", Product: "Firefox", Data: compactJSON(testBlob("Firefox-60.0-build1", "60.0", "20180101000000"))},
			{Name: "Firefox-61.0-build1", Product: "Firefox", Data: compactJSON(testBlob("Firefox-61.0-build1", "61.0", "20180201000000"))},
		},
		Rules: []rules.Rule{
			{RuleID: 1, Alias: str("release"), Priority: num(100), Mapping: str("Firefox-60.0-build1"), BackgroundRate: num(100), UpdateType: "minor", Product: str("Firefox"), Channel: str("release"), DataVersion: 1},
			{RuleID: 2, Priority: num(90), Mapping: str("Firefox-61.0-build1"), BackgroundRate: num(100), UpdateType: "minor", Product: str("Firefox"), Channel: str("beta"), DataVersion: 3},
		},
		Shutoffs: []rules.Shutoff{{Product: "Firefox", Channel: "release-cdntest", DataVersion: 1}},
		Pins:     []rules.Pin{{Product: "Firefox", Channel: "release", Version: "60.", Mapping: "Firefox-60.0-build1", DataVersion: 1}},
	}
}

func compactJSON(b []byte) []byte {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		panic(err)
	}
	out, _ := json.Marshal(v)
	return out
}

// openLoaded migrates a fresh database, imports ds and returns it.
func openLoaded(t testing.TB, d storetest.Database, ds store.Dataset) *gormstore.DB {
	t.Helper()
	ctx := context.Background()
	db, err := gormstore.Open(ctx, d.URL, gormstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, p := range migrations.Phases {
		if _, err := db.Migrate(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Import(ctx, ds, "test"); err != nil {
		t.Fatal(err)
	}
	return db
}

func newTestService(t testing.TB, src Source) (*Service, *httptest.Server) {
	t.Helper()
	allow, err := blobs.NewAllowlist([]blobs.AllowlistHost{{Host: "download.mozilla.org", Products: []string{"Firefox"}}})
	if err != nil {
		t.Fatal(err)
	}
	s := New(src, Config{Allowlist: allow, ForceHosts: []string{"http://download.mozilla.org"}}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if _, err := s.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.NewHandler())
	t.Cleanup(srv.Close)
	return s, srv
}

func fetch(t *testing.T, url string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

const updateURL = "/update/6/Firefox/59.0/20170101000000/WINNT_x86-msvc/en-US/release/Windows_NT%2010.0/ISET:SSE3,MEM:8192/default/default/update.xml"

func TestUnchangedDataMakesNoDatabaseQueries(t *testing.T) {
	for _, d := range storetest.Databases(t) {
		t.Run(d.Name, func(t *testing.T) {
			src := &countingSource{Source: openLoaded(t, d, testDataset())}
			_, srv := newTestService(t, src)
			// The first request for a release loads its blob once.
			code, body, hdr := fetch(t, srv.URL+updateURL)
			if code != 200 || !strings.Contains(body, `appVersion="60.0"`) || hdr.Get("Rule-ID") != "1" {
				t.Fatalf("first answer: %d %s %v", code, body, hdr)
			}
			before := src.calls.Load()
			for range 200 {
				if code, again, _ := fetch(t, srv.URL+updateURL); code != 200 || again != body {
					t.Fatalf("answer changed: %d %s", code, again)
				}
				fetch(t, srv.URL+"/update/3/Firefox/59.0/2/WINNT_x86-msvc/en-US/beta/a/default/default/update.xml")
			}
			// The beta release was loaded once too; nothing else touches the database.
			if n := src.calls.Load() - before; n != 1 {
				t.Errorf("400 update requests made %d database calls, want 1 (the beta blob's first load)", n)
			}
		})
	}
}

func TestRefreshPicksUpChanges(t *testing.T) {
	d := storetest.SQLite(t)
	db := openLoaded(t, d, testDataset())
	s, srv := newTestService(t, db)
	// An unchanged database: the marker matches, nothing reloads.
	if loaded, err := s.Load(context.Background()); err != nil || loaded {
		t.Fatalf("Load on unchanged data = %v, %v", loaded, err)
	}
	if _, err := db.SQL().Exec("UPDATE rules SET mapping = 'Firefox-61.0-build1', data_version = 2 WHERE rule_id = 1"); err != nil {
		t.Fatal(err)
	}
	if loaded, err := s.Load(context.Background()); err != nil || !loaded {
		t.Fatalf("Load after a change = %v, %v", loaded, err)
	}
	code, body, hdr := fetch(t, srv.URL+updateURL)
	if code != 200 || !strings.Contains(body, `appVersion="61.0"`) || hdr.Get("Rule-Data-Version") != "2" {
		t.Errorf("after the change: %d %s %v", code, body, hdr)
	}
}

func TestNoDataYetIs503(t *testing.T) {
	d := storetest.SQLite(t)
	db := openLoaded(t, d, testDataset())
	s := New(db, Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv := httptest.NewServer(s.NewHandler())
	defer srv.Close()
	if code, _, _ := fetch(t, srv.URL+updateURL); code != http.StatusServiceUnavailable {
		t.Errorf("before any load: %d, want 503", code)
	}
}

// releaseListing is /api/v1/releases for testDataset.
const releaseListing = `{"releases":[{"data_version":1,"name":"Firefox-60.0-build1","product":"Firefox","read_only":false,"rule_ids":[1],"rule_info":{"1":{"channel":"release","product":"Firefox"}}},` +
	`{"data_version":1,"name":"Firefox-61.0-build1","product":"Firefox","read_only":false,"rule_ids":[2],"rule_info":{"2":{"channel":"beta","product":"Firefox"}}}]}` + "\n"

// TestReleaseListingFollowsSnapshot checks that the release listing, made
// once per snapshot, is made again from the next one.
func TestReleaseListingFollowsSnapshot(t *testing.T) {
	ctx := context.Background()
	db := openLoaded(t, storetest.SQLite(t), testDataset())
	s, srv := newTestService(t, db)
	if _, body, _ := fetch(t, srv.URL+"/api/v1/releases"); body != releaseListing {
		t.Fatalf("listing:\n%s", body)
	}
	name := "Firefox-62.0-build1"
	ds := store.Dataset{Releases: []store.Release{{Name: name, Product: "Firefox", Data: compactJSON(testBlob(name, "62.0", "20180301000000"))}}}
	if err := db.Import(ctx, ds, "test"); err != nil {
		t.Fatal(err)
	}
	if loaded, err := s.Load(ctx); err != nil || !loaded {
		t.Fatalf("reload: %v, %v", loaded, err)
	}
	want := strings.TrimSuffix(releaseListing, "]}\n") + `,{"data_version":1,"name":"Firefox-62.0-build1","product":"Firefox","read_only":false,"rule_ids":[],"rule_info":{}}]}` + "\n"
	if _, body, _ := fetch(t, srv.URL+"/api/v1/releases"); body != want {
		t.Errorf("after the reload:\n%s\nwant\n%s", body, want)
	}
}

func TestAPIv1(t *testing.T) {
	d := storetest.SQLite(t)
	_, srv := newTestService(t, openLoaded(t, d, testDataset()))
	tests := []struct {
		path, want string
		status     int
	}{
		{"/api/v1/rules", `{"count":2,"rules":[{"alias":null,"backgroundRate":100,"buildID":null,"buildTarget":null,"channel":"beta","comment":null,"data_version":3,"distVersion":null,"distribution":null,"fallbackMapping":null,"headerArchitecture":null,"instructionSet":null,"jaws":null,"locale":null,"mapping":"Firefox-61.0-build1","memory":null,"mig64":null,"osVersion":null,"priority":90,"product":"Firefox","rule_id":2,"update_type":"minor","version":null},{"alias":"release","backgroundRate":100,"buildID":null,"buildTarget":null,"channel":"release","comment":null,"data_version":1,"distVersion":null,"distribution":null,"fallbackMapping":null,"headerArchitecture":null,"instructionSet":null,"jaws":null,"locale":null,"mapping":"Firefox-60.0-build1","memory":null,"mig64":null,"osVersion":null,"priority":100,"product":"Firefox","rule_id":1,"update_type":"minor","version":null}]}` + "\n", 200},
		{"/api/v1/rules?product=Thunderbird", `{"count":0,"rules":[]}` + "\n", 200},
		{"/api/v1/rules/release", "", 200},
		{"/api/v1/rules/99", "", 404},
		{"/api/v1/rules?foo=1", "", 400},
		{"/api/v1/releases?names_only=1&product=Firefox", `{"names":["Firefox-60.0-build1","Firefox-61.0-build1"]}` + "\n", 200},
		{"/api/v1/releases", releaseListing, 200},
		{"/api/v1/releases", releaseListing, 200}, // made once per snapshot
		{"/api/v1/releases?product=Firefox&name_prefix=Firefox-61", `{"releases":[{"data_version":1,"name":"Firefox-61.0-build1","product":"Firefox","read_only":false,"rule_ids":[2],"rule_info":{"2":{"channel":"beta","product":"Firefox"}}}]}` + "\n", 200},
		{"/api/v1/releases/Firefox-60.0-build1/builds/WINNT_x86-msvc/en-US", `{"complete": {"filesize": 1234, "from": "*", "hashValue": "abc"}}`, 200},
		{"/api/v1/releases/nope", `{"detail": "Release name: nope not found", "status": 404, "title": "Not Found", "type": "about:blank"}`, 404},
		{"/api/v1/emergency_shutoff", `{"count":1,"shutoffs":[{"channel":"release-cdntest","comment":null,"data_version":1,"product":"Firefox"}]}` + "\n", 200},
		{"/api/v1/pins/Firefox/release/60.", `{"channel": "release", "data_version": 1, "mapping": "Firefox-60.0-build1", "product": "Firefox", "version": "60."}`, 200},
		{"/api/v1/rules/1/revisions", "", 200},
		{"/api/v1/rules/1/revisions?page=0", "", 400},
	}
	for _, tt := range tests {
		code, body, _ := fetch(t, srv.URL+tt.path)
		if code != tt.status || (tt.want != "" && body != tt.want) {
			t.Errorf("GET %s = %d\n%s\nwant %d\n%s", tt.path, code, body, tt.status, tt.want)
		}
	}
	_, body, hdr := fetch(t, srv.URL+"/api/v1/releases/Firefox-60.0-build1")
	if hdr.Get("X-Data-Version") != "1" || !strings.HasPrefix(body, `{"appVersion": "60.0", "bouncerProducts": {"complete": `) {
		t.Errorf("release blob: %v %s", hdr, body)
	}
	_, body, _ = fetch(t, srv.URL+"/api/v1/rules/1/revisions")
	var revs struct {
		Count int              `json:"count"`
		Rules []map[string]any `json:"rules"`
	}
	if json.Unmarshal([]byte(body), &revs) != nil || revs.Count != 1 || revs.Rules[0]["changed_by"] != "test" {
		t.Errorf("revisions: %s", body)
	}
}

// TestServesThroughDatabaseOutage cuts the database away from a loaded
// public role: what it has loaded keeps being answered, and the heartbeat
// says the snapshot is stale.
func TestServesThroughDatabaseOutage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "balrog.db")
	db := openLoaded(t, storetest.Database{Name: "sqlite", URL: "sqlite:///" + path}, testDataset())
	s, srv := newTestService(t, db)
	code, body, _ := fetch(t, srv.URL+updateURL)
	if code != 200 {
		t.Fatalf("before the outage: %d", code)
	}
	db.Close() // every later query fails
	for range 50 {
		if c, b, _ := fetch(t, srv.URL+updateURL); c != 200 || b != body {
			t.Fatalf("during the outage: %d %s", c, b)
		}
	}
	s.refresh(context.Background()) // a failed refresh keeps the snapshot
	if c, b, _ := fetch(t, srv.URL+updateURL); c != 200 || b != body {
		t.Fatalf("after a failed refresh: %d %s", c, b)
	}
	if _, err := s.Health(context.Background()); err == nil || !strings.Contains(err.Error(), "snapshot") {
		t.Errorf("health during the outage: %v", err)
	}
	os.Remove(path)
}

// recordingGauges keeps what the public role reports.
type recordingGauges struct {
	mu     sync.Mutex
	gauges map[string]float64
	incrs  map[string]int
}

func (r *recordingGauges) Gauge(name string, v float64, _ []string, _ float64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gauges[name] = v
	return nil
}

func (r *recordingGauges) Timing(name string, _ time.Duration, _ []string, _ float64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.incrs[name+"#timing"]++
	return nil
}

func (r *recordingGauges) Incr(name string, _ []string, _ float64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.incrs[name]++
	return nil
}

func (r *recordingGauges) Count(name string, n int64, _ []string, _ float64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.incrs[name] += int(n)
	return nil
}

func TestStalenessIsReported(t *testing.T) {
	db := openLoaded(t, storetest.SQLite(t), testDataset())
	m := &recordingGauges{gauges: map[string]float64{}, incrs: map[string]int{}}
	s := New(db, Config{Metrics: m}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.refresh(context.Background())
	if _, ok := m.gauges[metrics.SnapshotAge]; !ok || m.incrs[metrics.SnapshotRefreshErrors] != 0 {
		t.Fatalf("after a good refresh: %v %v", m.gauges, m.incrs)
	}
	db.Close()
	s.refresh(context.Background())
	if m.incrs[metrics.SnapshotRefreshErrors] != 1 {
		t.Errorf("refresh errors = %d, want 1", m.incrs[metrics.SnapshotRefreshErrors])
	}
}

func TestResponseCounters(t *testing.T) {
	db := openLoaded(t, storetest.SQLite(t), testDataset())
	m := &recordingGauges{gauges: map[string]float64{}, incrs: map[string]int{}}
	s := New(db, Config{Metrics: m}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if _, err := s.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.NewHandler())
	defer srv.Close()
	fetch(t, srv.URL+updateURL)
	fetch(t, srv.URL+updateURL+"?foo=1")
	fetch(t, srv.URL+"/json/1/Guardian/1.0/WINNT/release/update.json")
	fetch(t, srv.URL+"/robots.txt")
	fetch(t, srv.URL+"/__lbheartbeat__")
	want := map[string]int{
		"public.response.update.200":   1,
		"public.response.update.400":   1,
		"public.response.json.404":     1,
		"public.response.unknown.200":  1,
		metrics.ParseQuery + "#timing": 3,
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for name, n := range want {
		if m.incrs[name] != n {
			t.Errorf("%s = %d, want %d (all: %v)", name, m.incrs[name], n, m.incrs)
		}
	}
	for name := range m.incrs {
		if strings.Contains(name, "lbheartbeat") || strings.HasPrefix(name, "public.response.unknown.") && name != "public.response.unknown.200" {
			t.Errorf("unexpected counter %s", name)
		}
	}
}

// scribblingSource overwrites every release blob it has lent to
// ReadRelease's callback once the callback returns, as a database driver
// reusing its buffer may.
type scribblingSource struct{ Source }

func (s scribblingSource) ReadRelease(ctx context.Context, name string, fn func(store.Release) error) error {
	return s.Source.ReadRelease(ctx, name, func(rel store.Release) error {
		err := fn(rel)
		for i := range rel.Data {
			rel.Data[i] = 'x'
		}
		return err
	})
}

// TestBlobsOutliveTheDriverBuffer checks that a blob parsed from the
// database driver's buffer keeps nothing of it: the answers are the same
// when the buffer is overwritten right after the parse.
func TestBlobsOutliveTheDriverBuffer(t *testing.T) {
	for _, d := range storetest.Databases(t) {
		t.Run(d.Name, func(t *testing.T) {
			db := openLoaded(t, d, testDataset())
			_, plain := newTestService(t, db)
			_, scribbled := newTestService(t, scribblingSource{db})
			for _, target := range []string{updateURL, "/api/v1/releases/Firefox-60.0-build1"} {
				wantStatus, want, _ := fetch(t, plain.URL+target)
				if status, got, _ := fetch(t, scribbled.URL+target); status != wantStatus || got != want {
					t.Errorf("%s: %d %s\nwant %d %s", target, status, got, wantStatus, want)
				}
				if wantStatus != 200 || !strings.Contains(want, "<patch ") && !strings.Contains(want, `"en-US"`) {
					t.Errorf("%s: %d %s: not an answer that reads the blob", target, wantStatus, want)
				}
			}
		})
	}
}
