package admin

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/balrog-go/balrog/admin/auth"
	"github.com/balrog-go/balrog/store/gormstore"
	"github.com/balrog-go/balrog/store/storetest"
)

// TestServerPlumbing checks the behaviour every route shares: the /api
// alias, security headers, HEAD without a body, the body size limit and the
// framework's 404/405 answers.
func TestServerPlumbing(t *testing.T) {
	h, db := newTestServer(t, storetest.SQLite(t).URL)
	small := New(gormstore.NewAdminStore(db), Config{Auth: auth.NewDev(), MaxBodyBytes: 64}).Handler()

	cases := []struct {
		name           string
		h              http.Handler
		method, path   string
		body           string
		wantStatus     int
		wantBodyPrefix string
	}{
		{"api alias", h, "GET", "/api/rules", "", 200, `{"count":0`},
		{"root", h, "GET", "/rules", "", 200, `{"count":0`},
		{"head has no body", h, "HEAD", "/rules", "", 200, ""},
		{"unknown route", h, "GET", "/nope", "", 404, `{"detail":"The requested URL was not found`},
		{"wrong method", h, "PATCH", "/rules", "", 405, `{"detail":"The method is not allowed`},
		{"evaluate without an evaluator", h, "POST", "/api/evaluate", `{"url": "/update/6/x"}`, 501, `{"detail":"This server cannot evaluate`},
		{"preview without an evaluator", h, "POST", "/rules/preview", `{"action": "delete", "rule_id": 1}`, 501, `{"detail":"This server cannot evaluate`},
		{"body too large", small, "POST", "/rules", `{"priority": 1, "backgroundRate": 1, "update_type": "minor", "mapping": "x", "product": "Firefox"}`, 413, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest(c.method, c.path, bytes.NewReader([]byte(c.body)))
			req.Header.Set(auth.DevUserHeader, "balrogadmin")
			rec := httptest.NewRecorder()
			c.h.ServeHTTP(rec, req)
			if rec.Code != c.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, c.wantStatus, rec.Body.String())
			}
			if c.method == "HEAD" && rec.Body.Len() != 0 {
				t.Errorf("HEAD answered a body: %q", rec.Body.String())
			}
			if !strings.HasPrefix(rec.Body.String(), c.wantBodyPrefix) {
				t.Errorf("body %q, want prefix %q", rec.Body.String(), c.wantBodyPrefix)
			}
			for k, v := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff"} {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

// TestHistoryTimestampsIncrease checks that history rows written in quick
// succession get strictly increasing timestamps, markers included.
func TestHistoryTimestampsIncrease(t *testing.T) {
	h, db := newTestServer(t, storetest.SQLite(t).URL)
	for _, u := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		if code, body := authzRequest(h, "PUT", "/users/"+u+"/permissions/rule", `{"options": null}`, "balrogadmin"); code != 201 {
			t.Fatalf("grant %s: %d %s", u, code, body)
		}
	}
	rows, err := db.SQL().Query("SELECT timestamp FROM permissions_history ORDER BY change_id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var last int64
	for rows.Next() {
		var ts int64
		if err := rows.Scan(&ts); err != nil {
			t.Fatal(err)
		}
		if ts <= last {
			t.Errorf("timestamp %d after %d: not increasing", ts, last)
		}
		last = ts
	}
}
