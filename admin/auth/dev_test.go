package auth

import (
	"bufio"
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestDevHeader(t *testing.T) {
	d := NewDev()
	for _, tc := range []struct {
		user     string
		want     Identity
		username string
		check    bool
	}{
		{"alice@example.com", Identity{Subject: "alice@example.com"}, "alice@example.com", true},
		{"balrogadmin", Identity{Subject: "balrogadmin", M2M: true}, "balrogadmin", false},
		{"41U6XJQdSa6CL8oGa6CXvO4aZWlnq5xg", Identity{Subject: "41U6XJQdSa6CL8oGa6CXvO4aZWlnq5xg", M2M: true}, "balrogagent", false},
	} {
		r := httptest.NewRequest(http.MethodPost, "/rules", nil)
		r.Header.Set(DevUserHeader, tc.user)
		// The dev header wins over anything in Authorization.
		r.Header.Set("Authorization", "Basic Zm9vOmJhcg==")
		id, err := d.Authenticate(r)
		if err != nil {
			t.Fatalf("%s: %v", tc.user, err)
		}
		if id != tc.want {
			t.Errorf("identity = %+v, want %+v", id, tc.want)
		}
		mapping := map[string]string{"41U6XJQdSa6CL8oGa6CXvO4aZWlnq5xg": "balrogagent"}
		if got := id.Username(mapping); got != tc.username {
			t.Errorf("username = %q, want %q", got, tc.username)
		}
		if id.NeedsKnownUserCheck() != tc.check {
			t.Errorf("%s: NeedsKnownUserCheck = %v", tc.user, !tc.check)
		}
	}
}

func TestDevWithoutHeaderBehavesLikeProduction(t *testing.T) {
	d := NewDev()
	for _, tc := range malformedHeaders {
		r := httptest.NewRequest(http.MethodPost, "/rules", nil)
		if tc.header != nil {
			r.Header.Set("Authorization", *tc.header)
		}
		r.Header.Set(DevUserHeader, "")
		_, err := d.Authenticate(r)
		assertAuthError(t, err, tc.want)
	}

	// A token cannot be verified in dev mode.
	key := newKey(t)
	is := newIssuer(t, map[string]*rsa.PrivateKey{"k1": key})
	_, err := d.Authenticate(bearer(signRS256(t, key, "k1", is.claims(map[string]any{"email": "a@example.com"}))))
	assertAuthError(t, err, bodyNoKey)
	_, err = d.Authenticate(bearer("not-a-jwt"))
	assertAuthError(t, err, bodyNotRS256)
	r := httptest.NewRequest(http.MethodGet, "/users?access_token=abc", nil)
	_, err = d.Authenticate(r)
	assertAuthError(t, err, bodyNotRS256)
}

// TestDevMatchesConformanceCorpus replays the anonymous 401 steps of the
// recorded admin corpus through the dev authenticator, when the corpus is
// available.
func TestDevMatchesConformanceCorpus(t *testing.T) {
	files, _ := filepath.Glob("/work/shared/conformance/admin/*.jsonl")
	if len(files) == 0 {
		t.Skip("admin conformance corpus not available")
	}
	d := NewDev()
	checked := 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			var step struct {
				ID       string            `json:"id"`
				User     *string           `json:"user"`
				Headers  map[string]string `json:"headers"`
				Status   int               `json:"status"`
				Response json.RawMessage   `json:"response"`
			}
			if err := json.Unmarshal(sc.Bytes(), &step); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if step.Status != http.StatusUnauthorized {
				continue
			}
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			for k, v := range step.Headers {
				r.Header.Set(k, v)
			}
			if step.User != nil {
				r.Header.Set(DevUserHeader, *step.User)
			}
			_, err := d.Authenticate(r)
			authErr, ok := err.(*Error)
			if !ok {
				t.Errorf("%s: error %v, want *Error", step.ID, err)
				continue
			}
			var got, want any
			if err := json.Unmarshal(authErr.Body(), &got); err != nil {
				t.Fatalf("%s: body is not JSON: %v", step.ID, err)
			}
			if err := json.Unmarshal(step.Response, &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: body %s, recorded %s", step.ID, authErr.Body(), step.Response)
			}
			checked++
		}
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d recorded 401 steps reproduced", checked)
}
