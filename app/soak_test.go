package app

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/balrog-go/balrog/store/gormstore"
	"github.com/balrog-go/balrog/store/storetest"
)

// soakDuration is how long TestSoak loads each database:
// BALROG_SOAK_DURATION (a Go duration) or 8s.
func soakDuration(t *testing.T) time.Duration {
	if v := os.Getenv("BALROG_SOAK_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("BALROG_SOAK_DURATION: %v", err)
		}
		return d
	}
	return 8 * time.Second
}

// soakMarker matches the version marker that every rendered field of the
// soak release carries.
var soakMarker = regexp.MustCompile(`mk[0-9]+x`)

// soakLocales are the locales of the soak release; each request asks for
// one of them.
var soakLocales = []string{"en-US", "de", "fr", "ja"}

// soakStats counts what the soak test did.
type soakStats struct {
	requests, public5xx, badAnswers atomic.Int64
	releaseWrites, ruleWrites       atomic.Int64
	scCreated, refused              atomic.Int64
	// written holds every marker of a release write that succeeded;
	// failed those of writes that were refused.
	mu              sync.Mutex
	written, failed map[string]bool
	observed        map[string]int
}

func (s *soakStats) record(set map[string]bool, mark string) {
	s.mu.Lock()
	set[mark] = true
	s.mu.Unlock()
}

// TestSoak runs the public role under load on loopback while an admin
// client keeps rewriting a release (every rendered field carries a version
// marker) and changing rules, and the agent enacts scheduled rule changes.
// Every public answer must be a 200 whose markers all name one version that
// a successful write stored (no torn read, nothing from a refused write);
// afterwards the history tables hold exactly one row per successful write
// and the public role serves the last version. BALROG_SOAK_DURATION sets
// the duration per database.
func TestSoak(t *testing.T) {
	for _, d := range storetest.Databases(t) {
		t.Run(d.Name, func(t *testing.T) { soak(t, d.URL, soakDuration(t)) })
	}
}

