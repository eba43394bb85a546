package auth

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

const (
	testIssuer   = "https://balrog.test.dev/"
	testAudience = "balrog test"
)

// body renders the expected 401 body for a code and a Python-rendered
// description (quotes included).
func body(code, pyDescription string) string {
	return `{"type": "about:blank", "title": "Forbidden", "detail": "PermissionDeniedError", "status": 401, ` +
		`"exception": "Permission denied to perform the request. {'code': '` + code + `', 'description': ` + pyDescription + `}"}`
}

// assertAuthError checks that err is an *Error with status 401 and exactly
// the given body.
func assertAuthError(t *testing.T, err error, want string) {
	t.Helper()
	var authErr *Error
	if !errors.As(err, &authErr) {
		t.Fatalf("error = %v (%T), want *Error", err, err)
	}
	if authErr.Status != http.StatusUnauthorized {
		t.Errorf("status = %d, want 401", authErr.Status)
	}
	if got := string(authErr.Body()); got != want {
		t.Errorf("body =\n%s\nwant\n%s", got, want)
	}
}

// issuer is a fake identity provider: it serves a JWKS (and a userinfo
// endpoint) over real HTTP, counts the requests, and can switch keys or
// fail. Its clock is the one given to the authenticator.
type issuer struct {
	t   *testing.T
	srv *httptest.Server

	mu             sync.Mutex
	published      map[string]*rsa.PrivateKey // kid → key in the JWKS
	jwksDown       bool
	jwksFetches    int
	userinfoStatus int
	userinfoBody   string
	userinfoCalls  int
	userinfoAuth   string
	now            time.Time
}

// newIssuer starts a fake provider publishing the given keys.
func newIssuer(t *testing.T, published map[string]*rsa.PrivateKey) *issuer {
	t.Helper()
	is := &issuer{
		t:              t,
		published:      published,
		userinfoStatus: http.StatusOK,
		userinfoBody:   `{}`,
		now:            time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/jwks.json", is.serveJWKS)
	mux.HandleFunc("GET /userinfo", is.serveUserinfo)
	is.srv = httptest.NewServer(mux)
	t.Cleanup(is.srv.Close)
	return is
}

func (is *issuer) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.jwksFetches++
	if is.jwksDown {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	type key struct {
		Kty string `json:"kty"`
		Kid string `json:"kid"`
		Use string `json:"use"`
		Alg string `json:"alg"`
		N   string `json:"n"`
		E   string `json:"e"`
	}
	keys := []key{}
	for kid, k := range is.published {
		keys = append(keys, key{
			Kty: "RSA", Kid: kid, Use: "sig", Alg: "RS256",
			N: b64(k.N.Bytes()),
			E: b64(big.NewInt(int64(k.E)).Bytes()),
		})
	}
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(map[string]any{"keys": keys}); err != nil {
		is.t.Errorf("encoding JWKS: %v", err)
	}
}

func (is *issuer) serveUserinfo(w http.ResponseWriter, r *http.Request) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.userinfoCalls++
	is.userinfoAuth = r.Header.Get("Authorization")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(is.userinfoStatus)
	_, _ = w.Write([]byte(is.userinfoBody))
}

// set runs f with the issuer locked, to change its state.
func (is *issuer) set(f func(is *issuer)) {
	is.mu.Lock()
	defer is.mu.Unlock()
	f(is)
}

// fetches returns how many times the JWKS was requested.
func (is *issuer) fetches() int {
	is.mu.Lock()
	defer is.mu.Unlock()
	return is.jwksFetches
}

// clock returns the fake time.
func (is *issuer) clock() time.Time {
	is.mu.Lock()
	defer is.mu.Unlock()
	return is.now
}

// advance moves the fake clock forward.
func (is *issuer) advance(d time.Duration) {
	is.set(func(is *issuer) { is.now = is.now.Add(d) })
}

// config returns an OIDCConfig pointing at the fake provider.
func (is *issuer) config() OIDCConfig {
	return OIDCConfig{
		Issuer:     testIssuer,
		Audience:   testAudience,
		JWKSURL:    is.srv.URL + "/.well-known/jwks.json",
		HTTPClient: is.srv.Client(),
		Now:        is.clock,
	}
}

// oidc returns an authenticator for the fake provider.
func (is *issuer) oidc(mutate func(*OIDCConfig)) *OIDC {
	is.t.Helper()
	cfg := is.config()
	if mutate != nil {
		mutate(&cfg)
	}
	o, err := NewOIDC(cfg)
	if err != nil {
		is.t.Fatalf("NewOIDC: %v", err)
	}
	return o
}

// claims returns valid claims for a human at the fake time.
func (is *issuer) claims(extra map[string]any) map[string]any {
	now := is.clock()
	c := map[string]any{
		"iss": testIssuer,
		"aud": []string{testAudience, testIssuer + "userinfo"},
		"sub": "google-oauth2|1234",
		"iat": now.Add(-time.Minute).Unix(),
		"exp": now.Add(time.Hour).Unix(),
	}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return b
}

// signRS256 returns a compact JWT signed with key, whose header names kid.
func signRS256(t *testing.T, key *rsa.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	header := map[string]any{"alg": "RS256", "typ": "JWT", "kid": kid}
	input := b64(mustJSON(t, header)) + "." + b64(mustJSON(t, claims))
	digest := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatalf("signing: %v", err)
	}
	return input + "." + b64(sig)
}

// signHS256 returns a compact JWT MAC'ed with secret.
func signHS256(t *testing.T, secret []byte, kid string, claims map[string]any) string {
	t.Helper()
	header := map[string]any{"alg": "HS256", "typ": "JWT", "kid": kid}
	input := b64(mustJSON(t, header)) + "." + b64(mustJSON(t, claims))
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(input))
	return input + "." + b64(mac.Sum(nil))
}

// unsigned returns a compact JWT with the given header and no signature.
func unsigned(t *testing.T, header, claims map[string]any) string {
	t.Helper()
	return b64(mustJSON(t, header)) + "." + b64(mustJSON(t, claims)) + "."
}

// newKey generates an RSA key for a test.
func newKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("generating key: %v", err)
	}
	return k
}

// bearer returns a request carrying the token in the Authorization header.
func bearer(token string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/rules", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	return r
}
