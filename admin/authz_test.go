package admin

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/balrog-go/balrog/admin/auth"
	"github.com/balrog-go/balrog/store/storetest"
)

// authzRoute is one authenticated route with a body that passes validation,
// the administrator's status, and the statuses of other callers where they
// differ from the default (401 anonymous, 403 for everybody else).
type authzRoute struct {
	method, path, body string
	admin              int
	others             map[string]int
}

// The callers of TestAuthorization, by name.
const (
	callerAnonymous    = "anonymous"
	callerUnknown      = "unknown user"
	callerNoPermission = "no permission"
	callerOtherProduct = "other product"
	callerAdmin        = "admin"
)

var authzCallers = []struct{ name, user string }{
	{callerAnonymous, ""},
	{callerUnknown, "nobody@example.com"},
	{callerNoPermission, "plain@example.com"}, // a grant for another product only
	{callerOtherProduct, "tb@example.com"},    // admin restricted to Thunderbird
	{callerAdmin, "balrogadmin"},
}

const (
	testWhen   = `4102444800000`
	firefoxV1  = `{"name": "NAME", "product": "Firefox", "blob": "{\"name\": \"NAME\", \"schema_version\": 1, \"hashFunction\": \"sha512\"}"}`
	localeData = `"{\"complete\": {\"filesize\": 5, \"from\": \"*\", \"hashValue\": \"ff\", \"fileUrl\": \"https://archive.mozilla.org/x/fr.mar\"}}"`
)

// revokeOK: revoking a signoff one does not have is a 200 for any known user.
var revokeOK = map[string]int{callerNoPermission: 200, callerOtherProduct: 200}

// alwaysBadRequest: the direct required-signoff deletions refuse everybody.
var alwaysBadRequest = map[string]int{callerAnonymous: 400, callerUnknown: 400, callerNoPermission: 400, callerOtherProduct: 400}

