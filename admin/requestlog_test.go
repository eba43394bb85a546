package admin

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/balrog-go/balrog/admin/auth"
	"github.com/balrog-go/balrog/metrics"
	"github.com/balrog-go/balrog/store"
)

// TestWriteObjects checks that every write route of the API is counted
// under a named object of metrics.WriteObjects, never "other".
func TestWriteObjects(t *testing.T) {
	e := New(nil, Config{Auth: auth.NewDev()}).Handler()
	n := 0
	for _, r := range e.Routes() {
		if !isWrite(r.Method) {
			continue
		}
		n++
		obj := writeObject(r.Path)
		if obj == "other" || !slices.Contains(metrics.WriteObjects[:], obj) {
			t.Errorf("%s %s is counted as object %q", r.Method, r.Path, obj)
		}
	}
	if n < 40 {
		t.Fatalf("only %d write routes found", n)
	}
	for route, want := range map[string]string{
		"/rules/:id":                               "rule",
		"/v2/releases/:name/signoff":               "signoff",
		"/scheduled_changes/rules/:sc_id/signoffs": "signoff",
		"/scheduled_changes/rules/:sc_id/enact":    "scheduled_change",
		"/v2/releases/:name/pinnable":              "pin",
		"/users/:user/permissions/:permission":     "permission",
		"/users/:user/roles/:role":                 "role",
		"/releases/:name/builds/:platform/:locale": "release",
		"/required_signoffs/product":               "required_signoff",
		"/emergency_shutoff":                       "emergency_shutoff",
		"(unmatched)":                              "other",
	} {
		if got := writeObject(route); got != want {
			t.Errorf("writeObject(%q) = %q, want %q", route, got, want)
		}
	}
}

// TestWriteOutcome checks the outcome tag of admin writes.
func TestWriteOutcome(t *testing.T) {
	tests := []struct {
		err    error
		status int
		want   string
	}{
		{nil, 200, "ok"},
		{nil, 201, "ok"},
		{fmt.Errorf("update rule: %w", store.ErrOutdated), 400, "conflict"},
		{&ChangeScheduled{Message: "x"}, 400, "conflict"},
		{&UpdateMerge{}, 400, "conflict"},
		{&PermissionDenied{Message: "no"}, 403, "denied"},
		{&auth.Error{Status: 401}, 401, "denied"},
		{badRequest("bad"), 400, "invalid"},
		{echo.ErrNotFound, http.StatusNotFound, "invalid"},
		{errors.New("boom"), 500, "error"},
	}
	for _, tt := range tests {
		got := writeOutcome(tt.err, tt.status)
		if got != tt.want {
			t.Errorf("writeOutcome(%v, %d) = %q, want %q", tt.err, tt.status, got, tt.want)
		}
		if !slices.Contains(metrics.WriteOutcomes[:], got) {
			t.Errorf("%q is not in metrics.WriteOutcomes", got)
		}
	}
}

// TestPanicReported checks that a handler's panic is answered 500 in
// Balrog's error shape and reported once with the route pattern.
func TestPanicReported(t *testing.T) {
	var reported []string
	e := New(nil, Config{Auth: auth.NewDev(), ReportError: func(route string, err error) {
		reported = append(reported, route+": "+err.Error())
	}}).Handler()
	e.GET("/boom/:id", func(echo.Context) error { panic("kaboom") })
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest("GET", "/boom/7?token=secret", nil))
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), `"title":"Internal Server Error"`) {
		t.Fatalf("answer %d %s", rec.Code, rec.Body.String())
	}
	if len(reported) != 1 || reported[0] != "/boom/:id: panic: kaboom" {
		t.Errorf("reported %q", reported)
	}
}
