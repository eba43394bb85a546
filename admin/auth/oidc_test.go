package auth

import (
	"crypto/rsa"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// The exact bodies of the verification failures.
var (
	bodyNotRS256 = body("invalid_header", "'Invalid header. Use an RS256 signed JWT Access Token'")
	bodyNoKey    = body("invalid_key", "'Unable to find RSA key.'")
	bodyExpired  = body("token_expired", "'token is expired'")
	bodyClaims   = body("invalid_claims", "'incorrect claims, please check the audience and issuer'")
	bodyNoEmail  = body("no_email", "'no email address found in access or id tokens'")
	bodySig      = body("invalid_signature", "'Signature verification failed.'")
)

func TestOIDCRejectsBadTokens(t *testing.T) {
	key, other := newKey(t), newKey(t)
	is := newIssuer(t, map[string]*rsa.PrivateKey{"k1": key})
	o := is.oidc(nil)
	now := is.clock()

	tests := []struct {
		name  string
		token string
		want  string
	}{
		{"wrong signature", signRS256(t, other, "k1", is.claims(map[string]any{"email": "a@example.com"})), bodySig},
		{"tampered payload", func() string {
			tok := signRS256(t, key, "k1", is.claims(map[string]any{"email": "a@example.com"}))
			parts := strings.Split(tok, ".")
			parts[1] = b64(mustJSON(t, is.claims(map[string]any{"email": "admin@example.com"})))
			return strings.Join(parts, ".")
		}(), bodySig},
		{"alg none", unsigned(t, map[string]any{"alg": "none", "kid": "k1"}, is.claims(map[string]any{"email": "a@example.com"})), bodyNotRS256},
		{"alg None", unsigned(t, map[string]any{"alg": "None", "kid": "k1"}, is.claims(map[string]any{"email": "a@example.com"})), bodyNotRS256},
		{"HS256", signHS256(t, []byte("secret"), "k1", is.claims(map[string]any{"email": "a@example.com"})), bodyNotRS256},
		{"RS384", unsigned(t, map[string]any{"alg": "RS384", "kid": "k1"}, is.claims(nil)) + "c2ln", bodyNotRS256},
		{"no alg", unsigned(t, map[string]any{"kid": "k1"}, is.claims(nil)) + "c2ln", bodyNotRS256},
		{"not a JWT", "abc", bodyNotRS256},
		{"header not JSON", b64([]byte("{nope")) + ".e30.c2ln", bodyNotRS256},
		{"header not base64", "!!!.e30.c2ln", bodyNotRS256},
		{"four segments", signRS256(t, key, "k1", is.claims(nil)) + ".x", bodyNotRS256},
		{"no kid", unsigned(t, map[string]any{"alg": "RS256"}, is.claims(nil)) + "c2ln", bodyNoKey},
		{"expired", signRS256(t, key, "k1", is.claims(map[string]any{
			"email": "a@example.com", "exp": now.Add(-time.Hour).Unix(),
		})), bodyExpired},
		{"expired beyond leeway", signRS256(t, key, "k1", is.claims(map[string]any{
			"email": "a@example.com", "exp": now.Add(-31 * time.Second).Unix(),
		})), bodyExpired},
		{"expired and wrong audience", signRS256(t, key, "k1", is.claims(map[string]any{
			"exp": now.Add(-time.Hour).Unix(), "aud": "someone else",
		})), bodyExpired},
		{"no exp", signRS256(t, key, "k1", is.claims(map[string]any{"email": "a@example.com", "exp": nil})), bodyClaims},
		{"exp not a number", signRS256(t, key, "k1", is.claims(map[string]any{"email": "a@example.com", "exp": "soon"})), bodyClaims},
		{"not yet valid", signRS256(t, key, "k1", is.claims(map[string]any{
			"email": "a@example.com", "nbf": now.Add(time.Hour).Unix(),
		})), bodyClaims},
		{"wrong audience", signRS256(t, key, "k1", is.claims(map[string]any{"email": "a@example.com", "aud": "balrog"})), bodyClaims},
		{"wrong audience list", signRS256(t, key, "k1", is.claims(map[string]any{
			"email": "a@example.com", "aud": []string{"balrog", "other"},
		})), bodyClaims},
		{"no audience", signRS256(t, key, "k1", is.claims(map[string]any{"email": "a@example.com", "aud": nil})), bodyClaims},
		{"wrong issuer", signRS256(t, key, "k1", is.claims(map[string]any{
			"email": "a@example.com", "iss": "https://evil.example.com/",
		})), bodyClaims},
		{"issuer without trailing slash", signRS256(t, key, "k1", is.claims(map[string]any{
			"email": "a@example.com", "iss": strings.TrimSuffix(testIssuer, "/"),
		})), bodyClaims},
		{"no issuer", signRS256(t, key, "k1", is.claims(map[string]any{"email": "a@example.com", "iss": nil})), bodyClaims},
		{"human without email", signRS256(t, key, "k1", is.claims(nil)), bodyNoEmail},
		{"human with empty email", signRS256(t, key, "k1", is.claims(map[string]any{"email": ""})), bodyNoEmail},
		{"M2M without azp", signRS256(t, key, "k1", is.claims(map[string]any{"gty": "client-credentials", "email": "a@example.com"})), bodyNoEmail},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, err := o.Authenticate(bearer(tc.token))
			if err == nil {
				t.Fatalf("accepted as %+v", id)
			}
			assertAuthError(t, err, tc.want)
		})
	}
	if n := is.fetches(); n != 1 {
		t.Errorf("JWKS fetched %d times, want 1 (cached)", n)
	}
}

