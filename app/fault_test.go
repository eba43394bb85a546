package app

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balrog-go/balrog/admin/auth"
	"github.com/balrog-go/balrog/store/storetest"
)

// faultEnv is `balrog serve` (all roles, --auth=dev) over the firefox-modern
// scenario in a private mariadbd that the test can stop and start.
type faultEnv struct {
	m      *storetest.MariaDB
	db     *sql.DB // direct connection for checks, used only while m runs
	srv    *server
	client *http.Client
}

func newFaultEnv(t *testing.T) *faultEnv {
	t.Helper()
	m := storetest.PrivateMariaDB(t)
	url := m.CreateDatabase("balrog")
	if r := runCmd(t, nil, "migrate", "pre", "--db", url); r.code != 0 {
		t.Fatalf("migrate pre: %s", r.stderr)
	}
	scenario := filepath.Join(sharedDir(t), "conformance", "scenarios", "firefox-modern")
	if r := runCmd(t, nil, "import", "--skip-validation", "--db", url, scenario); r.code != 0 {
		t.Fatalf("import: %s", r.stderr)
	}
	db := m.Open("balrog")
	if _, err := db.Exec("INSERT INTO permissions (permission, username, options, data_version) VALUES ('admin', 'balrogadmin', NULL, 1)"); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, url, "--auth", "dev", "--config", filepath.Join(scenario, "config.json"),
		"--refresh-interval", "100ms", "--agent-interval", "200ms", "--log-level", "error", "--admin-rate-limit", "0")
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	t.Cleanup(client.CloseIdleConnections)
	return &faultEnv{m: m, db: db, srv: s, client: client}
}

// admin sends one admin request as balrogadmin.
func (f *faultEnv) admin(method, path, body string) (int, string, error) {
	code, b, _, err := f.adminWithHeaders(method, path, body)
	return code, b, err
}