// authzRoutes cover every authenticated endpoint. They run in order; every
// caller but the administrator is refused without changing anything, so the
// administrator's requests see the state the previous ones left.
var authzRoutes = []authzRoute{
	// Rules and their scheduled changes.
	{"POST", "/rules", `{"priority": 1, "backgroundRate": 1, "update_type": "minor", "product": "Firefox", "mapping": "Firefox-1.0-build1"}`, 200, nil},
	{"POST", "/rules/1", `{"data_version": 1, "priority": 2}`, 200, nil},
	{"PUT", "/rules/1", `{"data_version": 2, "priority": 3}`, 200, nil},
	{"POST", "/rules/1/revisions", `{"change_id": 2}`, 200, nil},
	{"DELETE", "/rules/1?data_version=4", ``, 200, nil},
	{"POST", "/scheduled_changes/rules", `{"change_type": "update", "rule_id": 2, "data_version": 1, "when": ` + testWhen + `, "priority": 5, "mapping": "Firefox-1.0-build1", "backgroundRate": 1, "update_type": "minor", "product": "Firefox"}`, 200, nil},
	{"POST", "/scheduled_changes/rules/1", `{"sc_data_version": 1, "data_version": 1, "when": 4102531200000}`, 200, nil},
	{"POST", "/scheduled_changes/rules/1/signoffs", `{"role": "releng"}`, 200, nil},
	{"DELETE", "/scheduled_changes/rules/1/signoffs", ``, 200, revokeOK},
	{"POST", "/scheduled_changes/rules/1/revisions", `{"change_id": 2}`, 200, nil},
	{"POST", "/scheduled_changes/rules/1/enact", ``, 200, nil},
	{"POST", "/scheduled_changes/rules", `{"change_type": "delete", "rule_id": 2, "data_version": 2, "when": ` + testWhen + `}`, 200, nil},
	{"DELETE", "/scheduled_changes/rules/2?data_version=1", ``, 200, nil},

	// Emergency shutoffs.
	{"POST", "/emergency_shutoff", `{"product": "Firefox", "channel": "release"}`, 201, nil},
	{"DELETE", "/emergency_shutoff/Firefox/nightly?data_version=1", ``, 200, nil},
	{"POST", "/scheduled_changes/emergency_shutoff", `{"change_type": "delete", "product": "Firefox", "channel": "aurora", "data_version": 1, "when": ` + testWhen + `}`, 200, nil},
	{"POST", "/scheduled_changes/emergency_shutoff/1/enact", ``, 200, nil},

	// v1 releases.
	{"POST", "/releases", `{"name": "Firefox-2.0-build1", "product": "Firefox", "blob": "{\"name\": \"Firefox-2.0-build1\", \"schema_version\": 1, \"hashFunction\": \"sha512\"}"}`, 201, nil},
	{"PUT", "/releases/Firefox-1.0-build1", `{"name": "Firefox-1.0-build1", "product": "Firefox", "data_version": 1, "blob": "{\"name\": \"Firefox-1.0-build1\", \"schema_version\": 1, \"hashFunction\": \"sha512\", \"appv\": \"2\"}"}`, 200, nil},
	{"POST", "/releases/Firefox-1.0-build1", `{"product": "Firefox", "schema_version": 1, "data_version": 2, "data": "{\"appv\": \"3\"}"}`, 200, nil},
	{"PUT", "/releases/Firefox-1.0-build1/builds/WINNT_x86-msvc/fr", `{"product": "Firefox", "schema_version": 1, "data_version": 3, "data": ` + localeData + `}`, 201, nil},
	{"PUT", "/releases/Firefox-1.0-build1/read_only", `{"read_only": true, "data_version": 4}`, 201, nil},
	{"DELETE", "/releases/Firefox-3.0-build1?data_version=1", ``, 200, nil},
	{"POST", "/scheduled_changes/releases", `{"change_type": "delete", "name": "Firefox-4.0-build1", "data_version": 1, "when": ` + testWhen + `}`, 200, nil},
	{"POST", "/scheduled_changes/releases/1/enact", ``, 200, nil},

	// v2 releases and pins.
	{"PUT", "/v2/releases/Firefox-6.0-build1", `{"product": "Firefox", "blob": {"name": "Firefox-6.0-build1", "schema_version": 1, "hashFunction": "sha512"}}`, 200, nil},
	{"POST", "/v2/releases/Firefox-5.0-build1", `{"blob": {"appv": "2"}, "old_data_versions": {".": 1}}`, 200, nil},
	{"PUT", "/v2/releases/Firefox-5.0-build1/read_only", `{"read_only": true, "old_data_version": 2}`, 200, nil},
	{"PUT", "/v2/releases/Firefox-5.0-build1/read_only", `{"read_only": false, "old_data_version": 3}`, 200, nil},
	{"PUT", "/v2/releases/Firefox-5.0-build1/pinnable", `{"product": "Firefox", "channel": "release", "version": "5."}`, 200, nil},
	{"PUT", "/v2/releases/Firefox-5.0-build1/pinnable", `{"product": "Firefox", "channel": "beta", "version": "5.", "when": ` + testWhen + `}`, 200, nil},
	{"POST", "/scheduled_changes/pinnable_releases/1/enact", ``, 200, nil},
	{"POST", "/v2/releases/Firefox-6.0-build1", `{"blob": {"appv": "3"}, "old_data_versions": {".": 1}, "when": ` + testWhen + `}`, 200, nil},
	{"PUT", "/v2/releases/Firefox-6.0-build1/signoff", `{"role": "releng"}`, 200, nil},
	{"DELETE", "/v2/releases/Firefox-6.0-build1/signoff", ``, 200, revokeOK},
	{"POST", "/v2/releases/Firefox-6.0-build1/enact", ``, 200, nil},
	{"DELETE", "/v2/releases/Firefox-6.0-build1", ``, 200, nil},

	// Users, permissions, roles and their scheduled changes.
	{"GET", "/users", ``, 200, nil},
	{"GET", "/users/balrogadmin", ``, 200, nil},
	{"GET", "/users/balrogadmin/permissions", ``, 200, nil},
	{"GET", "/users/balrogadmin/permissions/admin", ``, 200, nil},
	{"GET", "/permissions/history", ``, 200, nil},
	{"PUT", "/users/zed@example.com/permissions/rule", `{"options": null}`, 201, nil},
	{"POST", "/users/bob@example.com/permissions/rule", `{"options": null, "data_version": 1}`, 200, nil},
	{"PUT", "/users/bob@example.com/roles/qa", ``, 201, nil},
	{"DELETE", "/users/bob@example.com/roles/releng?data_version=1", ``, 200, nil},
	{"DELETE", "/users/bob@example.com/permissions/rule?data_version=2", ``, 200, nil},
	{"POST", "/scheduled_changes/permissions", `{"change_type": "insert", "permission": "rule", "username": "carl@example.com", "options": "{\"products\": [\"Firefox\"]}", "when": ` + testWhen + `}`, 200, nil},
	{"POST", "/scheduled_changes/permissions/1/enact", ``, 200, nil},

	// Required signoffs (last: they protect what the routes above change).
	{"POST", "/required_signoffs/product", `{"product": "Firefox", "channel": "esr", "role": "releng", "signoffs_required": 1}`, 201, nil},
	{"POST", "/required_signoffs/permissions", `{"product": "Other", "role": "releng", "signoffs_required": 1}`, 201, nil},
	{"POST", "/scheduled_changes/required_signoffs/product", `{"change_type": "delete", "product": "Firefox", "channel": "esr", "role": "releng", "data_version": 1, "when": ` + testWhen + `}`, 200, nil},
	{"DELETE", "/required_signoffs/product", ``, 400, alwaysBadRequest},
	{"DELETE", "/required_signoffs/permissions", ``, 400, alwaysBadRequest},
}

