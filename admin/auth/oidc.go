package auth

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"time"
)

// Defaults applied by NewOIDC to the zero values of OIDCConfig.
const (
	// DefaultLeeway is the clock skew tolerated on exp and nbf.
	DefaultLeeway = 30 * time.Second
	// DefaultJWKSTTL is how long a fetched JWKS is used (as in Balrog).
	DefaultJWKSTTL = time.Hour
	// DefaultJWKSRefetchInterval is the minimum time between two fetches
	// caused by tokens whose kid is not in the cached JWKS.
	DefaultJWKSRefetchInterval = 30 * time.Second
	// DefaultUserinfoCacheSize is the number of userinfo answers kept (as
	// in Balrog).
	DefaultUserinfoCacheSize = 2048
	// DefaultHTTPTimeout is the timeout of the HTTP client NewOIDC creates
	// when none is given.
	DefaultHTTPTimeout = 10 * time.Second
)

// OIDCConfig configures the production authenticator.
type OIDCConfig struct {
	// Issuer is the exact value the iss claim must have, e.g.
	// "https://balrog.auth0.com/" (Balrog: "https://{AUTH0_DOMAIN}/").
	Issuer string
	// Audience must be the aud claim, or one element of it.
	Audience string
	// JWKSURL is where the issuer's signing keys are published, e.g.
	// "https://balrog.auth0.com/.well-known/jwks.json".
	JWKSURL string
	// UserinfoURL, when set, is called for human (non-M2M) tokens, with the
	// token as bearer, and its answer overrides the token's claims (Balrog:
	// "https://{AUTH0_DOMAIN}/userinfo"). When empty, the email claim of the
	// token itself is used.
	UserinfoURL string
	// HTTPClient fetches the JWKS and userinfo. Nil means a client with
	// DefaultHTTPTimeout.
	HTTPClient *http.Client
	// Now returns the current time; nil means time.Now. Tests inject a
	// fixed clock.
	Now func() time.Time
	// M2MAccounts maps machine client ids (azp) to Balrog account names,
	// Balrog's M2M_ACCOUNT_MAPPING. It is copied by NewOIDC and available
	// through OIDC.M2MAccounts, for Identity.Username.
	M2MAccounts map[string]string
	// Leeway is the tolerated clock skew on exp and nbf. Zero means
	// DefaultLeeway; a negative value means none.
	Leeway time.Duration
	// JWKSTTL is how long a fetched JWKS is used. Zero means DefaultJWKSTTL.
	JWKSTTL time.Duration
	// JWKSRefetchInterval limits the refetches caused by unknown kids. Zero
	// means DefaultJWKSRefetchInterval.
	JWKSRefetchInterval time.Duration
	// UserinfoCacheSize is the number of userinfo answers kept. Zero means
	// DefaultUserinfoCacheSize.
	UserinfoCacheSize int
}

// OIDC is the production Authenticator: it verifies RS256 JWT access tokens
// against the issuer's JWKS as Balrog does with Auth0 (admin.md §1.2). It is
// safe for concurrent use.
type OIDC struct {
	issuer   string
	audience string
	now      func() time.Time
	leeway   time.Duration
	accounts map[string]string
	jwks     *jwksCache
	userinfo *userinfoClient // nil when no userinfo URL is configured
}

// OIDC implements Authenticator.
var _ Authenticator = (*OIDC)(nil)