// adminWithHeaders is admin, with the answer's headers.
func (f *faultEnv) adminWithHeaders(method, path, body string) (int, string, http.Header, error) {
	req, err := http.NewRequest(method, "http://"+f.srv.addr("admin")+path, strings.NewReader(body))
	if err != nil {
		return 0, "", nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(auth.DevUserHeader, "balrogadmin")
	resp, err := f.client.Do(req)
	if err != nil {
		return 0, "", nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header, err
}

// public fetches one public URL.
func (f *faultEnv) public(path string) (int, string, error) {
	resp, err := f.client.Get("http://" + f.srv.addr("public") + path)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// outageLength is how long the outage tests keep the database away: 3 s,
// or BALROG_FAULT_OUTAGE (a duration) to measure longer ones.
func outageLength(t *testing.T) time.Duration {
	t.Helper()
	v := os.Getenv("BALROG_FAULT_OUTAGE")
	if v == "" {
		return 3 * time.Second
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Fatalf("BALROG_FAULT_OUTAGE=%q: %v", v, err)
	}
	return d
}

// eventually polls cond until it holds or 30 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// outage stops the database, runs during while it is down, and starts it
// again; it returns how long the database was away.
func (f *faultEnv) outage(during func()) time.Duration {
	start := time.Now()
	f.m.Stop()
	during()
	f.m.Start()
	return time.Since(start)
}

// publicPaths are answers the public role serves from its snapshot: update
// queries of several kinds and the read-only API.
var publicPaths = []string{
	"/update/6/Firefox/66.0/20190311211048/WINNT_x86-msvc/en-US/release/Windows_NT%2010.0.0.0/ISET:SSE4_2,MEM:16384/default/default/update.xml",
	"/update/3/Firefox/56.0/20170926190823/Linux_x86_64-gcc3/en-US/release/Linux%204.4/default/default/update.xml",
	"/api/v1/rules",
	"/api/v1/releases",
}

// TestPublicReleaseTextDuringOutage: the API endpoints that read a release's
// stored text per request answer 503 (retry later), not 500, while the
// database is away, and answer again once it is back.
func TestPublicReleaseTextDuringOutage(t *testing.T) {
	f := newFaultEnv(t)
	const path = "/api/v1/releases/Firefox-66.0-build1"
	code, before, err := f.public(path)
	if err != nil || code != 200 {
		t.Fatalf("GET %s: %d %v", path, code, err)
	}
	f.outage(func() {
		code, body, err := f.public(path)
		if err != nil || code != http.StatusServiceUnavailable || !strings.Contains(body, `"title": "Service Unavailable"`) {
			t.Errorf("GET %s during the outage: %d %v %s", path, code, err, body)
		}
	})
	if code, after, err := f.public(path); err != nil || code != 200 || after != before {
		t.Errorf("GET %s after the outage: %d %v", path, code, err)
	}
}

// TestPublicServesThroughOutage: while the database is down, every public
// answer is the one it gave before (no 5xx); once the database is back, a
// change made through the admin API reaches the public answers.
func TestPublicServesThroughOutage(t *testing.T) {
	f := newFaultEnv(t)
	before := map[string]string{}
	for _, p := range publicPaths {
		code, body, err := f.public(p)
		if err != nil || code != 200 {
			t.Fatalf("GET %s before the outage: %d %v", p, code, err)
		}
		before[p] = body
	}
	var requests, failures int
	down := f.outage(func() {
		until := time.Now().Add(outageLength(t))
		for time.Now().Before(until) {
			for _, p := range publicPaths {
				requests++
				code, body, err := f.public(p)
				if err != nil || code != 200 || body != before[p] {
					failures++
					t.Errorf("GET %s during the outage: %d %v %.200s", p, code, err, body)
				}
			}
		}
	})
	t.Logf("database down %.1fs: %d public requests, %d not identical to before (0 5xx wanted)", down.Seconds(), requests, failures)
	for _, p := range publicPaths {
		if code, body, err := f.public(p); err != nil || code != 200 || body != before[p] {
			t.Errorf("GET %s after the outage: %d %v", p, code, err)
		}
	}
	// A change after recovery: shut off Firefox release updates.
	code, body, err := f.admin("POST", "/emergency_shutoff", `{"product": "Firefox", "channel": "release"}`)
	if err != nil || code != 201 {
		t.Fatalf("emergency shutoff after the outage: %d %s %v", code, body, err)
	}
	eventually(t, "public role sees the shutoff", func() bool {
		_, got, _ := f.public(publicPaths[0])
		return got != before[publicPaths[0]] && !strings.Contains(got, "<update ")
	})
}

// writeOutcome is what one admin write got.
type writeOutcome struct {
	kind string // "rule" or "release"
	key  string // rule alias or release name
	code int
	body string
	// retryAfter is the Retry-After header of the answer.
	retryAfter string
}

// TestAdminWritesAcrossOutage runs a stream of admin writes (new rules, new
// releases) from several clients and kills the database in the middle.
// Writes during the outage get 503 with a JSON problem; afterwards every
// accepted write is in the tables with its history rows, and no rejected
// write left a row anywhere.
func TestAdminWritesAcrossOutage(t *testing.T) {
	f := newFaultEnv(t)
	const writers = 4
	var (
		mu       sync.Mutex
		outcomes []writeOutcome
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				var o writeOutcome
				var hdr http.Header
				if i%2 == 0 {
					o = writeOutcome{kind: "rule", key: fmt.Sprintf("w%d-%d", w, i)}
					o.code, o.body, hdr, _ = f.adminWithHeaders("POST", "/rules", fmt.Sprintf(
						`{"priority": 5, "backgroundRate": 100, "update_type": "minor", "product": "Firefox", "channel": "fault-%s", "mapping": "Firefox-66.0-build1", "alias": "%s"}`, o.key, o.key))
				} else {
					o = writeOutcome{kind: "release", key: fmt.Sprintf("Fault-%d-%d", w, i)}
					o.code, o.body, hdr, _ = f.adminWithHeaders("PUT", "/releases/"+o.key, strings.ReplaceAll(
						`{"name": "NAME", "product": "Firefox", "blob": "{\"name\": \"NAME\", \"schema_version\": 1, \"hashFunction\": \"sha512\"}"}`, "NAME", o.key))
				}
				o.retryAfter = hdr.Get("Retry-After")
				mu.Lock()
				outcomes = append(outcomes, o)
				mu.Unlock()
			}
		}()
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(outcomes) }
	eventually(t, "writes before the outage", func() bool { return count() >= 40 })
	down := f.outage(func() {
		n := count()
		eventually(t, "writes during the outage", func() bool { return count() >= n+40 })
		time.Sleep(outageLength(t))
	})
	n := count()
	eventually(t, "writes after the outage", func() bool { return count() >= n+40 })
	close(stop)
	wg.Wait()

	accepted, rejected, ambiguous := 0, 0, 0
	for _, o := range outcomes {
		switch {
		case o.code == 200 && o.kind == "rule", o.code == 201 && o.kind == "release":
			accepted++
			f.checkWritten(t, o)
		case o.code == http.StatusServiceUnavailable:
			rejected++
			var p struct {
				Status int    `json:"status"`
				Title  string `json:"title"`
				Detail string `json:"detail"`
			}
			if err := json.Unmarshal([]byte(o.body), &p); err != nil || p.Status != 503 || p.Title != "Service Unavailable" ||
				!strings.Contains(p.Detail, "database is unavailable") && !strings.Contains(p.Detail, "entirely or not at all") {
				t.Errorf("%s %s: 503 body %q", o.kind, o.key, o.body)
			}
			if o.retryAfter != "5" {
				t.Errorf("%s %s: 503 Retry-After %q, want 5", o.kind, o.key, o.retryAfter)
			}
			// A write cut off while committing may have been made; if it
			// was, it is whole.
			if strings.Contains(p.Detail, "entirely or not at all") {
				ambiguous++
				if f.present(t, o) {
					f.checkWritten(t, o)
					break
				}
			}
			f.checkAbsent(t, o)
		default:
			t.Errorf("%s %s: %d %s, want success or 503", o.kind, o.key, o.code, o.body)
		}
	}
	if rejected == 0 {
		t.Error("no write was rejected: the outage was not observed")
	}
	f.checkHistoryConsistent(t)
	t.Logf("database down %.1fs: %d writes, %d accepted (all present with history), %d rejected with 503 (none left rows, except %d cut off while committing: whole or absent)",
		down.Seconds(), len(outcomes), accepted, rejected, ambiguous)
}

// checkWritten asserts an accepted write's row and history rows.
func (f *faultEnv) checkWritten(t *testing.T, o writeOutcome) {
	t.Helper()
	switch o.kind {
	case "rule":
		var id, dv, hist int
		if err := f.db.QueryRow("SELECT rule_id, data_version FROM rules WHERE alias = ?", o.key).Scan(&id, &dv); err != nil {
			t.Errorf("accepted rule %s: %v", o.key, err)
			return
		}
		if (o.code == 200 && strconv.Itoa(id) != strings.TrimSpace(o.body)) || dv != 1 {
			t.Errorf("accepted rule %s: id %d (answered %s), data_version %d", o.key, id, o.body, dv)
		}
		// The insert's marker row and its full row.
		if err := f.db.QueryRow("SELECT COUNT(*) FROM rules_history WHERE rule_id = ?", id).Scan(&hist); err != nil || hist != 2 {
			t.Errorf("accepted rule %s: %d history rows (%v), want 2", o.key, hist, err)
		}
	case "release":
		var hist int
		if err := f.db.QueryRow("SELECT COUNT(*) FROM releases WHERE name = ? AND data_version = 1", o.key).Scan(&hist); err != nil || hist != 1 {
			t.Errorf("accepted release %s: %d rows (%v)", o.key, hist, err)
		}
		if err := f.db.QueryRow("SELECT COUNT(*) FROM releases_history WHERE name = ?", o.key).Scan(&hist); err != nil || hist != 2 {
			t.Errorf("accepted release %s: %d history rows (%v), want 2", o.key, hist, err)
		}
	}
}

// present reports whether a write's rule or release exists.
func (f *faultEnv) present(t *testing.T, o writeOutcome) bool {
	t.Helper()
	q := map[string]string{"rule": "SELECT COUNT(*) FROM rules WHERE alias = ?", "release": "SELECT COUNT(*) FROM releases WHERE name = ?"}[o.kind]
	var n int
	if err := f.db.QueryRow(q, o.key).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// checkAbsent asserts a rejected write left no row.
func (f *faultEnv) checkAbsent(t *testing.T, o writeOutcome) {
	t.Helper()
	queries := map[string][]string{
		"rule":    {"SELECT COUNT(*) FROM rules WHERE alias = ?", "SELECT COUNT(*) FROM rules_history WHERE alias = ?"},
		"release": {"SELECT COUNT(*) FROM releases WHERE name = ?", "SELECT COUNT(*) FROM releases_history WHERE name = ?"},
	}
	for _, q := range queries[o.kind] {
		var n int
		if err := f.db.QueryRow(q, o.key).Scan(&n); err != nil || n != 0 {
			t.Errorf("rejected %s %s: %q finds %d (%v), want 0", o.kind, o.key, q, n, err)
		}
	}
}

// checkHistoryConsistent asserts every current rule and release has the
// history row of its current version.
func (f *faultEnv) checkHistoryConsistent(t *testing.T) {
	t.Helper()
	for _, q := range []string{
		"SELECT COUNT(*) FROM rules r WHERE NOT EXISTS (SELECT 1 FROM rules_history h WHERE h.rule_id = r.rule_id AND h.data_version = r.data_version)",
		"SELECT COUNT(*) FROM releases r WHERE NOT EXISTS (SELECT 1 FROM releases_history h WHERE h.name = r.name AND h.data_version = r.data_version)",
	} {
		var n int
		if err := f.db.QueryRow(q).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s: %d (%v), want 0", q, n, err)
		}
	}
}

// TestAgentEnactsAfterOutage schedules rule changes, takes the database away
// before they are due and brings it back after: the agent enacts each
// change exactly once.
func TestAgentEnactsAfterOutage(t *testing.T) {
	f := newFaultEnv(t)
	const changes = 5
	ids := make([]string, changes)
	for i := range ids {
		code, body, err := f.admin("POST", "/rules", fmt.Sprintf(
			`{"priority": 5, "backgroundRate": 100, "update_type": "minor", "product": "Firefox", "channel": "agent-%d", "mapping": "Firefox-66.0-build1"}`, i))
		if err != nil || code != 200 {
			t.Fatalf("create rule: %d %s %v", code, body, err)
		}
		ids[i] = strings.TrimSpace(body)
	}
	when := time.Now().Add(2 * time.Second)
	for i, id := range ids {
		code, body, err := f.admin("POST", "/scheduled_changes/rules", fmt.Sprintf(
			`{"change_type": "update", "rule_id": %s, "data_version": 1, "when": %d, "priority": %d, "backgroundRate": 100, "update_type": "minor", "product": "Firefox", "channel": "agent-%d", "mapping": "Firefox-66.0-build1"}`,
			id, when.UnixMilli(), 100+i, i))
		if err != nil || code != 200 {
			t.Fatalf("schedule change: %d %s %v", code, body, err)
		}
	}
	down := f.outage(func() {
		// Down from before the changes are due until well after.
		time.Sleep(time.Until(when) + outageLength(t))
	})
	enacted := func() int {
		var n int
		_ = f.db.QueryRow("SELECT COUNT(*) FROM rules_scheduled_changes WHERE complete = 1").Scan(&n)
		return n
	}
	eventually(t, "agent enacts the changes after the outage", func() bool { return enacted() == changes })
	// Give the agent more passes: nothing may be enacted twice.
	time.Sleep(time.Second)
	for i, id := range ids {
		var prio, dv, updates int
		if err := f.db.QueryRow("SELECT priority, data_version FROM rules WHERE rule_id = ?", id).Scan(&prio, &dv); err != nil {
			t.Fatal(err)
		}
		if err := f.db.QueryRow("SELECT COUNT(*) FROM rules_history WHERE rule_id = ? AND data_version > 1", id).Scan(&updates); err != nil {
			t.Fatal(err)
		}
		if prio != 100+i || dv != 2 || updates != 1 {
			t.Errorf("rule %s: priority %d, data_version %d, %d update history rows; want %d, 2, 1", id, prio, dv, updates, 100+i)
		}
	}
	t.Logf("database down %.1fs across the due time: %d scheduled changes enacted once each", down.Seconds(), changes)
}
