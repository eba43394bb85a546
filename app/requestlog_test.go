package app

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/balrog-go/balrog/store/storetest"
)

// TestAdminRequestLog checks the JSON shape of the admin request lines and
// that a token sent by a client never reaches the log.
func TestAdminRequestLog(t *testing.T) {
	d := storetest.SQLite(t)
	if r := runCmd(t, nil, "create-admin", "ops@example.com", "--db", d.URL); r.code != 0 {
		t.Fatalf("create-admin: %s", r.stderr)
	}
	ctx := startServe(t, d.URL, "--role", "admin", "--auth", "dev", "--log-format", "json")
	const secret = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXRva2Vu.c2lnbmF0dXJl"
	do := func(method, path, user, body string) int {
		return adminStatus(t, method, "http://"+ctx.addr("admin")+path, user, secret, body)
	}
	do("GET", "/rules", "", "")
	do("POST", "/api/rules", "ops@example.com", `{"product": "Firefox", "channel": "release", "mapping": null, "update_type": "minor", "priority": 1, "backgroundRate": 100}`)
	do("GET", "/rules/1", "", "")
	if code := ctx.stop(t); code != 0 {
		t.Fatalf("serve exited %d", code)
	}
	logs := ctx.stderr.String()
	if strings.Contains(logs, secret) || strings.Contains(logs, "c2VjcmV0") {
		t.Fatalf("the Authorization value reached the log:\n%s", logs)
	}
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs), "\n") {
		var rec struct {
			Type     string
			Logger   string
			Severity int
			Fields   map[string]any
		}
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("not a JSON log line: %q", l)
		}
		if rec.Fields["message"] == "admin request" {
			if rec.Logger != "Balrog" || rec.Severity != 200 {
				t.Errorf("envelope: %s", l)
			}
			lines = append(lines, rec.Fields)
		}
	}
	if len(lines) != 3 {
		t.Fatalf("want 3 admin request lines, got %d:\n%s", len(lines), logs)
	}
	want := []struct{ method, route, user string }{
		{"GET", "/rules", ""},
		{"POST", "/rules", "ops@example.com"},
		{"GET", "/rules/:id", ""},
	}
	for i, w := range want {
		f := lines[i]
		if f["method"] != w.method || f["route"] != w.route || f["user"] != w.user || f["status"] == nil || f["duration_ms"] == nil {
			t.Errorf("line %d = %v, want method %s route %s user %q with status and duration", i, f, w.method, w.route, w.user)
		}
	}
}

// TestPublicLogs checks the public role's logs: the sampled update-request
// lines on stdout (--request-log-sample 1) and the aggregated request line
// on stderr, both JSON, and that the Authorization header a client sends
// reaches neither.
func TestPublicLogs(t *testing.T) {
	scenario := filepath.Join(sharedDir(t), "conformance", "scenarios", "firefox-modern")
	d := storetest.SQLite(t)
	if r := runCmd(t, nil, "import", "--skip-validation", "--db", d.URL, scenario); r.code != 0 {
		t.Fatalf("import: %s", r.stderr)
	}
	s := startServe(t, d.URL, "--role", "public", "--log-format", "json", "--request-log-sample", "1",
		"--config", filepath.Join(scenario, "config.json"))
	const secret = "eyJhbGciOiJSUzI1NiJ9.cHVibGljLXNlY3JldA.c2lnbmF0dXJl"
	const update = "/update/6/Firefox/66.0/20190311211048/WINNT_x86-msvc/en-US/release/Windows_NT%2010.0.0.0/ISET:SSE4_2,MEM:16384/default/default/update.xml"
	for _, path := range []string{update, update, "/robots.txt"} {
		req, _ := http.NewRequest("GET", "http://"+s.addr("public")+path, nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if code := s.stop(t); code != 0 { // stopping writes the last aggregated line
		t.Fatalf("serve exited %d", code)
	}
	stdout, stderr := s.stdout.String(), s.stderr.String()
	if strings.Contains(stdout+stderr, secret) || strings.Contains(stdout+stderr, "cHVibGlj") {
		t.Fatalf("the Authorization value reached the log:\n%s\n%s", stdout, stderr)
	}
	type line struct {
		Type, Logger, Hostname, EnvVersion string
		Timestamp                          int64
		Severity, Pid                      int
		Fields                             map[string]any
	}
	parse := func(text string) []line {
		var out []line
		for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
			var rec line
			if err := json.Unmarshal([]byte(l), &rec); err != nil {
				t.Fatalf("not a JSON log line: %q", l)
			}
			if rec.Timestamp == 0 || rec.EnvVersion != "2.0" || rec.Pid == 0 {
				t.Errorf("envelope: %s", l)
			}
			out = append(out, rec)
		}
		return out
	}
	updates := parse(stdout)
	if len(updates) != 2 {
		t.Fatalf("want 2 update lines, got %d:\n%s", len(updates), stdout)
	}
	for _, u := range updates {
		f := u.Fields
		if u.Logger != "balrog.updates" || u.Type != "update_request" || f["product"] != "Firefox" || f["version"] != "66.0" ||
			f["channel"] != "release" || f["osVersion"] != "Windows_NT 10.0.0.0" || f["status"] != 200.0 || f["route"] != "U6" ||
			f["rule_id"] == nil || f["release"] == nil || f["outcome"] != "served" {
			t.Errorf("update line: %+v", u)
		}
	}
	var aggregated []map[string]any
	for _, rec := range parse(stderr) {
		if rec.Fields["message"] == "public requests" {
			aggregated = append(aggregated, rec.Fields)
		}
	}
	if len(aggregated) != 1 {
		t.Fatalf("want one aggregated request line, got %d:\n%s", len(aggregated), stderr)
	}
	a := aggregated[0]
	routes, _ := a["routes"].(map[string]any)
	if a["requests"] != 3.0 || a["status_2xx"] != 3.0 || routes["U6"] != 2.0 || routes["/robots.txt"] != 1.0 {
		t.Errorf("aggregated line: %v", a)
	}
}
