package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/balrog-go/balrog/admin/auth"
	"github.com/balrog-go/balrog/store/gormstore"
)

// liveServer is `balrog serve --role=all --auth=dev` on loopback over one
// database, with an admin user "balrogadmin", for tests that talk to both
// roles over real HTTP.
type liveServer struct {
	*server
	admin, public, agent string // base URLs
	client               *http.Client
}

// migrateWithAdmin runs `migrate pre` and grants balrogadmin the admin
// permission, without history.
func migrateWithAdmin(t *testing.T, dbURL string) {
	t.Helper()
	if r := runCmd(t, nil, "migrate", "pre", "--db", dbURL); r.code != 0 {
		t.Fatalf("migrate pre: %s", r.stderr)
	}
	db, err := gormstore.Open(context.Background(), dbURL, gormstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.SQL().Exec("INSERT INTO permissions (permission, username, options, data_version) VALUES ('admin', 'balrogadmin', NULL, 1)")
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
}

// startLiveServer migrates the database, grants balrogadmin the admin
// permission and starts every role with a short refresh interval and no
// admin rate limit (the tests write as fast as they can). The
// allowlist lets Firefox and Thunderbird download from archive.mozilla.org.
func startLiveServer(t *testing.T, dbURL string, extra ...string) *liveServer {
	t.Helper()
	migrateWithAdmin(t, dbURL)
	config := filepath.Join(t.TempDir(), "config.json")
	conf := `{"domain_allowlist": {"archive.mozilla.org": ["Firefox", "Thunderbird"]}, "system_accounts": ["balrogagent"]}`
	if err := os.WriteFile(config, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--role", "all", "--auth", "dev", "--config", config, "--log-level", "error",
		"--refresh-interval", "50ms", "--agent-interval", "200ms", "--admin-rate-limit", "0"}, extra...)
	s := startServe(t, dbURL, args...)
	return &liveServer{
		server: s,
		admin:  "http://" + s.addr("admin"),
		public: "http://" + s.addr("public"),
		agent:  "http://" + s.addr("agent"),
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}},
	}
}

// do sends one request; user "" sends no dev-auth header. It returns the
// status, the body and the Content-Type, or an error for a failed exchange.
func (l *liveServer) do(method, url, user, body string) (int, string, string, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return 0, "", "", err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if user != "" {
		req.Header.Set(auth.DevUserHeader, user)
	}
	resp, err := l.client.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header.Get("Content-Type"), err
}

// adminDo sends an admin request as balrogadmin and fails the test when
// the exchange itself fails.
func (l *liveServer) adminDo(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	code, b, _, err := l.do(method, l.admin+path, "balrogadmin", body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return code, b
}

// mustAdmin is adminDo that also requires a 2xx answer.
func (l *liveServer) mustAdmin(t *testing.T, method, path, body string) string {
	t.Helper()
	code, b := l.adminDo(t, method, path, body)
	if code/100 != 2 {
		t.Fatalf("%s %s: %d %s", method, path, code, b)
	}
	return b
}

// releaseBody is the v1 PUT /releases/{name} body of a blob.
func releaseBody(name, product string, blob any) string {
	bb, _ := json.Marshal(blob)
	b, _ := json.Marshal(map[string]any{"name": name, "product": product, "blob": string(bb)})
	return string(b)
}

// sleepShort waits a little between polls.
func sleepShort() { time.Sleep(25 * time.Millisecond) }

// v4Blob is a schema 4 app release with one platform and the given
// locales, every string of which carries mark, and extra top-level keys.
func v4Blob(name, product, mark string, locales []string, extra map[string]any) map[string]any {
	locs := map[string]any{}
	for _, l := range locales {
		locs[l] = map[string]any{
			"buildID":         "20190101000000",
			"displayVersion":  "display-" + mark,
			"appVersion":      "56.0",
			"platformVersion": "56.0",
			"completes": []any{map[string]any{
				"from": "*", "filesize": 1000, "hashValue": "hash-" + mark,
			}},
		}
	}
	b := map[string]any{
		"name": name, "schema_version": 4, "hashFunction": "sha512",
		"appVersion": "56.0", "displayVersion": "display-" + mark, "platformVersion": "56.0",
		"detailsUrl": "https://archive.mozilla.org/details/" + mark,
		"fileUrls": map[string]any{"*": map[string]any{"completes": map[string]any{
			"*": "https://archive.mozilla.org/" + product + "/" + mark + "/%LOCALE%/complete.mar"}}},
		"platforms": map[string]any{"WINNT_x86-msvc": map[string]any{"OS_FTP": "win32", "OS_BOUNCER": "win", "locales": locs}},
	}
	for k, v := range extra {
		b[k] = v
	}
	return b
}

// updatePath is an update.xml request for the platform of v4Blob.
func updatePath(product, locale, channel string) string {
	return fmt.Sprintf("/update/6/%s/50.0/20170101000000/WINNT_x86-msvc/%s/%s/Windows_NT%%2010.0/ISET:SSE3,MEM:8192/default/default/update.xml",
		product, locale, channel)
}

// rowCount returns how many items a JSON list answer holds: the "count"
// field of an object when it has one, else the items of its arrays and
// nested objects added up (an array answer counts its elements).
func rowCount(body string) (int, bool) {
	var v any
	dec := json.NewDecoder(bytes.NewReader([]byte(body)))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return 0, false
	}
	var count func(v any) int
	count = func(v any) int {
		switch x := v.(type) {
		case []any:
			return len(x)
		case map[string]any:
			if n, ok := x["count"].(json.Number); ok {
				i, _ := n.Int64()
				return int(i)
			}
			total := 0
			for _, e := range x {
				total += count(e)
			}
			return total
		}
		return 0
	}
	switch v.(type) {
	case []any, map[string]any:
		return count(v), true
	}
	return 0, false
}
