package auth

import (
	"bytes"
	"crypto/rsa"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// malformedHeaders are the Authorization header cases of admin.md §1.2 step 1
// with Balrog's exact bodies; nil means no header at all.
var malformedHeaders = []struct {
	name   string
	header *string
	want   string
}{
	{"missing", nil, body("authorization_header_missing", "'Authorization header is expected'")},
	{"empty", ptr(""), body("authorization_header_missing", "'Authorization header is expected'")},
	{"blank", ptr("   "), body("authorization_header_missing", "'Authorization header is expected'")},
	{"basic", ptr("Basic Zm9vOmJhcg=="), body("invalid_header", "'Authorization header must start with Bearer'")},
	{"token alone", ptr("eyJhbGciOiJSUzI1NiJ9.e30.c2ln"), body("invalid_header", "'Authorization header must start with Bearer'")},
	{"basic with extra parts", ptr("Basic a b"), body("invalid_header", "'Authorization header must start with Bearer'")},
	{"bearer without token", ptr("Bearer"), body("invalid_header", "'Token not found'")},
	{"lowercase bearer without token", ptr("bearer  "), body("invalid_header", "'Token not found'")},
	{"too many parts", ptr("Bearer a b"), body("invalid_header", "'Authorization header must be Bearer token'")},
	{"far too many parts", ptr("BEARER a b c d"), body("invalid_header", "'Authorization header must be Bearer token'")},
}

func ptr(s string) *string { return &s }

func TestExtractTokenMalformedHeaders(t *testing.T) {
	for _, tc := range malformedHeaders {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/users", nil)
			if tc.header != nil {
				r.Header.Set("Authorization", *tc.header)
			}
			tok, err := ExtractToken(r)
			if err == nil {
				t.Fatalf("token %q extracted", tok)
			}
			assertAuthError(t, err, tc.want)
		})
	}
}

func TestOIDCMalformedHeadersNeedNoJWKS(t *testing.T) {
	is := newIssuer(t, nil)
	o := is.oidc(nil)
	for _, tc := range malformedHeaders {
		r := httptest.NewRequest(http.MethodPost, "/rules", nil)
		if tc.header != nil {
			r.Header.Set("Authorization", *tc.header)
		}
		_, err := o.Authenticate(r)
		assertAuthError(t, err, tc.want)
	}
	if n := is.fetches(); n != 0 {
		t.Errorf("JWKS fetched %d times for malformed requests", n)
	}
}

func TestExtractTokenWellFormedHeaders(t *testing.T) {
	for header, want := range map[string]string{
		"Bearer abc":      "abc",
		"bearer abc":      "abc",
		"BeArEr abc":      "abc",
		"Bearer   abc  ":  "abc",
		"Bearer\tabc":     "abc",
		"Bearer a.b.c-_=": "a.b.c-_=",
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", header)
		got, err := ExtractToken(r)
		if err != nil || got != want {
			t.Errorf("%q: got %q, %v; want %q", header, got, err, want)
		}
	}
}

func TestExtractTokenPrecedence(t *testing.T) {
	form := url.Values{"access_token": {"from-form"}, "other": {"x"}}.Encode()
	r := httptest.NewRequest(http.MethodPost, "/rules?access_token=from-query", strings.NewReader(form))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Authorization", "Bearer from-header")
	if got, err := ExtractToken(r); err != nil || got != "from-form" {
		t.Errorf("got %q, %v; want the form field", got, err)
	}
	// The body is still readable afterwards.
	rest, err := io.ReadAll(r.Body)
	if err != nil || string(rest) != form {
		t.Errorf("body after extraction = %q, %v", rest, err)
	}

	r = httptest.NewRequest(http.MethodPost, "/rules?access_token=from-query", strings.NewReader(`{"access_token": "json"}`))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "Basic ignored")
	if got, err := ExtractToken(r); err != nil || got != "from-query" {
		t.Errorf("got %q, %v; want the query parameter", got, err)
	}
	if rest, _ := io.ReadAll(r.Body); string(rest) != `{"access_token": "json"}` {
		t.Errorf("JSON body consumed: %q", rest)
	}

	// An empty query parameter is a (bad) token, as in Balrog.
	r = httptest.NewRequest(http.MethodGet, "/users?access_token=", nil)
	if got, err := ExtractToken(r); err != nil || got != "" {
		t.Errorf("got %q, %v; want an empty token", got, err)
	}
}

func TestExtractTokenMultipartForm(t *testing.T) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if err := w.WriteField("access_token", "from-multipart"); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPut, "/x", bytes.NewReader(buf.Bytes()))
	r.Header.Set("Content-Type", w.FormDataContentType())
	if got, err := ExtractToken(r); err != nil || got != "from-multipart" {
		t.Errorf("got %q, %v", got, err)
	}
}

func TestOIDCTokenInQueryAndForm(t *testing.T) {
	key := newKey(t)
	is := newIssuer(t, map[string]*rsa.PrivateKey{"k1": key})
	o := is.oidc(nil)
	tok := signRS256(t, key, "k1", is.claims(map[string]any{"email": "bob@example.com"}))

	r := httptest.NewRequest(http.MethodGet, "/users?access_token="+url.QueryEscape(tok), nil)
	if id, err := o.Authenticate(r); err != nil || id.Subject != "bob@example.com" {
		t.Errorf("query: %+v, %v", id, err)
	}

	r = httptest.NewRequest(http.MethodPost, "/rules", strings.NewReader(url.Values{"access_token": {tok}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if id, err := o.Authenticate(r); err != nil || id.Subject != "bob@example.com" {
		t.Errorf("form: %+v, %v", id, err)
	}

	// A bad query token is not rescued by a good header.
	r = httptest.NewRequest(http.MethodGet, "/users?access_token=garbage", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	_, err := o.Authenticate(r)
	assertAuthError(t, err, bodyNotRS256)
}
