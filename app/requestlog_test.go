package app

import (
	"encoding/json"
	"net/http"
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
		req, _ := http.NewRequest(method, "http://"+ctx.addr("admin")+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("Content-Type", "application/json")
		if user != "" {
			req.Header.Set("X-Balrog-Dev-User", user)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
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