func soak(t *testing.T, dbURL string, duration time.Duration) {
	l := startLiveServer(t, dbURL)
	const name = "Firefox-60.0-build1"
	mark := func(n int) string { return fmt.Sprintf("mk%dx", n) }
	blob := func(n int) string {
		return releaseBody(name, "Firefox", v4Blob(name, "Firefox", mark(n), soakLocales, nil))
	}
	l.mustAdmin(t, "PUT", "/releases/"+name, blob(0))
	l.mustAdmin(t, "POST", "/rules", `{"priority": 10, "backgroundRate": 100, "update_type": "minor", "product": "Firefox", "channel": "release", "mapping": "`+name+`"}`)
	l.mustAdmin(t, "POST", "/rules", `{"priority": 10, "backgroundRate": 100, "update_type": "minor", "product": "Firefox", "channel": "beta", "mapping": "`+name+`"}`)
	st := &soakStats{written: map[string]bool{mark(0): true}, failed: map[string]bool{}, observed: map[string]int{}}
	waitPublic(t, l, updatePath("Firefox", "en-US", "release"), mark(0))
	before := soakHistory(t, dbURL)

	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	var wg sync.WaitGroup
	// Public load: update.xml for every locale and channel, and the
	// release through /api/v1.
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				target := updatePath("Firefox", soakLocales[(i+w)%len(soakLocales)], []string{"release", "beta"}[i%2])
				if i%5 == 4 {
					target = "/api/v1/releases/" + name
				}
				st.requests.Add(1)
				code, body, _, err := l.do("GET", l.public+target, "", "")
				if err != nil || code != 200 {
					if code >= 500 {
						st.public5xx.Add(1)
					}
					st.badAnswers.Add(1)
					t.Errorf("GET %s: %d %v %s", target, code, err, body)
					continue
				}
				soakCheckAnswer(t, st, target, body)
			}
		}(w)
	}
	// Release writer: every write a new marker, with the data_version of
	// the previous successful write.
	wg.Add(1)
	go func() {
		defer wg.Done()
		version := 1
		for n := 1; ctx.Err() == nil; n++ {
			body := strings.TrimSuffix(blob(n), "}") + fmt.Sprintf(`, "data_version": %d}`, version)
			if n%10 == 0 {
				// A stale data_version with a conflicting blob: refused.
				body = strings.TrimSuffix(blob(n), "}") + fmt.Sprintf(`, "data_version": %d}`, version+5)
			}
			code, resp, _, err := l.do("PUT", l.admin+"/releases/"+name, "balrogadmin", body)
			if err == nil && code == 200 {
				var r struct {
					New int `json:"new_data_version"`
				}
				if json.Unmarshal([]byte(resp), &r) != nil || r.New != version+1 {
					t.Errorf("release write %d: answer %s after data_version %d", n, resp, version)
				}
				version = r.New
				st.releaseWrites.Add(1)
				st.record(st.written, mark(n))
				continue
			}
			st.refused.Add(1)
			st.record(st.failed, mark(n))
			if n%10 != 0 || err != nil || code/100 != 4 {
				t.Errorf("release write %d: %d %v %s", n, code, err, resp)
			}
		}
	}()
	// Rule writer: updates rule 1 directly and schedules changes of rule 2
	// a moment ahead, which the agent enacts.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for n := 1; ctx.Err() == nil; n++ {
			code, resp, _, err := l.do("GET", l.admin+"/rules/1", "balrogadmin", "")
			var r struct {
				DataVersion int `json:"data_version"`
			}
			if err != nil || code != 200 || json.Unmarshal([]byte(resp), &r) != nil {
				t.Errorf("GET /rules/1: %d %v %s", code, err, resp)
				return
			}
			code, resp, _, err = l.do("PUT", l.admin+"/rules/1", "balrogadmin", fmt.Sprintf(`{"priority": %d, "data_version": %d}`, 10+n%50, r.DataVersion))
			if err != nil || code != 200 {
				t.Errorf("PUT /rules/1: %d %v %s", code, err, resp)
				return
			}
			st.ruleWrites.Add(1)
			if n%5 == 0 && soakNoPendingChange(t, l) {
				code, resp, _, err = l.do("GET", l.admin+"/rules/2", "balrogadmin", "")
				if err != nil || code != 200 || json.Unmarshal([]byte(resp), &r) != nil {
					t.Errorf("GET /rules/2: %d %v %s", code, err, resp)
					return
				}
				sc := fmt.Sprintf(`{"change_type": "update", "rule_id": 2, "data_version": %d, "when": %d, "priority": %d,
					"backgroundRate": 100, "update_type": "minor", "product": "Firefox", "channel": "beta", "mapping": "%s"}`,
					r.DataVersion, time.Now().Add(1500*time.Millisecond).UnixMilli(), 20+n%50, name)
				if code, resp, _, err = l.do("POST", l.admin+"/scheduled_changes/rules", "balrogadmin", sc); err != nil || code != 200 {
					t.Errorf("POST /scheduled_changes/rules: %d %v %s", code, err, resp)
					return
				}
				st.scCreated.Add(1)
			}
		}
	}()
	wg.Wait()

	// The agent enacts what is still pending; then the history holds one
	// row per successful update, and two per insert (Balrog's creation
	// marker, then the row).
	deadline := time.Now().Add(30 * time.Second)
	for !soakNoPendingChange(t, l) {
		if time.Now().After(deadline) {
			t.Fatal("scheduled changes still pending 30s after the load")
		}
		sleepShort()
	}
	after := soakHistory(t, dbURL)
	enacted := after["enacted"] - before["enacted"]
	want := map[string]int64{
		"releases_history":                st.releaseWrites.Load(),
		"rules_history":                   st.ruleWrites.Load() + int64(enacted),
		"rules_scheduled_changes_history": 2*st.scCreated.Load() + int64(enacted),
	}
	for table, w := range want {
		if got := int64(after[table] - before[table]); got != w {
			t.Errorf("%s: %d rows added, %d successful writes", table, got, w)
		}
	}
	if int64(enacted) != st.scCreated.Load() {
		t.Errorf("%d scheduled changes created, %d enacted", st.scCreated.Load(), enacted)
	}
	last := 0
	for m := range st.written {
		var n int
		fmt.Sscanf(m, "mk%dx", &n)
		last = max(last, n)
	}
	waitPublic(t, l, updatePath("Firefox", "de", "release"), mark(last))
	for m := range st.observed {
		if !st.written[m] {
			t.Errorf("marker %s was served but no successful write stored it (refused: %v)", m, st.failed[m])
		}
	}
	if st.releaseWrites.Load() == 0 || st.ruleWrites.Load() == 0 || st.scCreated.Load() == 0 || st.requests.Load() == 0 {
		t.Errorf("the soak did too little: %d requests, %d release writes, %d rule writes, %d scheduled changes",
			st.requests.Load(), st.releaseWrites.Load(), st.ruleWrites.Load(), st.scCreated.Load())
	}
	t.Logf("soak %s over %s: %d public requests (%d 5xx, %d bad), %d distinct versions served; writes: %d release, %d rule, %d scheduled changes enacted, %d refused as expected",
		dbURL[:strings.Index(dbURL, ":")], duration, st.requests.Load(), st.public5xx.Load(), st.badAnswers.Load(), len(st.observed),
		st.releaseWrites.Load(), st.ruleWrites.Load(), enacted, st.refused.Load())
}