func TestOIDCValidHumanToken(t *testing.T) {
	key := newKey(t)
	is := newIssuer(t, map[string]*rsa.PrivateKey{"k1": key})
	o := is.oidc(func(c *OIDCConfig) { c.M2MAccounts = map[string]string{"abc": "balrogagent"} })

	// A string aud, and a token that expired within the leeway.
	tok := signRS256(t, key, "k1", is.claims(map[string]any{
		"email": "bob@example.com", "aud": testAudience, "exp": is.clock().Add(-10 * time.Second).Unix(),
	}))
	id, err := o.Authenticate(bearer(tok))
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if id != (Identity{Subject: "bob@example.com"}) {
		t.Errorf("identity = %+v", id)
	}
	if got := id.Username(o.M2MAccounts()); got != "bob@example.com" {
		t.Errorf("username = %q", got)
	}
	if !id.NeedsKnownUserCheck() {
		t.Error("a human must be checked against the permissions table")
	}
}

func TestOIDCValidM2MToken(t *testing.T) {
	key := newKey(t)
	is := newIssuer(t, map[string]*rsa.PrivateKey{"k1": key})
	o := is.oidc(func(c *OIDCConfig) {
		c.M2MAccounts = map[string]string{"8MQB51S7XgaswbpyprqcQjfOweiGm3h5": "balrogagent"}
		// M2M tokens never go to userinfo.
		c.UserinfoURL = is.srv.URL + "/userinfo"
	})
	for _, tc := range []struct{ azp, username string }{
		{"8MQB51S7XgaswbpyprqcQjfOweiGm3h5", "balrogagent"},
		{"unmappedClientId", "unmappedClientId"},
	} {
		tok := signRS256(t, key, "k1", is.claims(map[string]any{
			"gty": "client-credentials", "azp": tc.azp, "sub": tc.azp + "@clients",
		}))
		id, err := o.Authenticate(bearer(tok))
		if err != nil {
			t.Fatalf("Authenticate: %v", err)
		}
		if id != (Identity{Subject: tc.azp, M2M: true}) {
			t.Errorf("identity = %+v", id)
		}
		if got := id.Username(o.M2MAccounts()); got != tc.username {
			t.Errorf("username = %q, want %q", got, tc.username)
		}
		if id.NeedsKnownUserCheck() {
			t.Error("M2M clients skip the known-user check")
		}
	}
	is.set(func(is *issuer) {
		if is.userinfoCalls != 0 {
			t.Errorf("userinfo called %d times for M2M tokens", is.userinfoCalls)
		}
	})
}

func TestOIDCUnknownKidRefetchesOnce(t *testing.T) {
	key, stranger := newKey(t), newKey(t)
	is := newIssuer(t, map[string]*rsa.PrivateKey{"k1": key})
	o := is.oidc(nil)

	good := signRS256(t, key, "k1", is.claims(map[string]any{"email": "a@example.com"}))
	if _, err := o.Authenticate(bearer(good)); err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if n := is.fetches(); n != 1 {
		t.Fatalf("fetches = %d, want 1", n)
	}

	// Within the rate limit an unknown kid does not refetch.
	bad := signRS256(t, stranger, "k2", is.claims(map[string]any{"email": "a@example.com"}))
	_, err := o.Authenticate(bearer(bad))
	assertAuthError(t, err, bodyNoKey)
	if n := is.fetches(); n != 1 {
		t.Fatalf("fetches = %d, want 1 (rate-limited)", n)
	}

	// After the interval: exactly one refetch, then invalid_key.
	is.advance(31 * time.Second)
	_, err = o.Authenticate(bearer(bad))
	assertAuthError(t, err, bodyNoKey)
	if n := is.fetches(); n != 2 {
		t.Fatalf("fetches = %d, want 2", n)
	}
	_, err = o.Authenticate(bearer(bad))
	assertAuthError(t, err, bodyNoKey)
	if n := is.fetches(); n != 2 {
		t.Fatalf("fetches = %d, want 2 (rate-limited)", n)
	}

	// Known kids keep working from the cache.
	if _, err := o.Authenticate(bearer(good)); err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	if n := is.fetches(); n != 2 {
		t.Fatalf("fetches = %d, want 2", n)
	}
}