// NewOIDC validates cfg and returns an authenticator. Nothing is fetched
// until the first token is verified.
func NewOIDC(cfg OIDCConfig) (*OIDC, error) {
	if cfg.Issuer == "" {
		return nil, errors.New("oidc: the issuer is required")
	}
	if cfg.Audience == "" {
		return nil, errors.New("oidc: the audience is required")
	}
	if err := checkURL(cfg.JWKSURL); err != nil {
		return nil, fmt.Errorf("oidc: JWKS URL: %w", err)
	}
	if cfg.UserinfoURL != "" {
		if err := checkURL(cfg.UserinfoURL); err != nil {
			return nil, fmt.Errorf("oidc: userinfo URL: %w", err)
		}
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	leeway := cfg.Leeway
	switch {
	case leeway == 0:
		leeway = DefaultLeeway
	case leeway < 0:
		leeway = 0
	}
	ttl := cfg.JWKSTTL
	if ttl <= 0 {
		ttl = DefaultJWKSTTL
	}
	refetch := cfg.JWKSRefetchInterval
	if refetch <= 0 {
		refetch = DefaultJWKSRefetchInterval
	}
	o := &OIDC{
		issuer:   cfg.Issuer,
		audience: cfg.Audience,
		now:      now,
		leeway:   leeway,
		accounts: maps.Clone(cfg.M2MAccounts),
		jwks: &jwksCache{
			url:        cfg.JWKSURL,
			client:     client,
			now:        now,
			ttl:        ttl,
			minRefetch: refetch,
		},
	}
	if cfg.UserinfoURL != "" {
		size := cfg.UserinfoCacheSize
		if size <= 0 {
			size = DefaultUserinfoCacheSize
		}
		o.userinfo = &userinfoClient{url: cfg.UserinfoURL, client: client, cache: newLRU(size)}
	}
	return o, nil
}

// checkURL requires an absolute http or https URL.
func checkURL(raw string) error {
	if raw == "" {
		return errors.New("missing")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("parsing %q: %w", raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", raw)
	}
	return nil
}

// M2MAccounts returns a copy of the configured client id → account mapping,
// for Identity.Username.
func (o *OIDC) M2MAccounts() map[string]string {
	return maps.Clone(o.accounts)
}

// Authenticate extracts the request's access token and verifies it, in
// Balrog's order: token extraction, JOSE header (RS256 only), signing key by
// kid (with one rate-limited JWKS refetch for an unknown kid), signature,
// claims (nbf, exp, aud, iss), then the identity: the azp claim of a token
// with a gty claim (M2M), otherwise the email claim, after merging the
// userinfo answer when a userinfo URL is configured.
func (o *OIDC) Authenticate(r *http.Request) (Identity, error) {
	token, err := ExtractToken(r)
	if err != nil {
		return Identity{}, err
	}
	parsed, authErr := parseToken(token)
	if authErr != nil {
		return Identity{}, authErr
	}
	if !parsed.header.HasKid {
		return Identity{}, errNoKey()
	}
	key, err := o.jwks.key(r.Context(), parsed.header.Kid)
	if err != nil {
		return Identity{}, fmt.Errorf("verifying access token: %w", err)
	}
	if key == nil {
		return Identity{}, errNoKey()
	}
	if authErr := parsed.verifySignature(key); authErr != nil {
		return Identity{}, authErr
	}
	claims, authErr := parsed.claims()
	if authErr != nil {
		return Identity{}, authErr
	}
	if authErr := validateClaims(claims, claimsCheck{
		audience: o.audience,
		issuer:   o.issuer,
		now:      o.now(),
		leeway:   o.leeway,
	}); authErr != nil {
		return Identity{}, authErr
	}

	if _, m2m := claims["gty"]; m2m {
		// Machine tokens name their client in azp, the closest thing
		// they have to an email address.
		azp, _ := claims["azp"].(string)
		if azp == "" {
			return Identity{}, errNoEmail()
		}
		return Identity{Subject: azp, M2M: true}, nil
	}
	if o.userinfo != nil {
		info, err := o.userinfo.lookup(r.Context(), token)
		if err != nil {
			var authErr *Error
			if errors.As(err, &authErr) {
				return Identity{}, authErr
			}
			return Identity{}, fmt.Errorf("verifying access token: %w", err)
		}
		merged := maps.Clone(claims)
		maps.Copy(merged, info)
		claims = merged
	}
	email, _ := claims["email"].(string)
	if email == "" {
		return Identity{}, errNoEmail()
	}
	return Identity{Subject: email}, nil
}