// soakCheckAnswer checks one public answer: well-formed XML (or valid
// JSON) whose version markers all name the same version.
func soakCheckAnswer(t *testing.T, st *soakStats, target, body string) {
	if strings.HasPrefix(target, "/api/") {
		if !json.Valid([]byte(body)) {
			st.badAnswers.Add(1)
			t.Errorf("GET %s: invalid JSON %s", target, body)
			return
		}
	} else if err := wellFormedXML(body); err != nil {
		st.badAnswers.Add(1)
		t.Errorf("GET %s: %v\n%s", target, err, body)
		return
	}
	marks := soakMarker.FindAllString(body, -1)
	// update.xml: detailsURL, displayVersion, URL, hashValue; the JSON
	// has every field of every locale.
	if len(marks) < 4 {
		st.badAnswers.Add(1)
		t.Errorf("GET %s: %d markers in %s", target, len(marks), body)
		return
	}
	for _, m := range marks[1:] {
		if m != marks[0] {
			st.badAnswers.Add(1)
			t.Errorf("GET %s: torn read, markers %s and %s in one answer:\n%s", target, marks[0], m, body)
			return
		}
	}
	st.mu.Lock()
	st.observed[marks[0]]++
	st.mu.Unlock()
}

// soakNoPendingChange reports whether no scheduled rule change is pending.
func soakNoPendingChange(t *testing.T, l *liveServer) bool {
	code, body, _, err := l.do("GET", l.admin+"/scheduled_changes/rules", "balrogadmin", "")
	n, ok := rowCount(body)
	if err != nil || code != 200 || !ok {
		t.Errorf("GET /scheduled_changes/rules: %d %v %s", code, err, body)
		return true
	}
	return n == 0
}

// soakHistory counts the rows of the history tables the soak writes to,
// and the enacted scheduled changes ("enacted").
func soakHistory(t *testing.T, dbURL string) map[string]int {
	t.Helper()
	db, err := gormstore.Open(context.Background(), dbURL, gormstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string]int{}
	for key, q := range map[string]string{
		"releases_history":                "SELECT COUNT(*) FROM releases_history",
		"rules_history":                   "SELECT COUNT(*) FROM rules_history",
		"rules_scheduled_changes_history": "SELECT COUNT(*) FROM rules_scheduled_changes_history",
		"enacted":                         "SELECT COUNT(*) FROM rules_scheduled_changes WHERE complete = 1",
	} {
		var n int
		if err := db.SQL().QueryRow(q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		out[key] = n
	}
	return out
}