// TestAuthorization checks every authenticated route against anonymous
// callers, unknown users, users without the permission, users whose grant is
// restricted to another product, and an administrator.
func TestAuthorization(t *testing.T) {
	for _, d := range storetest.Databases(t) {
		t.Run(d.Name, func(t *testing.T) {
			h, _ := newTestServer(t, d.URL)
			seedAuthz(t, h)
			for _, r := range authzRoutes {
				for _, c := range authzCallers {
					want := http.StatusForbidden
					switch {
					case r.others[c.name] != 0:
						want = r.others[c.name]
					case c.name == callerAnonymous:
						want = http.StatusUnauthorized
					case c.name == callerAdmin:
						want = r.admin
					}
					code, body := authzRequest(h, r.method, r.path, r.body, c.user)
					if code != want {
						t.Errorf("%s %s as %s: status %d, want %d: %s", r.method, r.path, c.name, code, want, body)
					}
				}
			}
		})
	}
}

// authzRequest sends one request as user ("" for anonymous).
func authzRequest(h http.Handler, method, path, body, user string) (int, string) {
	req := httptest.NewRequest(method, path, bytes.NewReader([]byte(body)))
	req.Header.Set("Content-Type", "application/json")
	if user != "" {
		req.Header.Set(auth.DevUserHeader, user)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// seedAuthz creates the releases, rules, users, roles and shutoffs the
// routes act on.
func seedAuthz(t *testing.T, h http.Handler) {
	t.Helper()
	rel := func(name string) string { return replaceAll(firefoxV1, "NAME", name) }
	steps := []struct{ method, path, body string }{
		{"PUT", "/releases/Firefox-1.0-build1", rel("Firefox-1.0-build1")},
		{"PUT", "/releases/Firefox-3.0-build1", rel("Firefox-3.0-build1")},
		{"PUT", "/releases/Firefox-4.0-build1", rel("Firefox-4.0-build1")},
		{"POST", "/rules", `{"priority": 1, "backgroundRate": 1, "update_type": "minor", "product": "Firefox", "mapping": "Firefox-1.0-build1"}`},
		{"POST", "/rules", `{"priority": 2, "backgroundRate": 1, "update_type": "minor", "product": "Firefox", "mapping": "Firefox-1.0-build1"}`},
		{"PUT", "/users/plain@example.com/permissions/release_read_only", `{"options": "{\"products\": [\"Other\"]}"}`},
		{"PUT", "/users/tb@example.com/permissions/admin", `{"options": "{\"products\": [\"Thunderbird\"]}"}`},
		{"PUT", "/users/bob@example.com/permissions/rule", `{"options": null}`},
		{"PUT", "/users/bob@example.com/roles/releng", ``},
		{"PUT", "/users/balrogadmin/roles/releng", ``},
		{"PUT", "/v2/releases/Firefox-5.0-build1", `{"product": "Firefox", "blob": {"name": "Firefox-5.0-build1", "schema_version": 1, "hashFunction": "sha512", "appv": "5.0"}}`},
		{"POST", "/emergency_shutoff", `{"product": "Firefox", "channel": "nightly"}`},
		{"POST", "/emergency_shutoff", `{"product": "Firefox", "channel": "aurora"}`},
	}
	for _, s := range steps {
		if code, body := authzRequest(h, s.method, s.path, s.body, "balrogadmin"); code >= 300 {
			t.Fatalf("seed %s %s: %d %s", s.method, s.path, code, body)
		}
	}
}

// replaceAll replaces every old in s by new.
func replaceAll(s, old, new string) string {
	return string(bytes.ReplaceAll([]byte(s), []byte(old), []byte(new)))
}
