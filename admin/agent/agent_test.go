package agent_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balrog-go/balrog/admin"
	"github.com/balrog-go/balrog/admin/agent"
	"github.com/balrog-go/balrog/admin/auth"
	"github.com/balrog-go/balrog/migrations"
	"github.com/balrog-go/balrog/store/gormstore"
	"github.com/balrog-go/balrog/store/storetest"
)

const (
	adminUser = "balrogadmin"
	scheduler = "sched@example.com"
	relman    = "relman@example.com"
	qa        = "qa@example.com"
)

// env is one test database with the admin API over it.
type env struct {
	t   *testing.T
	db  *gormstore.DB
	srv *admin.Server
	h   http.Handler
}

func newEnv(t *testing.T, dbURL string) *env {
	t.Helper()
	ctx := context.Background()
	db, err := gormstore.Open(ctx, dbURL, gormstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, phase := range migrations.Phases {
		if _, err := db.Migrate(ctx, phase); err != nil {
			t.Fatal(err)
		}
	}
	e := &env{t: t, db: db}
	e.exec("INSERT INTO permissions (permission, username, options, data_version) VALUES ('admin', ?, NULL, 1)", adminUser)
	e.srv = admin.New(gormstore.NewAdminStore(db), admin.Config{Auth: auth.NewDev()})
	e.h = e.srv.Handler()
	return e
}

func (e *env) exec(q string, args ...any) {
	e.t.Helper()
	if _, err := e.db.SQL().Exec(q, args...); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
}

// call sends one admin request as user and fails the test on a status >= 300.
func (e *env) call(user, method, path, body string) string {
	e.t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader([]byte(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(auth.DevUserHeader, user)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	if rec.Code >= 300 {
		e.t.Fatalf("%s %s as %s: %d %s", method, path, user, rec.Code, rec.Body.String())
	}
	return rec.Body.String()
}

// schedule creates a scheduled change and returns its sc_id.
func (e *env) schedule(user, family, body string) int {
	e.t.Helper()
	var out struct {
		ScID int `json:"sc_id"`
	}
	if err := json.Unmarshal([]byte(e.call(user, "POST", "/scheduled_changes/"+family, body)), &out); err != nil || out.ScID == 0 {
		e.t.Fatalf("schedule %s: %v", family, err)
	}
	return out.ScID
}

func (e *env) queryInt(q string, args ...any) int {
	e.t.Helper()
	var n sql.NullInt64
	if err := e.db.SQL().QueryRow(q, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return int(n.Int64)
}

func (e *env) queryString(q string, args ...any) string {
	e.t.Helper()
	var s sql.NullString
	if err := e.db.SQL().QueryRow(q, args...).Scan(&s); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return s.String
}

// clock is a test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(ms int64)   { c.mu.Lock(); defer c.mu.Unlock(); c.t = time.UnixMilli(ms) }
func newClock(ms int64) *clock  { c := &clock{}; c.Set(ms); return c }
func releaseBlob(name string) string {
	return fmt.Sprintf(`{"name": %q, "schema_version": 1, "hashFunction": "sha512"}`, name)
}

// due is a scheduled time an hour from now, in milliseconds.
func due() int64 { return time.Now().Add(time.Hour).UnixMilli() }

// pass runs one pass and fails the test on a listing error.
func pass(t *testing.T, a *agent.Agent) agent.Result {
	t.Helper()
	res, err := a.Pass(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestEnactsEachFamilyWhenDueAndSignedOff schedules a rule, a release, a
// permission, a required-signoff and an emergency-shutoff change at T, each
// needing a relman and a qa signoff, and moves the agent's clock.
func TestEnactsEachFamilyWhenDueAndSignedOff(t *testing.T) {
	for _, d := range storetest.Databases(t) {
		t.Run(d.Name, func(t *testing.T) {
			e := newEnv(t, d.URL)
			// Data, before any requirement exists.
			e.call(adminUser, "PUT", "/releases/Firefox-1.0-build1",
				fmt.Sprintf(`{"name": "Firefox-1.0-build1", "product": "Firefox", "blob": %q}`, releaseBlob("Firefox-1.0-build1")))
			ruleID := e.call(adminUser, "POST", "/rules",
				`{"priority": 10, "backgroundRate": 100, "update_type": "minor", "product": "Firefox", "channel": "release", "mapping": "Firefox-1.0-build1"}`)
			e.call(adminUser, "POST", "/emergency_shutoff", `{"product": "Firefox", "channel": "release"}`)
			e.call(adminUser, "PUT", "/users/"+scheduler+"/permissions/admin", `{"options": null}`)
			for _, u := range []string{relman, qa} {
				e.call(adminUser, "PUT", "/users/"+u+"/permissions/rule", `{"options": "{\"products\": [\"Other\"]}"}`)
			}
			e.call(adminUser, "PUT", "/users/"+relman+"/roles/relman", ``)
			e.call(adminUser, "PUT", "/users/"+qa+"/roles/qa", ``)
			for _, ch := range []string{"release", "beta"} {
				for _, role := range []string{"relman", "qa"} {
					e.exec("INSERT INTO product_req_signoffs (product, channel, role, signoffs_required, data_version) VALUES ('Firefox', ?, ?, 1, 1)", ch, role)
				}
			}
			for _, role := range []string{"relman", "qa"} {
				e.exec("INSERT INTO permissions_req_signoffs (product, role, signoffs_required, data_version) VALUES ('Firefox', ?, 1, 1)", role)
			}

			T := due()
			changes := []struct {
				family string
				id     int
			}{
				{"rules", e.schedule(scheduler, "rules", fmt.Sprintf(`{"change_type": "update", "rule_id": %s, "data_version": 1, "when": %d,
					"priority": 10, "backgroundRate": 50, "update_type": "minor", "product": "Firefox", "channel": "release", "mapping": "Firefox-1.0-build1"}`, ruleID, T))},
				{"releases", e.schedule(scheduler, "releases", fmt.Sprintf(`{"change_type": "update", "name": "Firefox-1.0-build1", "data_version": 1, "when": %d,
					"data": %q}`, T, `{"name": "Firefox-1.0-build1", "schema_version": 1, "hashFunction": "sha512", "detailsUrl": "https://example.com/details"}`))},
				{"permissions", e.schedule(scheduler, "permissions", fmt.Sprintf(`{"change_type": "insert", "permission": "release", "username": "newbie@example.com",
					"options": "{\"products\": [\"Firefox\"]}", "when": %d}`, T))},
				{"required_signoffs/product", e.schedule(scheduler, "required_signoffs/product", fmt.Sprintf(`{"change_type": "delete", "product": "Firefox", "channel": "beta",
					"role": "relman", "data_version": 1, "when": %d}`, T))},
				{"emergency_shutoff", e.schedule(scheduler, "emergency_shutoff", fmt.Sprintf(`{"change_type": "delete", "product": "Firefox", "channel": "release",
					"data_version": 1, "when": %d}`, T))},
			}

			clk := newClock(T - 1000)
			a := agent.New(e.srv, agent.Config{Now: clk.Now})
			if res := pass(t, a); res.Enacted != 0 || res.NotReady != len(changes) {
				t.Fatalf("before T, unsigned: %+v", res)
			}
			for _, c := range changes {
				e.call(relman, "POST", fmt.Sprintf("/scheduled_changes/%s/%d/signoffs", c.family, c.id), `{"role": "relman"}`)
			}
			clk.Set(T)
			if res := pass(t, a); res.Enacted != 0 || res.NotReady != len(changes) || res.Failed != 0 {
				t.Fatalf("at T with one of two signoffs: %+v", res)
			}
			for _, c := range changes {
				e.call(qa, "POST", fmt.Sprintf("/scheduled_changes/%s/%d/signoffs", c.family, c.id), `{"role": "qa"}`)
			}
			clk.Set(T - 1)
			if res := pass(t, a); res.Enacted != 0 || res.NotReady != len(changes) {
				t.Fatalf("1 ms before T, signed off: %+v", res)
			}
			if n := e.queryInt("SELECT backgroundRate FROM rules WHERE rule_id = ?", ruleID); n != 100 {
				t.Fatalf("rule changed before T: backgroundRate %d", n)
			}
			clk.Set(T)
			if res := pass(t, a); res.Enacted != len(changes) || res.Failed != 0 || res.NotReady != 0 {
				t.Fatalf("at T, signed off: %+v", res)
			}
			if res := pass(t, a); res != (agent.Result{}) {
				t.Fatalf("second pass at T: %+v", res)
			}

			// Base rows changed, history attributed to the scheduler.
			if n := e.queryInt("SELECT backgroundRate FROM rules WHERE rule_id = ?", ruleID); n != 50 {
				t.Errorf("rule backgroundRate %d, want 50", n)
			}
			if s := e.queryString("SELECT data FROM releases WHERE name = 'Firefox-1.0-build1'"); !strings.Contains(s, "detailsUrl") {
				t.Errorf("release data not updated: %s", s)
			}
			if n := e.queryInt("SELECT COUNT(*) FROM permissions WHERE username = 'newbie@example.com' AND permission = 'release'"); n != 1 {
				t.Errorf("permission inserted %d times", n)
			}
			if n := e.queryInt("SELECT COUNT(*) FROM product_req_signoffs WHERE channel = 'beta' AND role = 'relman'"); n != 0 {
				t.Errorf("required signoff not deleted")
			}
			if n := e.queryInt("SELECT COUNT(*) FROM emergency_shutoffs"); n != 0 {
				t.Errorf("emergency shutoff not deleted")
			}
			for _, q := range []string{
				"SELECT changed_by FROM rules_history WHERE rule_id = " + ruleID + " ORDER BY change_id DESC LIMIT 1",
				"SELECT changed_by FROM releases_history WHERE name = 'Firefox-1.0-build1' ORDER BY change_id DESC LIMIT 1",
				"SELECT changed_by FROM permissions_history WHERE username = 'newbie@example.com' ORDER BY change_id DESC LIMIT 1",
				"SELECT changed_by FROM product_req_signoffs_history WHERE channel = 'beta' AND role = 'relman' ORDER BY change_id DESC LIMIT 1",
				"SELECT changed_by FROM emergency_shutoffs_history ORDER BY change_id DESC LIMIT 1",
			} {
				if by := e.queryString(q); by != scheduler {
					t.Errorf("%s: %q, want %q", q, by, scheduler)
				}
			}
			for _, c := range changes {
				table := strings.ReplaceAll(c.family, "required_signoffs/product", "product_req_signoffs")
				table = strings.ReplaceAll(table, "emergency_shutoff", "emergency_shutoffs")
				q := "SELECT COUNT(*) FROM " + table + "_scheduled_changes_history WHERE sc_id = ? AND complete = 1 AND changed_by = ?"
				if n := e.queryInt(q, c.id, scheduler); n != 1 {
					t.Errorf("%s %d: %d completion rows by the scheduler, want 1", c.family, c.id, n)
				}
			}
		})
	}
}

// TestFailingChangeDoesNotStopOthers: a change whose scheduler lost the
// permission fails first in the pass; the changes after it are enacted.
func TestFailingChangeDoesNotStopOthers(t *testing.T) {
	for _, d := range storetest.Databases(t) {
		t.Run(d.Name, func(t *testing.T) {
			e := newEnv(t, d.URL)
			e.call(adminUser, "PUT", "/releases/Thunderbird-1.0",
				fmt.Sprintf(`{"name": "Thunderbird-1.0", "product": "Thunderbird", "blob": %q}`, releaseBlob("Thunderbird-1.0")))
			var ids []string
			for i := range 3 {
				ids = append(ids, e.call(adminUser, "POST", "/rules", fmt.Sprintf(
					`{"priority": %d, "backgroundRate": 100, "update_type": "minor", "product": "Thunderbird", "channel": "c%d", "mapping": "Thunderbird-1.0"}`, i+1, i)))
			}
			e.call(adminUser, "PUT", "/users/"+scheduler+"/permissions/admin", `{"options": null}`)
			e.call(adminUser, "PUT", "/users/lost@example.com/permissions/rule", `{"options": null}`)
			T := due()
			update := func(user, id string, prio int, when int64) int {
				return e.schedule(user, "rules", fmt.Sprintf(`{"change_type": "update", "rule_id": %s, "data_version": 1, "when": %d,
					"priority": %d, "backgroundRate": 7, "update_type": "minor", "product": "Thunderbird", "mapping": "Thunderbird-1.0"}`, id, when, prio))
			}
			// The failing change sorts first: latest when.
			bad := update("lost@example.com", ids[0], 1, T+5000)
			update(scheduler, ids[1], 2, T)
			update(scheduler, ids[2], 3, T)
			e.call(adminUser, "DELETE", "/users/lost@example.com/permissions/rule?data_version=1", ``)

			var logs bytes.Buffer
			var reported []string
			a := agent.New(e.srv, agent.Config{Now: newClock(T + 5000).Now, Log: slog.New(slog.NewTextHandler(&logs, nil)),
				ReportError: func(route string, err error) { reported = append(reported, route) }})
			if res := pass(t, a); res.Enacted != 2 || res.Failed != 1 {
				t.Fatalf("pass: %+v\n%s", res, logs.String())
			}
			if len(reported) != 1 || reported[0] != "agent.enact" {
				t.Errorf("reported %q, want the one failed enactment", reported)
			}
			if !strings.Contains(logs.String(), "enacting scheduled change failed") || !strings.Contains(logs.String(), fmt.Sprintf("sc_id=%d", bad)) {
				t.Errorf("failure not logged:\n%s", logs.String())
			}
			if n := e.queryInt("SELECT COUNT(*) FROM rules WHERE backgroundRate = 7"); n != 2 {
				t.Errorf("%d rules changed, want 2", n)
			}
			if n := e.queryInt("SELECT COUNT(*) FROM rules_scheduled_changes WHERE sc_id = ? AND complete = 0", bad); n != 1 {
				t.Errorf("failed change is not left incomplete")
			}
			// It is retried (and fails again) on the next pass.
			if res := pass(t, a); res.Enacted != 0 || res.Failed != 1 {
				t.Fatalf("second pass: %+v", res)
			}
		})
	}
}

// TestTelemetryConditionsAreSkipped: a change with an uptake condition
// (only creatable in the database) is never enacted, and logged once.
func TestTelemetryConditionsAreSkipped(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t).URL)
	e.call(adminUser, "PUT", "/releases/Thunderbird-1.0",
		fmt.Sprintf(`{"name": "Thunderbird-1.0", "product": "Thunderbird", "blob": %q}`, releaseBlob("Thunderbird-1.0")))
	e.exec(`INSERT INTO rules_scheduled_changes (sc_id, scheduled_by, complete, change_type, data_version, base_priority, base_backgroundRate,
		base_update_type, base_product, base_mapping) VALUES (1, ?, 0, 'insert', 1, 5, 100, 'minor', 'Thunderbird', 'Thunderbird-1.0')`, scheduler)
	e.exec(`INSERT INTO rules_scheduled_changes_conditions (sc_id, telemetry_product, telemetry_channel, telemetry_uptake, data_version)
		VALUES (1, 'Thunderbird', 'release', 1000, 1)`)
	var logs bytes.Buffer
	a := agent.New(e.srv, agent.Config{Log: slog.New(slog.NewTextHandler(&logs, nil))})
	for range 3 {
		if res := pass(t, a); res.Telemetry != 1 || res.Enacted != 0 {
			t.Fatalf("pass: %+v", res)
		}
	}
	if n := strings.Count(logs.String(), "telemetry (uptake) condition"); n != 1 {
		t.Errorf("telemetry skip logged %d times, want once:\n%s", n, logs.String())
	}
	if n := e.queryInt("SELECT COUNT(*) FROM rules"); n != 0 {
		t.Errorf("telemetry change enacted")
	}
}

// TestOrder checks agent.md's order: v1 families in their order, rules by
// descending when then priority (missing = 0), then v2 releases.
func TestOrder(t *testing.T) {
	i := func(n int64) *int64 { return &n }
	var got []string
	src := &fakeSource{
		pending: admin.Pending{
			Changes: []admin.PendingChange{
				{Family: admin.FamilyPermissions, ScID: 2, When: i(1)},
				{Family: admin.FamilyRules, ScID: 1, When: i(23400), Priority: i(100)},
				{Family: admin.FamilyRules, ScID: 2, When: i(7000)},
				{Family: admin.FamilyRules, ScID: 3, When: i(7000), Priority: i(70)},
				{Family: admin.FamilyRules, ScID: 4, When: i(329), Priority: i(50)},
				{Family: admin.FamilyPermissions, ScID: 1, When: i(1)},
				{Family: admin.FamilyEmergencyShutoff, ScID: 9, When: i(1)},
				{Family: admin.FamilyReleases, ScID: 5, When: i(1)},
			},
			Releases: []admin.PendingRelease{{Name: "R", Changes: []admin.PendingChange{{Family: admin.FamilyV2Releases, ScID: 1, When: i(1)}}}},
		},
		log: &got,
	}
	a := agent.New(src, agent.Config{Now: newClock(1_000_000).Now})
	if _, err := a.Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := "rules/1 rules/3 rules/2 rules/4 releases/5 permissions/1 permissions/2 emergency_shutoff/9 v2:R"
	if strings.Join(got, " ") != want {
		t.Errorf("order %v\nwant  %s", got, want)
	}
}

type fakeSource struct {
	pending admin.Pending
	log     *[]string
}

func (f *fakeSource) PendingChanges(context.Context) (admin.Pending, error) { return f.pending, nil }
func (f *fakeSource) EnactChange(_ context.Context, fam admin.Family, id, _ int) error {
	*f.log = append(*f.log, fmt.Sprintf("%s/%d", fam, id))
	return nil
}
func (f *fakeSource) EnactRelease(_ context.Context, r admin.PendingRelease) error {
	*f.log = append(*f.log, "v2:"+r.Name)
	return nil
}

// TestRunLoop runs the loop with a short interval and moves the clock.
func TestRunLoop(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t).URL)
	e.call(adminUser, "PUT", "/releases/Thunderbird-1.0",
		fmt.Sprintf(`{"name": "Thunderbird-1.0", "product": "Thunderbird", "blob": %q}`, releaseBlob("Thunderbird-1.0")))
	e.call(adminUser, "PUT", "/users/"+scheduler+"/permissions/admin", `{"options": null}`)
	T := due()
	id := e.schedule(scheduler, "rules", fmt.Sprintf(`{"change_type": "insert", "when": %d, "priority": 5, "backgroundRate": 100,
		"update_type": "minor", "product": "Thunderbird", "mapping": "Thunderbird-1.0"}`, T))
	clk := newClock(T - 1)
	a := agent.New(e.srv, agent.Config{Interval: 5 * time.Millisecond, Now: clk.Now})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	time.Sleep(50 * time.Millisecond)
	if n := e.queryInt("SELECT COUNT(*) FROM rules"); n != 0 {
		t.Fatalf("enacted before T")
	}
	clk.Set(T)
	deadline := time.Now().Add(10 * time.Second)
	for e.queryInt("SELECT COUNT(*) FROM rules_scheduled_changes WHERE sc_id = ? AND complete = 1", id) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("not enacted by the loop")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if by := e.queryString("SELECT changed_by FROM rules_history WHERE data_version = 1 ORDER BY change_id DESC LIMIT 1"); by != scheduler {
		t.Errorf("rule inserted by %q", by)
	}
}

// TestV2ReleaseEnacted: a v2 release's scheduled changes are enacted
// together once due.
func TestV2ReleaseEnacted(t *testing.T) {
	for _, d := range storetest.Databases(t) {
		t.Run(d.Name, func(t *testing.T) {
			e := newEnv(t, d.URL)
			e.call(adminUser, "PUT", "/users/"+scheduler+"/permissions/admin", `{"options": null}`)
			T := due()
			e.call(scheduler, "PUT", "/v2/releases/Thunderbird-2.0", fmt.Sprintf(`{"product": "Thunderbird", "when": %d,
				"blob": {"name": "Thunderbird-2.0", "schema_version": 1, "hashFunction": "sha512"}}`, T))
			p, err := e.srv.PendingChanges(context.Background())
			if err != nil || len(p.Releases) != 1 {
				t.Fatalf("pending %+v %v", p, err)
			}
			clk := newClock(T - 1)
			a := agent.New(e.srv, agent.Config{Now: clk.Now})
			if res := pass(t, a); res.Enacted != 0 || res.NotReady != 1 {
				t.Fatalf("before T: %+v", res)
			}
			clk.Set(T)
			if res := pass(t, a); res.Enacted != 1 || res.Failed != 0 {
				t.Fatalf("at T: %+v", res)
			}
			if by := e.queryString("SELECT changed_by FROM releases_json_history WHERE name = 'Thunderbird-2.0' AND data_version = 1"); by != scheduler {
				t.Errorf("release inserted by %q", by)
			}
		})
	}
}

// TestConcurrentAgentsEnactOnce runs two agents against one MariaDB
// database over many due changes: each is enacted exactly once.
func TestConcurrentAgentsEnactOnce(t *testing.T) {
	d := storetest.MySQL(t)
	e := newEnv(t, d.URL)
	e.call(adminUser, "PUT", "/releases/Thunderbird-1.0",
		fmt.Sprintf(`{"name": "Thunderbird-1.0", "product": "Thunderbird", "blob": %q}`, releaseBlob("Thunderbird-1.0")))
	e.call(adminUser, "PUT", "/users/"+scheduler+"/permissions/admin", `{"options": null}`)
	const n = 40
	T := due()
	var ruleIDs []string
	for i := range n {
		id := e.call(adminUser, "POST", "/rules", fmt.Sprintf(
			`{"priority": %d, "backgroundRate": 100, "update_type": "minor", "product": "Thunderbird", "channel": "c%d", "mapping": "Thunderbird-1.0"}`, i+1, i))
		ruleIDs = append(ruleIDs, id)
		e.schedule(scheduler, "rules", fmt.Sprintf(`{"change_type": "update", "rule_id": %s, "data_version": 1, "when": %d,
			"priority": %d, "backgroundRate": 3, "update_type": "minor", "product": "Thunderbird", "channel": "c%d", "mapping": "Thunderbird-1.0"}`, id, T, i+1, i))
		e.schedule(scheduler, "permissions", fmt.Sprintf(`{"change_type": "insert", "permission": "rule", "username": "u%d@example.com",
			"options": null, "when": %d}`, i, T))
	}
	// Each agent has its own admin store and connection pool, as two
	// replicas would.
	other, err := gormstore.Open(context.Background(), d.URL, gormstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	clk := newClock(T)
	var logs syncBuffer
	agents := []*agent.Agent{
		agent.New(e.srv, agent.Config{Now: clk.Now, Log: slog.New(slog.NewTextHandler(&logs, nil))}),
		agent.New(admin.New(gormstore.NewAdminStore(other), admin.Config{Auth: admin.Unconfigured{}}),
			agent.Config{Now: clk.Now, Log: slog.New(slog.NewTextHandler(&logs, nil))}),
	}
	var total agent.Result
	for round := 0; round < 20 && e.queryInt("SELECT COUNT(*) FROM rules_scheduled_changes WHERE complete = 0")+
		e.queryInt("SELECT COUNT(*) FROM permissions_scheduled_changes WHERE complete = 0") > 0; round++ {
		var wg sync.WaitGroup
		results := make([]agent.Result, len(agents))
		for i, a := range agents {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := a.Pass(context.Background())
				if err != nil {
					t.Error(err)
				}
				results[i] = res
			}()
		}
		wg.Wait()
		for _, r := range results {
			total.Enacted += r.Enacted
			total.Stale += r.Stale
			total.Failed += r.Failed
		}
	}
	// How the losing agent learnt it lost: from a completed change, or
	// from the guarded completion that matched no row.
	t.Logf("two agents: %+v; stale because complete: %d, because the guarded update lost: %d", total,
		strings.Count(logs.String(), "already complete"), strings.Count(logs.String(), "OutdatedData")+strings.Count(logs.String(), "data_version is outdated"))
	if total.Enacted != 2*n {
		t.Errorf("enacted %d, want %d (%+v)", total.Enacted, 2*n, total)
	}
	for _, id := range ruleIDs {
		if v := e.queryInt("SELECT data_version FROM rules WHERE rule_id = ?", id); v != 2 {
			t.Errorf("rule %s at data_version %d, want 2", id, v)
		}
		if c := e.queryInt("SELECT COUNT(*) FROM rules_history WHERE rule_id = ? AND changed_by = ?", id, scheduler); c != 1 {
			t.Errorf("rule %s: %d history rows by the scheduler, want 1", id, c)
		}
	}
	if c := e.queryInt("SELECT COUNT(*) FROM permissions WHERE username LIKE 'u%@example.com'"); c != n {
		t.Errorf("%d permissions inserted, want %d", c, n)
	}
	for _, table := range []string{"rules", "permissions"} {
		q := "SELECT COUNT(*) FROM (SELECT sc_id FROM " + table + "_scheduled_changes_history WHERE complete = 1 GROUP BY sc_id HAVING COUNT(*) <> 1) x"
		if c := e.queryInt(q); c != 0 {
			t.Errorf("%s: %d changes with other than one completion", table, c)
		}
		if c := e.queryInt("SELECT COUNT(DISTINCT sc_id) FROM " + table + "_scheduled_changes_history WHERE complete = 1"); c != n {
			t.Errorf("%s: %d changes completed, want %d", table, c, n)
		}
	}
	if c := e.queryInt("SELECT COUNT(*) FROM permissions_history WHERE username LIKE 'u%@example.com' AND data_version = 1"); c != n {
		t.Errorf("%d permission insert history rows, want %d", c, n)
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
