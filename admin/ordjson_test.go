package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/balrog-go/balrog/admin/auth"
	"github.com/balrog-go/balrog/store/gormstore"
	"github.com/balrog-go/balrog/store/storetest"
)

// TestPartialUpdatesKeepKeyOrder runs the v1 partial-update views and
// checks the stored text, byte for byte, against what Balrog stores for the
// same requests (json.dumps of the Python dict: existing keys keep their
// place, new keys are appended), and the GET answers against Balrog's
// (the release sorted, a single locale in stored order). The expected texts
// were produced by running the same edits on Python dicts.
func TestPartialUpdatesKeepKeyOrder(t *testing.T) {
	h, db := newTestServer(t, storetest.SQLite(t).URL)
	st := gormstore.NewAdminStore(db)
	do := func(method, path string, body any, wantStatus int) string {
		t.Helper()
		var raw []byte
		if body != nil {
			raw, _ = json.Marshal(body)
		}
		req := httptest.NewRequest(method, path, bytes.NewReader(raw))
		req.Header.Set(auth.DevUserHeader, "balrogadmin")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != wantStatus {
			t.Fatalf("%s %s: status %d, want %d: %s", method, path, rec.Code, wantStatus, rec.Body.String())
		}
		return rec.Body.String()
	}
	stored := func(name, want string) {
		t.Helper()
		var got string
		err := st.Tx(context.Background(), "test", func(tx *gormstore.AdminTx) error {
			r, err := tx.Release(name)
			got = string(r.Data)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("stored %s:\n got %s\nwant %s", name, got, want)
		}
	}
	const build = "Firefox-20.0-build1"
	do("POST", "/releases", map[string]any{"name": build, "product": "Firefox", "blob": `{"name": "Firefox-20.0-build1", "schema_version": 1, "hashFunction": "sha512", "appv": "1.0", "extv": "1.0", "platforms": {"WINNT_x86-msvc": {"buildID": "20200101000000", "locales": {"en-US": {"complete": {"filesize": 1000, "from": "*", "hashValue": "abcen-US", "fileUrl": "https://archive.mozilla.org/en-US.mar"}}, "de": {"complete": {"filesize": 1000, "from": "*", "hashValue": "abcde", "fileUrl": "https://archive.mozilla.org/de.mar"}}}}, "Darwin_x86_64-gcc3": {"alias": "WINNT_x86-msvc"}}}`}, 201)

	// Shallow merge with copyTo creating the second release from the
	// skeleton {"name", "schema_version", "hashFunction"}.
	do("POST", "/releases/"+build, map[string]any{"product": "Firefox", "schema_version": 1, "hashFunction": "sha512", "data_version": 1,
		"data": `{"extv": "2.0", "detailsUrl": "https://example.com/d", "appv": "2.0"}`, "copyTo": `["Firefox-20.0-latest"]`}, 200)
	stored(build, `{"name": "Firefox-20.0-build1", "schema_version": 1, "hashFunction": "sha512", "appv": "2.0", "extv": "2.0", "platforms": {"WINNT_x86-msvc": {"buildID": "20200101000000", "locales": {"en-US": {"complete": {"filesize": 1000, "from": "*", "hashValue": "abcen-US", "fileUrl": "https://archive.mozilla.org/en-US.mar"}}, "de": {"complete": {"filesize": 1000, "from": "*", "hashValue": "abcde", "fileUrl": "https://archive.mozilla.org/de.mar"}}}}, "Darwin_x86_64-gcc3": {"alias": "WINNT_x86-msvc"}}, "detailsUrl": "https://example.com/d"}`)
	stored("Firefox-20.0-latest", `{"name": "Firefox-20.0-latest", "schema_version": 1, "hashFunction": "sha512", "extv": "2.0", "detailsUrl": "https://example.com/d", "appv": "2.0"}`)

	// A new locale through an alias platform goes to the end of the aliased
	// platform's locales; new alias entries name the aliased platform. The
	// URL platform has no such locale, so this is a 201.
	do("PUT", "/releases/"+build+"/builds/Darwin_x86_64-gcc3/fr", map[string]any{"product": "Firefox", "schema_version": 1, "data_version": 2,
		"data":  `{"complete": {"filesize": 5, "from": "*", "hashValue": "ff", "fileUrl": "https://archive.mozilla.org/fr.mar"}, "buildID": "20200101000001"}`,
		"alias": `["Linux_x86_64-gcc3", "WINNT_x86-msvc"]`}, 201)
	stored(build, `{"name": "Firefox-20.0-build1", "schema_version": 1, "hashFunction": "sha512", "appv": "2.0", "extv": "2.0", "platforms": {"WINNT_x86-msvc": {"buildID": "20200101000000", "locales": {"en-US": {"complete": {"filesize": 1000, "from": "*", "hashValue": "abcen-US", "fileUrl": "https://archive.mozilla.org/en-US.mar"}}, "de": {"complete": {"filesize": 1000, "from": "*", "hashValue": "abcde", "fileUrl": "https://archive.mozilla.org/de.mar"}}, "fr": {"complete": {"filesize": 5, "from": "*", "hashValue": "ff", "fileUrl": "https://archive.mozilla.org/fr.mar"}, "buildID": "20200101000001"}}}, "Darwin_x86_64-gcc3": {"alias": "WINNT_x86-msvc"}, "Linux_x86_64-gcc3": {"alias": "WINNT_x86-msvc"}}, "detailsUrl": "https://example.com/d"}`)

	// Replacing an existing locale keeps its place.
	do("PUT", "/releases/"+build+"/builds/WINNT_x86-msvc/en-US", map[string]any{"product": "Firefox", "schema_version": 1, "data_version": 3,
		"data": `{"complete": {"filesize": 6, "from": "*", "hashValue": "ee", "fileUrl": "https://archive.mozilla.org/en.mar"}}`}, 200)
	stored(build, `{"name": "Firefox-20.0-build1", "schema_version": 1, "hashFunction": "sha512", "appv": "2.0", "extv": "2.0", "platforms": {"WINNT_x86-msvc": {"buildID": "20200101000000", "locales": {"en-US": {"complete": {"filesize": 6, "from": "*", "hashValue": "ee", "fileUrl": "https://archive.mozilla.org/en.mar"}}, "de": {"complete": {"filesize": 1000, "from": "*", "hashValue": "abcde", "fileUrl": "https://archive.mozilla.org/de.mar"}}, "fr": {"complete": {"filesize": 5, "from": "*", "hashValue": "ff", "fileUrl": "https://archive.mozilla.org/fr.mar"}, "buildID": "20200101000001"}}}, "Darwin_x86_64-gcc3": {"alias": "WINNT_x86-msvc"}, "Linux_x86_64-gcc3": {"alias": "WINNT_x86-msvc"}}, "detailsUrl": "https://example.com/d"}`)

	if got, want := do("GET", "/releases/"+build+"/builds/WINNT_x86-msvc/fr", nil, 200), `{"complete": {"filesize": 5, "from": "*", "hashValue": "ff", "fileUrl": "https://archive.mozilla.org/fr.mar"}, "buildID": "20200101000001"}`; got != want {
		t.Errorf("GET locale:\n got %s\nwant %s", got, want)
	}
	if got, want := do("GET", "/releases/"+build, nil, 200), `{"appv": "2.0", "detailsUrl": "https://example.com/d", "extv": "2.0", "hashFunction": "sha512", "name": "Firefox-20.0-build1", "platforms": {"Darwin_x86_64-gcc3": {"alias": "WINNT_x86-msvc"}, "Linux_x86_64-gcc3": {"alias": "WINNT_x86-msvc"}, "WINNT_x86-msvc": {"buildID": "20200101000000", "locales": {"de": {"complete": {"fileUrl": "https://archive.mozilla.org/de.mar", "filesize": 1000, "from": "*", "hashValue": "abcde"}}, "en-US": {"complete": {"fileUrl": "https://archive.mozilla.org/en.mar", "filesize": 6, "from": "*", "hashValue": "ee"}}, "fr": {"buildID": "20200101000001", "complete": {"fileUrl": "https://archive.mozilla.org/fr.mar", "filesize": 5, "from": "*", "hashValue": "ff"}}}}}, "schema_version": 1}`; got != want {
		t.Errorf("GET release:\n got %s\nwant %s", got, want)
	}
	if got, want := do("GET", "/releases/"+build+"?pretty=1", nil, 200), "{\n    \"appv\": \"2.0\",\n    \"detailsUrl\": \"https://example.com/d\",\n    \"extv\": \"2.0\",\n    \"hashFunction\": \"sha512\",\n    \"name\": \"Firefox-20.0-build1\",\n    \"platforms\": {\n        \"Darwin_x86_64-gcc3\": {\n            \"alias\": \"WINNT_x86-msvc\"\n        },\n        \"Linux_x86_64-gcc3\": {\n            \"alias\": \"WINNT_x86-msvc\"\n        },\n        \"WINNT_x86-msvc\": {\n            \"buildID\": \"20200101000000\",\n            \"locales\": {\n                \"de\": {\n                    \"complete\": {\n                        \"fileUrl\": \"https://archive.mozilla.org/de.mar\",\n                        \"filesize\": 1000,\n                        \"from\": \"*\",\n                        \"hashValue\": \"abcde\"\n                    }\n                },\n                \"en-US\": {\n                    \"complete\": {\n                        \"fileUrl\": \"https://archive.mozilla.org/en.mar\",\n                        \"filesize\": 6,\n                        \"from\": \"*\",\n                        \"hashValue\": \"ee\"\n                    }\n                },\n                \"fr\": {\n                    \"buildID\": \"20200101000001\",\n                    \"complete\": {\n                        \"fileUrl\": \"https://archive.mozilla.org/fr.mar\",\n                        \"filesize\": 5,\n                        \"from\": \"*\",\n                        \"hashValue\": \"ff\"\n                    }\n                }\n            }\n        }\n    },\n    \"schema_version\": 1\n}"; got != want {
		t.Errorf("GET release pretty:\n got %s\nwant %s", got, want)
	}
}
