package admin

import (
	"bufio"
	"bytes"
	"encoding/json"
	"github.com/balrog-go/balrog/admin/auth"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/balrog-go/balrog/store/gormstore"
	"github.com/balrog-go/balrog/store/storetest"
)

// fuzzMethods are the methods FuzzAdminBody sends (its first argument
// selects one).
var fuzzMethods = [...]string{"POST", "PUT", "DELETE"}

// FuzzAdminBody sends request bodies to the real admin handler over SQLite
// (every write route: rules, releases, locales, scheduled changes of every
// kind, permissions, required signoffs, shutoffs, v2 releases). The answer
// must never be a 5xx, a JSON answer must be valid JSON, and a refused
// request (4xx) must not have written any history row: nothing is
// half-written. The database state carries over between inputs. Seeds are
// the POST/PUT requests of the admin conformance corpus and
// testdata/fuzz/FuzzAdminBody.
func FuzzAdminBody(f *testing.F) {
	h, db := newTestServer(f, storetest.SQLite(f).URL)
	for _, s := range [][3]string{
		{"PUT", "/releases/Firefox-1.0-build1", replaceAll(firefoxV1, "NAME", "Firefox-1.0-build1")},
		{"POST", "/rules", `{"priority": 1, "backgroundRate": 1, "update_type": "minor", "product": "Firefox", "mapping": "Firefox-1.0-build1"}`},
		{"PUT", "/users/bob@example.com/permissions/rule", `{"options": null}`},
		{"POST", "/emergency_shutoff", `{"product": "Firefox", "channel": "nightly"}`},
	} {
		if code, body := authzRequest(h, s[0], s[1], s[2], "balrogadmin"); code >= 300 {
			f.Fatalf("seed %s %s: %d %s", s[0], s[1], code, body)
		}
	}
	addConformanceBodies(f)
	historyTables := fuzzHistoryTables(f, db)
	f.Fuzz(func(t *testing.T, method uint8, path string, body []byte) {
		if _, err := url.ParseRequestURI(path); err != nil || !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \t\r\n#") {
			return // net/http refuses such a request line before any handler
		}
		before := fuzzHistoryRows(t, db, historyTables)
		m := fuzzMethods[int(method)%len(fuzzMethods)]
		req := httpRequest(m, path, body)
		rec := serve(h, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", m, path, body, rec.Code, rec.Body.String())
		}
		if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") && rec.Body.Len() > 0 && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %s: invalid JSON answer %q", m, path, rec.Body.String())
		}
		if rec.Code >= 400 {
			if after := fuzzHistoryRows(t, db, historyTables); after != before {
				t.Fatalf("%s %s %q refused with %d but history grew from %d to %d rows", m, path, body, rec.Code, before, after)
			}
		}
	})
}

// addConformanceBodies adds every POST/PUT request of the admin conformance
// corpus as a seed; without the corpus, the other seeds are run alone.
func addConformanceBodies(f *testing.F) {
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.jsonl"))
	if err != nil {
		f.Fatal(err)
	}
	if len(files) == 0 {
		f.Logf("no admin conformance corpus in %s: its requests are not seeds", corpusDir)
		return
	}
	for _, name := range files {
		fh, err := os.Open(name)
		if err != nil {
			f.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 64<<20)
		for sc.Scan() {
			var c struct {
				Method string          `json:"method"`
				Path   string          `json:"path"`
				Body   json.RawMessage `json:"body"`
			}
			if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
				f.Fatal(err)
			}
			for i, m := range fuzzMethods {
				if m == c.Method && c.Body != nil {
					f.Add(uint8(i), c.Path, []byte(c.Body))
				}
			}
		}
		fh.Close()
	}
}

// fuzzHistoryTables lists the history tables of the schema.
func fuzzHistoryTables(f *testing.F, db *gormstore.DB) []string {
	rows, err := db.SQL().Query("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%history'")
	if err != nil {
		f.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			f.Fatal(err)
		}
		names = append(names, n)
	}
	if len(names) < 5 {
		f.Fatalf("only %d history tables: %v", len(names), names)
	}
	return names
}

// fuzzHistoryRows counts the rows of all history tables.
func fuzzHistoryRows(t *testing.T, db *gormstore.DB, tables []string) int {
	total := 0
	for _, name := range tables {
		var n int
		if err := db.SQL().QueryRow("SELECT COUNT(*) FROM " + name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		total += n
	}
	return total
}

// httpRequest builds an admin request from the balrogadmin user.
func httpRequest(method, path string, body []byte) *http.Request {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(auth.DevUserHeader, "balrogadmin")
	return req
}

// serve runs one request through h.
func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}