func TestOIDCKeyRotation(t *testing.T) {
	oldKey, newKey2 := newKey(t), newKey(t)
	is := newIssuer(t, map[string]*rsa.PrivateKey{"old": oldKey})
	o := is.oidc(nil)

	if _, err := o.Authenticate(bearer(signRS256(t, oldKey, "old", is.claims(map[string]any{"email": "a@example.com"})))); err != nil {
		t.Fatalf("old key: %v", err)
	}
	is.set(func(is *issuer) { is.published = map[string]*rsa.PrivateKey{"new": newKey2} })
	is.advance(time.Minute)

	id, err := o.Authenticate(bearer(signRS256(t, newKey2, "new", is.claims(map[string]any{"email": "b@example.com"}))))
	if err != nil {
		t.Fatalf("new key after rotation: %v", err)
	}
	if id.Subject != "b@example.com" {
		t.Errorf("identity = %+v", id)
	}
	if n := is.fetches(); n != 2 {
		t.Errorf("fetches = %d, want 2", n)
	}
	// The retired key is gone with the refetched JWKS.
	_, err = o.Authenticate(bearer(signRS256(t, oldKey, "old", is.claims(map[string]any{"email": "a@example.com"}))))
	assertAuthError(t, err, bodyNoKey)
}

func TestOIDCJWKSExpiresAfterAnHour(t *testing.T) {
	key := newKey(t)
	is := newIssuer(t, map[string]*rsa.PrivateKey{"k1": key})
	o := is.oidc(nil)
	auth := func() error {
		_, err := o.Authenticate(bearer(signRS256(t, key, "k1", is.claims(map[string]any{"email": "a@example.com"}))))
		return err
	}
	if err := auth(); err != nil {
		t.Fatal(err)
	}
	is.advance(59 * time.Minute)
	if err := auth(); err != nil {
		t.Fatal(err)
	}
	if n := is.fetches(); n != 1 {
		t.Fatalf("fetches = %d, want 1", n)
	}
	is.advance(2 * time.Minute)
	if err := auth(); err != nil {
		t.Fatal(err)
	}
	if n := is.fetches(); n != 2 {
		t.Fatalf("fetches = %d, want 2", n)
	}
}

func TestOIDCJWKSDown(t *testing.T) {
	key := newKey(t)
	is := newIssuer(t, map[string]*rsa.PrivateKey{"k1": key})
	is.set(func(is *issuer) { is.jwksDown = true })
	o := is.oidc(nil)
	tok := signRS256(t, key, "k1", is.claims(map[string]any{"email": "a@example.com"}))

	_, err := o.Authenticate(bearer(tok))
	if !errors.Is(err, ErrProviderUnavailable) {
		t.Fatalf("error = %v, want ErrProviderUnavailable", err)
	}
	var authErr *Error
	if errors.As(err, &authErr) {
		t.Fatalf("a provider failure must not be a 401: %v", err)
	}

	// Malformed requests are still 401 without any JWKS.
	_, err = o.Authenticate(httptest.NewRequest(http.MethodPost, "/rules", nil))
	assertAuthError(t, err, body("authorization_header_missing", "'Authorization header is expected'"))

	// Failures are not cached: the provider recovers, the next request
	// succeeds.
	is.set(func(is *issuer) { is.jwksDown = false })
	if _, err := o.Authenticate(bearer(tok)); err != nil {
		t.Fatalf("after recovery: %v", err)
	}

	// An unreachable server is the same kind of failure.
	is.srv.Close()
	is.advance(2 * time.Hour)
	_, err = o.Authenticate(bearer(tok))
	if !errors.Is(err, ErrProviderUnavailable) {
		t.Fatalf("error = %v, want ErrProviderUnavailable", err)
	}
}

func TestOIDCJWKSNotJSON(t *testing.T) {
	is := newIssuer(t, nil)
	o := is.oidc(func(c *OIDCConfig) { c.JWKSURL = is.srv.URL + "/userinfo" })
	is.set(func(is *issuer) { is.userinfoBody = "<html>" })
	key := newKey(t)
	_, err := o.Authenticate(bearer(signRS256(t, key, "k1", is.claims(nil))))
	if !errors.Is(err, ErrProviderUnavailable) {
		t.Fatalf("error = %v, want ErrProviderUnavailable", err)
	}
}

