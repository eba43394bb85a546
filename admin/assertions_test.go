package admin

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/balrog-go/balrog/store/storetest"
)

// TestAssertionsCRUD walks the assertion endpoints through creation,
// reading, guarded updates and deletion, with the assertion permission's
// product and action limits, on every database.
func TestAssertionsCRUD(t *testing.T) {
	const (
		nightly = "/update/6/Firefox/59.0a1/20170101000000/WINNT_x86-msvc/en-US/nightly/Windows_NT%2010.0/default/default/update.xml"
		tbURL   = "/update/6/Thunderbird/59.0/20170101000000/WINNT_x86-msvc/en-US/release/default/default/default/update.xml"
	)
	for _, d := range storetest.Databases(t) {
		t.Run(d.Name, func(t *testing.T) {
			h, _ := newTestServer(t, d.URL)
			steps := []struct {
				name, method, path, body, user string
				status                         int
				want                           string // substring of the answer
			}{
				{"grant firefox asserter", "PUT", "/users/alice@example.com/permissions/assertion", `{"options": "{\"products\": [\"Firefox\"], \"actions\": [\"create\", \"modify\"]}"}`, "balrogadmin", 201, ""},
				{"grant rule editor", "PUT", "/users/bob@example.com/permissions/rule", `{"options": null}`, "balrogadmin", 201, ""},
				{"create as admin", "POST", "/api/assertions", `{"product": "Firefox", "url": "` + nightly + `", "expected_release": "Firefox-nightly", "comment": "nightly stays nightly"}`, "balrogadmin", 201, `{"assertion_id":1,"data_version":1}`},
				{"full URL kept as its target", "POST", "/assertions", `{"product": "Firefox", "url": "https://aus5.mozilla.org` + nightly + `?force=1", "expected_release": null}`, "alice@example.com", 201, `{"assertion_id":2,"data_version":1}`},
				{"other product refused", "POST", "/assertions", `{"product": "Thunderbird", "url": "` + tbURL + `", "expected_release": null}`, "alice@example.com", 403, "alice@example.com is not allowed to create assertions for product Thunderbird"},
				{"rule permission is not enough", "POST", "/assertions", `{"product": "Firefox", "url": "` + nightly + `"}`, "bob@example.com", 403, "not allowed to create assertions"},
				{"anonymous refused", "POST", "/assertions", `{"product": "Firefox", "url": "` + nightly + `"}`, "", 401, "authorization_header_missing"},
				{"url required", "POST", "/assertions", `{"product": "Firefox"}`, "balrogadmin", 400, "'url' is a required property"},
				{"url must be a request target", "POST", "/assertions", `{"product": "Firefox", "url": "update.xml"}`, "balrogadmin", 400, "is not an update URL"},
				{"expected_release must be a string", "POST", "/assertions", `{"product": "Firefox", "url": "/update/x", "expected_release": 5}`, "balrogadmin", 400, "expected_release"},
				{"list", "GET", "/assertions", "", "", 200, `"count":2`},
				{"list by product", "GET", "/assertions?product=Thunderbird", "", "", 200, `{"assertions":[],"count":0}`},
				{"unknown query refused", "GET", "/assertions?nope=1", "", "", 400, "Extra query parameter(s) nope not in spec"},
				{"one", "GET", "/api/assertions/2", "", "", 200, `"url":"` + nightly + `?force=1"`},
				{"missing", "GET", "/assertions/99", "", "", 404, "Requested assertion wasn't found"},
				{"outdated update", "PUT", "/assertions/1", `{"data_version": 5, "expected_release": "Firefox-other"}`, "alice@example.com", 400, "OutdatedDataError"},
				{"update", "PUT", "/assertions/1", `{"data_version": 1, "expected_release": "Firefox-nightly-2"}`, "alice@example.com", 200, `{"assertion_id":1,"data_version":2}`},
				{"updated", "GET", "/assertions/1", "", "", 200, `"expected_release":"Firefox-nightly-2"`},
				{"moving to another product refused", "PUT", "/assertions/1", `{"data_version": 2, "product": "Thunderbird"}`, "alice@example.com", 403, "product Thunderbird"},
				{"data_version required", "PUT", "/assertions/1", `{"comment": "x"}`, "alice@example.com", 400, "'data_version' is a required property"},
				{"revisions", "GET", "/assertions/1/revisions", "", "", 200, `"count":2`},
				{"delete action not granted", "DELETE", "/assertions/1?data_version=2", "", "alice@example.com", 403, "not allowed to delete assertions"},
				{"outdated delete", "DELETE", "/assertions/1?data_version=1", "", "balrogadmin", 400, "OutdatedDataError"},
				{"delete", "DELETE", "/assertions/1?data_version=2", "", "balrogadmin", 200, ""},
				{"deleted", "GET", "/assertions/1", "", "", 404, ""},
				{"no overrides yet", "GET", "/assertions/overrides", "", "", 200, `{"count":0,"overrides":[]}`},
			}
			for _, s := range steps {
				code, body := authzRequest(h, s.method, s.path, s.body, s.user)
				if code != s.status || !strings.Contains(body, s.want) {
					t.Errorf("%s: %s %s answered %d %s; want %d containing %q", s.name, s.method, s.path, code, body, s.status, s.want)
				}
			}
			_, body := authzRequest(h, "GET", "/assertions/1/revisions", "", "")
			if !strings.Contains(body, "404") {
				t.Errorf("revisions of a deleted assertion: %s", body)
			}
			_, body = authzRequest(h, "GET", "/assertions", "", "")
			var list struct {
				Assertions []map[string]any `json:"assertions"`
			}
			if err := json.Unmarshal([]byte(body), &list); err != nil || len(list.Assertions) != 1 || list.Assertions[0]["expected_release"] != nil {
				t.Errorf("remaining assertions: %s (%v)", body, err)
			}
		})
	}
}
