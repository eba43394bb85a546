package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/balrog-go/balrog/blobs"
	"github.com/balrog-go/balrog/store/gormstore"
	"github.com/balrog-go/balrog/store/storetest"
)

func mustOrdered(t *testing.T, s string) *blobs.Ordered {
	t.Helper()
	o, err := blobs.ParseOrdered([]byte(s))
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return o
}

// TestMergeBlobs checks mergeBlobs against Balrog's merge_dicts: the
// expected texts are json.dumps of what merge_dicts returns (with the key
// order documented on mergeBlobs), and the conflicts are its ValueErrors.
func TestMergeBlobs(t *testing.T) {
	for _, tc := range []struct {
		name            string
		ancestor, l, r  string
		want, wantError string
	}{
		{name: "admin.md example: locales added on both sides",
			ancestor: `{"name": "R", "platforms": {"p": {"locales": {"dd": {"b": 1}}}}}`,
			l:        `{"name": "R", "platforms": {"p": {"locales": {"dd": {"b": 1}, "dd2": {"b": 2}}}}}`,
			r:        `{"name": "R", "platforms": {"p": {"locales": {"dd": {"b": 1}, "dd3": {"b": 3}}}}}`,
			want:     `{"name": "R", "platforms": {"p": {"locales": {"dd": {"b": 1}, "dd2": {"b": 2}, "dd3": {"b": 3}}}}}`},
		{name: "both change a scalar",
			ancestor: `{"a": {"filesize": 1}}`, l: `{"a": {"filesize": 2}}`, r: `{"a": {"filesize": 3}}`,
			wantError: "Cannot merge blobs: left and right are both changing 'filesize'"},
		{name: "both change a scalar to the same value",
			ancestor: `{"a": 1}`, l: `{"a": 2}`, r: `{"a": 2.0}`,
			wantError: "Cannot merge blobs: type mismatch for 'a'"},
		{name: "both change a scalar to the same value, same type",
			ancestor: `{"a": 1}`, l: `{"a": 2}`, r: `{"a": 2}`,
			wantError: "Cannot merge blobs: left and right are both changing 'a'"},
		{name: "one side changes",
			ancestor: `{"a": 1, "b": "x", "c": null}`, l: `{"a": 1, "b": "y", "c": null}`, r: `{"a": 5, "b": "x", "c": null}`,
			want: `{"a": 5, "b": "y", "c": null}`},
		{name: "unchanged everywhere",
			ancestor: `{"a": 1}`, l: `{"a": 1}`, r: `{"a": 1}`,
			want: `{"a": 1}`},
		{name: "new key on both sides, equal",
			ancestor: `{}`, l: `{"n": "v"}`, r: `{"n": "v"}`, want: `{"n": "v"}`},
		{name: "new key on both sides, different",
			ancestor: `{}`, l: `{"n": "v"}`, r: `{"n": "w"}`,
			wantError: "Cannot merge blobs: left and right are both changing 'n'"},
		{name: "type mismatch",
			ancestor: `{"a": "1"}`, l: `{"a": 1}`, r: `{"a": "1"}`,
			wantError: "Cannot merge blobs: type mismatch for 'a'"},
		{name: "null does not count as a type",
			ancestor: `{"a": null}`, l: `{"a": "x"}`, r: `{"a": null}`, want: `{"a": "x"}`},
		{name: "lists are unions in first-seen order",
			ancestor: `{"l": [1, 2]}`, l: `{"l": [2, 3]}`, r: `{"l": [4, 1, {"x": 1}]}`,
			want: `{"l": [1, 2, 3, 4, {"x": 1}]}`},
		{name: "lists: an equal item of another type is kept (isinstance)",
			ancestor: `{"l": [true, 2]}`, l: `{"l": [1, true]}`, r: `{"l": [2.0, 2, 2.0]}`,
			want: `{"l": [true, 2, 1, 2.0, 2.0]}`}, // result.index finds the first equal item
		{name: "deletions come back",
			ancestor: `{"a": 1, "o": {"k": 1}}`, l: `{"a": 1}`, r: `{"o": {"k": 1}}`,
			want: `{"a": 1, "o": {"k": 1}}`},
		{name: "key order: ancestor, then tip's new keys, then incoming's",
			ancestor: `{"b": 1, "a": 1}`, l: `{"z": 1, "a": 1, "b": 1}`, r: `{"y": 1, "b": 1}`,
			want: `{"b": 1, "a": 1, "z": 1, "y": 1}`},
		{name: "ensure_ascii output",
			ancestor: `{}`, l: `{"é": "ü"}`, r: `{}`, want: `{"\u00e9": "\u00fc"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := mergeBlobs(mustOrdered(t, tc.ancestor), mustOrdered(t, tc.l), mustOrdered(t, tc.r))
			if tc.wantError != "" {
				var c *errMergeConflict
				if !errors.As(err, &c) || c.msg != tc.wantError {
					t.Fatalf("got %s, %v; want conflict %q", got, err, tc.wantError)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Fatalf("got %s, %v; want %s", got, err, tc.want)
			}
		})
	}
	// Balrog fails on a null where another side has an object (500), which
	// is not a conflict.
	_, err := mergeBlobs(mustOrdered(t, `{"o": null}`), mustOrdered(t, `{"o": {}}`), mustOrdered(t, `{}`))
	var c *errMergeConflict
	if err == nil || errors.As(err, &c) {
		t.Errorf("null vs object: %v, want a non-conflict error", err)
	}
}

const (
	mergeRel  = "Firefox-30.0-build1"
	mergeBlob = `{"name": "Firefox-30.0-build1", "schema_version": 1, "hashFunction": "sha512", "appv": "30.0", "extv": "30.0", "platforms": {"WINNT_x86-msvc": {"buildID": "20200101000000", "locales": {"en-US": {"complete": {"filesize": 1000, "from": "*", "hashValue": "abcen-US", "fileUrl": "https://archive.mozilla.org/en-US.mar"}}}}}}`
)

// mergeLocale is the data of a locale PUT.
func mergeLocale(locale string, filesize int) string {
	b, _ := json.Marshal(map[string]any{"complete": map[string]any{"filesize": filesize, "from": "*", "hashValue": "abc" + locale,
		"fileUrl": "https://archive.mozilla.org/" + locale + ".mar"}})
	return string(b)
}

// mergeFixture is an admin handler with release mergeRel at version 1.
type mergeFixture struct {
	*v2Fixture
	st *gormstore.AdminStore
}

func newMergeFixture(t *testing.T, dbURL string) *mergeFixture {
	t.Helper()
	h, db := newTestServer(t, dbURL)
	f := &mergeFixture{v2Fixture: &v2Fixture{t: t, h: h, db: db.SQL()}, st: gormstore.NewAdminStore(db)}
	f.must("POST", "/releases", jsonBody(map[string]any{"name": mergeRel, "product": "Firefox", "blob": mergeBlob}), "balrogadmin", 201)
	return f
}

func jsonBody(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// putLocale sends a locale PUT based on dataVersion.
func (f *mergeFixture) putLocale(locale string, filesize, dataVersion, want int) string {
	f.t.Helper()
	return f.must("PUT", "/releases/"+mergeRel+"/builds/WINNT_x86-msvc/"+locale, jsonBody(map[string]any{
		"product": "Firefox", "schema_version": 1, "data_version": dataVersion, "data": mergeLocale(locale, filesize)}), "balrogadmin", want)
}

// stored returns the stored blob and data_version of mergeRel.
func (f *mergeFixture) stored() (string, int) {
	f.t.Helper()
	var data string
	var dv int
	err := f.st.Tx(context.Background(), "test", func(tx *gormstore.AdminTx) error {
		r, err := tx.Release(mergeRel)
		data, dv = string(r.Data), r.DataVersion
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return data, dv
}

// state is what a refused write must leave unchanged.
func (f *mergeFixture) state() string {
	data, _ := f.stored()
	return data + "\n" + f.snapshotV1()
}

func (f *mergeFixture) snapshotV1() string {
	var b strings.Builder
	for _, q := range []string{
		"SELECT data_version FROM releases WHERE name = 'Firefox-30.0-build1'",
		"SELECT COUNT(*) FROM releases_history",
		"SELECT MAX(change_id) FROM releases_history",
	} {
		fmt.Fprintf(&b, "%s = %d\n", q, f.int(q))
	}
	return b.String()
}

// wantBody compares a JSON body with want.
func wantBody(t *testing.T, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("body %q: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want %q: %v", want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("body %s\nwant %s", got, want)
	}
}

// locales returns the locale names of the stored blob in stored order.
func (f *mergeFixture) locales() []string {
	f.t.Helper()
	data, _ := f.stored()
	return mustOrdered(f.t, data).Get("platforms").Get("WINNT_x86-msvc").Get("locales").Keys()
}

// TestStaleV1WritesMerge: a v1 write based on an older data_version whose
// change does not conflict with the writes made since is merged with them
// (admin.md §5.3): both changes are in the stored blob, the answer is the
// tip's version + 1, and the merged blob has its history row.
func TestStaleV1WritesMerge(t *testing.T) {
	forEachDB := func(name string, fn func(t *testing.T, f *mergeFixture)) {
		t.Run(name, func(t *testing.T) {
			for _, d := range storetest.Databases(t) {
				t.Run(d.Name, func(t *testing.T) { fn(t, newMergeFixture(t, d.URL)) })
			}
		})
	}
	forEachDB("locale PUT", func(t *testing.T, f *mergeFixture) {
		wantBody(t, f.putLocale("de", 2000, 1, http.StatusCreated), `{"new_data_version": 2}`)
		// Based on version 1, touching another locale.
		wantBody(t, f.putLocale("fr", 3000, 1, http.StatusCreated), `{"new_data_version": 3}`)
		if got := f.locales(); !reflect.DeepEqual(got, []string{"en-US", "de", "fr"}) {
			t.Errorf("locales %v, want en-US, de, fr", got)
		}
		data, dv := f.stored()
		if dv != 3 {
			t.Errorf("data_version %d, want 3", dv)
		}
		var hist string
		if err := f.db.QueryRow("SELECT data FROM releases_history WHERE name = ? AND data_version = 3", mergeRel).Scan(&hist); err != nil {
			t.Fatal(err)
		}
		if hist != data {
			t.Errorf("history at 3:\n%s\nstored:\n%s", hist, data)
		}
		want := `{"name": "Firefox-30.0-build1", "schema_version": 1, "hashFunction": "sha512", "appv": "30.0", "extv": "30.0", "platforms": {"WINNT_x86-msvc": {"buildID": "20200101000000", "locales": {` +
			`"en-US": {"complete": {"filesize": 1000, "from": "*", "hashValue": "abcen-US", "fileUrl": "https://archive.mozilla.org/en-US.mar"}}, ` +
			`"de": {"complete": {"fileUrl": "https://archive.mozilla.org/de.mar", "filesize": 2000, "from": "*", "hashValue": "abcde"}}, ` +
			`"fr": {"complete": {"fileUrl": "https://archive.mozilla.org/fr.mar", "filesize": 3000, "from": "*", "hashValue": "abcfr"}}}}}}`
		if data != want {
			t.Errorf("stored\n%s\nwant\n%s", data, want)
		}
		// The single-locale GET and the version header follow.
		got := f.must("GET", "/releases/"+mergeRel+"/builds/WINNT_x86-msvc/de", "", "", 200)
		wantBody(t, got, mergeLocale("de", 2000))
	})
	forEachDB("POST partial", func(t *testing.T, f *mergeFixture) {
		f.putLocale("de", 2000, 1, http.StatusCreated)
		got := f.must("POST", "/releases/"+mergeRel, jsonBody(map[string]any{"product": "Firefox", "schema_version": 1, "data_version": 1,
			"data": `{"detailsUrl": "https://example.com/details"}`}), "balrogadmin", 200)
		wantBody(t, got, `{"new_data_version": 3}`)
		data, _ := f.stored()
		o := mustOrdered(t, data)
		if o.Get("detailsUrl") == nil || !reflect.DeepEqual(f.locales(), []string{"en-US", "de"}) {
			t.Errorf("stored %s: want detailsUrl and locales en-US, de", data)
		}
	})
	forEachDB("PUT whole blob", func(t *testing.T, f *mergeFixture) {
		f.putLocale("de", 2000, 1, http.StatusCreated)
		// The client's blob is version 1 plus locale fr.
		blob := strings.Replace(mergeBlob, `"locales": {`, `"locales": {"fr": `+mergeLocale("fr", 3000)+`, `, 1)
		got := f.must("PUT", "/releases/"+mergeRel, jsonBody(map[string]any{"name": mergeRel, "product": "Firefox", "data_version": 1, "blob": blob}), "balrogadmin", 200)
		wantBody(t, got, `{"new_data_version": 3}`)
		if got := f.locales(); !reflect.DeepEqual(got, []string{"en-US", "de", "fr"}) {
			t.Errorf("locales %v, want en-US, de, fr", got)
		}
		// Stale twice over: based on 1 while the release is at 3.
		blob = strings.Replace(mergeBlob, `"appv": "30.0"`, `"appv": "30.0", "detailsUrl": "https://example.com/d"`, 1)
		got = f.must("PUT", "/releases/"+mergeRel, jsonBody(map[string]any{"name": mergeRel, "product": "Firefox", "data_version": 1, "blob": blob}), "balrogadmin", 200)
		wantBody(t, got, `{"new_data_version": 4}`)
		data, _ := f.stored()
		if mustOrdered(t, data).Get("detailsUrl") == nil || len(f.locales()) != 3 {
			t.Errorf("stored %s: want detailsUrl and three locales", data)
		}
	})
}

const outdatedPartial = `{"type": "about:blank", "title": "Bad Request", "status": 400,
	"detail": "Couldn't update release: Failed to update row, old_data_version doesn't match current data_version",
	"exception": ["Failed to update row, old_data_version doesn't match current data_version"]}`

// TestStaleV1WritesConflict: a stale v1 write that changes what was
// changed since is refused with Balrog's answer, and nothing is written.
func TestStaleV1WritesConflict(t *testing.T) {
	for _, d := range storetest.Databases(t) {
		t.Run(d.Name, func(t *testing.T) {
			f := newMergeFixture(t, d.URL)
			f.putLocale("en-US", 2000, 1, http.StatusOK)
			before := f.state()
			// Same field, other value, through each v1 write path.
			wantBody(t, f.putLocale("en-US", 3000, 1, http.StatusBadRequest), outdatedPartial)
			got := f.must("POST", "/releases/"+mergeRel, jsonBody(map[string]any{"product": "Firefox", "schema_version": 1, "data_version": 1,
				"data": `{"appv": "31.0"}`}), "balrogadmin", 400)
			// Balrog's partial views base the new blob on the stored one,
			// so the concurrent filesize change is on both sides too.
			wantBody(t, got, outdatedPartial)
			blob := strings.Replace(mergeBlob, `"filesize": 1000`, `"filesize": 3000`, 1)
			got = f.must("PUT", "/releases/"+mergeRel, jsonBody(map[string]any{"name": mergeRel, "product": "Firefox", "data_version": 1, "blob": blob}), "balrogadmin", 400)
			wantBody(t, got, `{"type": "about:blank", "title": "Bad Request", "status": 400, "detail": "OutdatedDataError",
				"exception": "Couldn't perform the request PUT. Outdated Data Version. old_data_version doesn't match current data_version"}`)
			if after := f.state(); after != before {
				t.Errorf("a refused write changed the database:\n%s\nwas\n%s", after, before)
			}
			// A change without a blob is never merged.
			got = f.must("PUT", "/releases/"+mergeRel+"/read_only", `{"read_only": true, "data_version": 1}`, "balrogadmin", 400)
			wantBody(t, got, `{"type": "about:blank", "title": "Bad Request", "status": 400, "detail": "OutdatedDataError",
				"exception": "Couldn't perform the request PUT. Outdated Data Version. old_data_version doesn't match current data_version"}`)
			if after := f.state(); after != before {
				t.Errorf("a refused write changed the database:\n%s\nwas\n%s", after, before)
			}
		})
	}
}

// TestStaleV1WritesWithoutAncestor: without exactly one history entry of
// the release at the stale data_version, Balrog's history lookup fails with
// its ValueError "Found N blobs instead of 1", answered by each view as it
// answers a ValueError.
func TestStaleV1WritesWithoutAncestor(t *testing.T) {
	for _, d := range storetest.Databases(t) {
		t.Run(d.Name, func(t *testing.T) {
			f := newMergeFixture(t, d.URL)
			f.putLocale("de", 2000, 1, http.StatusCreated)
			if _, err := f.db.Exec("DELETE FROM releases_history WHERE name = ? AND data_version = 1", mergeRel); err != nil {
				t.Fatal(err)
			}
			before := f.state()
			wantBody(t, f.putLocale("fr", 3000, 1, http.StatusBadRequest), `{"type": "about:blank", "title": "Bad Request", "status": 400,
				"detail": "Couldn't update release: Found 0 blobs instead of 1", "exception": ["Found 0 blobs instead of 1"]}`)
			got := f.must("POST", "/releases/"+mergeRel, jsonBody(map[string]any{"product": "Firefox", "schema_version": 1, "data_version": 1,
				"data": `{"detailsUrl": "https://example.com/details"}`}), "balrogadmin", 400)
			wantBody(t, got, `{"type": "about:blank", "title": "Bad Request", "status": 400,
				"detail": "Couldn't update release: Found 0 blobs instead of 1", "exception": ["Found 0 blobs instead of 1"]}`)
			got = f.must("PUT", "/releases/"+mergeRel, jsonBody(map[string]any{"name": mergeRel, "product": "Firefox", "data_version": 1, "blob": mergeBlob}), "balrogadmin", 400)
			wantBody(t, got, `{"type": "about:blank", "title": "Bad Request", "status": 400,
				"detail": "Couldn't update release", "exception": ["Found 0 blobs instead of 1"]}`)
			// A version the release never had.
			wantBody(t, f.putLocale("fr", 3000, 9, http.StatusBadRequest), `{"type": "about:blank", "title": "Bad Request", "status": 400,
				"detail": "Couldn't update release: Found 0 blobs instead of 1", "exception": ["Found 0 blobs instead of 1"]}`)
			if after := f.state(); after != before {
				t.Errorf("a refused write changed the database:\n%s\nwas\n%s", after, before)
			}
		})
	}
}

// TestStaleV1WritesRecreatedRelease: a release deleted and created again
// has two history entries at version 1; Balrog's lookup wants exactly one.
func TestStaleV1WritesRecreatedRelease(t *testing.T) {
	for _, d := range storetest.Databases(t) {
		t.Run(d.Name, func(t *testing.T) {
			f := newMergeFixture(t, d.URL)
			f.must("DELETE", "/releases/"+mergeRel+"?data_version=1", "", "balrogadmin", 200)
			f.must("POST", "/releases", jsonBody(map[string]any{"name": mergeRel, "product": "Firefox", "blob": mergeBlob}), "balrogadmin", 201)
			f.putLocale("de", 2000, 1, http.StatusCreated)
			wantBody(t, f.putLocale("fr", 3000, 1, http.StatusBadRequest), `{"type": "about:blank", "title": "Bad Request", "status": 400,
				"detail": "Couldn't update release: Found 2 blobs instead of 1", "exception": ["Found 2 blobs instead of 1"]}`)
		})
	}
}

// TestConcurrentStaleLocalePuts races locale PUTs that all base their write
// on version 1 and each add another locale, on MariaDB (REPEATABLE READ):
// the writers that lose the guarded update merge with the newest blob read
// past their snapshot, so every write succeeds and no locale is lost.
func TestConcurrentStaleLocalePuts(t *testing.T) {
	const writers = 8
	f := newMergeFixture(t, storetest.MySQL(t).URL)
	type result struct {
		code int
		body string
	}
	results := make(chan result, writers)
	for i := range writers {
		go func() {
			locale := fmt.Sprintf("l%d", i)
			code, body := authzRequest(f.h, "PUT", "/releases/"+mergeRel+"/builds/WINNT_x86-msvc/"+locale, jsonBody(map[string]any{
				"product": "Firefox", "schema_version": 1, "data_version": 1, "data": mergeLocale(locale, 100+i)}), "balrogadmin")
			results <- result{code, body}
		}()
	}
	seen := map[string]bool{}
	for range writers {
		r := <-results
		if r.code != http.StatusCreated {
			t.Errorf("locale PUT: %d %s", r.code, r.body)
			continue
		}
		seen[r.body] = true
	}
	if len(seen) != writers {
		t.Errorf("answers %v: want %d distinct new versions", seen, writers)
	}
	if got := f.locales(); len(got) != writers+1 {
		t.Errorf("locales %v, want en-US and %d more", got, writers)
	}
	if _, dv := f.stored(); dv != writers+1 {
		t.Errorf("data_version %d, want %d", dv, writers+1)
	}
	if n := f.int("SELECT COUNT(*) FROM releases_history WHERE data_version IS NOT NULL"); n != writers+1 {
		t.Errorf("%d history rows with a version, want %d", n, writers+1)
	}
}