func TestOIDCConcurrentColdCacheFetchesOnce(t *testing.T) {
	key := newKey(t)
	is := newIssuer(t, map[string]*rsa.PrivateKey{"k1": key})
	o := is.oidc(nil)
	tok := signRS256(t, key, "k1", is.claims(map[string]any{"email": "a@example.com"}))
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			if _, err := o.Authenticate(bearer(tok)); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := is.fetches(); n != 1 {
		t.Errorf("fetches = %d, want 1", n)
	}
}

func TestOIDCUserinfo(t *testing.T) {
	key := newKey(t)
	is := newIssuer(t, map[string]*rsa.PrivateKey{"k1": key})
	o := is.oidc(func(c *OIDCConfig) { c.UserinfoURL = is.srv.URL + "/userinfo" })

	// The userinfo answer supplies (and overrides) the email.
	is.set(func(is *issuer) { is.userinfoBody = `{"email": "carol@example.com", "email_verified": true}` })
	tok := signRS256(t, key, "k1", is.claims(map[string]any{"email": "ignored@example.com"}))
	for range 3 {
		id, err := o.Authenticate(bearer(tok))
		if err != nil {
			t.Fatalf("Authenticate: %v", err)
		}
		if id != (Identity{Subject: "carol@example.com"}) {
			t.Errorf("identity = %+v", id)
		}
	}
	is.set(func(is *issuer) {
		if is.userinfoCalls != 1 {
			t.Errorf("userinfo called %d times, want 1 (cached per token)", is.userinfoCalls)
		}
		if is.userinfoAuth != "Bearer "+tok {
			t.Errorf("userinfo Authorization = %q", is.userinfoAuth)
		}
	})

	// The token's email stands when userinfo has none.
	is.set(func(is *issuer) { is.userinfoBody = `{"sub": "x"}` })
	id, err := o.Authenticate(bearer(signRS256(t, key, "k1", is.claims(map[string]any{"email": "dan@example.com"}))))
	if err != nil || id.Subject != "dan@example.com" {
		t.Errorf("identity = %+v, %v", id, err)
	}

	// No email anywhere.
	_, err = o.Authenticate(bearer(signRS256(t, key, "k1", is.claims(map[string]any{"sub": "nobody"}))))
	assertAuthError(t, err, bodyNoEmail)

	// An unparsable answer is incomplete_validation; note the Python
	// rendering of a description containing an apostrophe.
	is.set(func(is *issuer) { is.userinfoBody = `not json` })
	_, err = o.Authenticate(bearer(signRS256(t, key, "k1", is.claims(map[string]any{"sub": "other"}))))
	assertAuthError(t, err, body("incomplete_validation", `\"couldn't find additional userinfo from access token\"`))

	// An HTTP error from the provider is a 500.
	is.set(func(is *issuer) { is.userinfoStatus = http.StatusTooManyRequests; is.userinfoBody = `{}` })
	_, err = o.Authenticate(bearer(signRS256(t, key, "k1", is.claims(map[string]any{"sub": "third"}))))
	if !errors.Is(err, ErrProviderUnavailable) {
		t.Fatalf("error = %v, want ErrProviderUnavailable", err)
	}
}

func TestLRUEvictsLeastRecentlyUsed(t *testing.T) {
	c := newLRU(2)
	k := func(b byte) [32]byte { return [32]byte{b} }
	c.add(k(1), map[string]any{"n": 1})
	c.add(k(2), map[string]any{"n": 2})
	if _, ok := c.get(k(1)); !ok {
		t.Fatal("1 missing")
	}
	c.add(k(3), map[string]any{"n": 3})
	if _, ok := c.get(k(2)); ok {
		t.Error("2 should have been evicted")
	}
	if _, ok := c.get(k(1)); !ok {
		t.Error("1 should have been kept")
	}
	if c.len() != 2 {
		t.Errorf("len = %d", c.len())
	}
}

func TestNewOIDCValidatesConfig(t *testing.T) {
	good := OIDCConfig{Issuer: testIssuer, Audience: testAudience, JWKSURL: "https://balrog.test.dev/.well-known/jwks.json"}
	if _, err := NewOIDC(good); err != nil {
		t.Fatalf("NewOIDC: %v", err)
	}
	for name, mutate := range map[string]func(*OIDCConfig){
		"no issuer":    func(c *OIDCConfig) { c.Issuer = "" },
		"no audience":  func(c *OIDCConfig) { c.Audience = "" },
		"no JWKS URL":  func(c *OIDCConfig) { c.JWKSURL = "" },
		"relative URL": func(c *OIDCConfig) { c.JWKSURL = "/jwks.json" },
		"bad userinfo": func(c *OIDCConfig) { c.UserinfoURL = "ftp://x/userinfo" },
	} {
		cfg := good
		mutate(&cfg)
		if _, err := NewOIDC(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
