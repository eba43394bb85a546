package auth

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"sync"
	"time"
)

// maxJWKSBody bounds the size of a JWKS document.
const maxJWKSBody = 1 << 20

// fetchTimeout bounds one JWKS fetch, whatever the HTTP client's timeout.
const fetchTimeout = 15 * time.Second

// jwksCache holds the RSA signing keys of the issuer's JWKS, by kid.
//
// The keys are refetched when they are older than ttl (Balrog caches the
// JWKS for an hour). A kid that is not in the cache triggers one early
// refetch, so that a key rotation is picked up at once, but at most once per
// minRefetch so that tokens with made-up kids cannot hammer the issuer.
// Fetches are serialised; a request that waited for another request's fetch
// uses its result instead of fetching again.
type jwksCache struct {
	url        string
	client     *http.Client
	now        func() time.Time
	ttl        time.Duration
	minRefetch time.Duration

	fetchMu sync.Mutex // held during a fetch

	mu          sync.Mutex // guards the fields below
	keys        map[string]*rsa.PublicKey
	fetchedAt   time.Time // time of the last successful fetch
	attemptedAt time.Time // time of the last fetch attempt
	generation  uint64    // incremented by every fetch attempt
	lastErr     error     // the error of the last fetch attempt, if it failed
}

// state returns a consistent view of the cache.
func (c *jwksCache) state() (keys map[string]*rsa.PublicKey, fresh bool, attemptedAt time.Time, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fresh = c.keys != nil && c.now().Sub(c.fetchedAt) < c.ttl
	return c.keys, fresh, c.attemptedAt, c.generation
}

// key returns the key with the given kid, or (nil, nil) if the JWKS has none
// even after the permitted refetch. The error, which wraps
// ErrProviderUnavailable, reports a failed fetch.
func (c *jwksCache) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	keys, fresh, attemptedAt, gen := c.state()
	if !fresh {
		var err error
		if keys, gen, err = c.refresh(ctx, gen); err != nil {
			return nil, err
		}
		if k := keys[kid]; k != nil {
			return k, nil
		}
		// Just fetched: the kid is unknown to the issuer.
		return nil, nil
	}
	if k := keys[kid]; k != nil {
		return k, nil
	}
	if c.now().Sub(attemptedAt) < c.minRefetch {
		return nil, nil
	}
	keys, _, err := c.refresh(ctx, gen)
	if err != nil {
		return nil, err
	}
	return keys[kid], nil
}

// refresh fetches the JWKS, unless a fetch was attempted after the caller
// observed generation seen: then the outcome of that attempt (its keys or its
// error) is returned instead, so that requests queued behind a fetch do not
// repeat it. The fetch is not cancelled when the request that triggered it
// is, because the requests waiting for it depend on its outcome.
func (c *jwksCache) refresh(ctx context.Context, seen uint64) (map[string]*rsa.PublicKey, uint64, error) {
	c.fetchMu.Lock()
	defer c.fetchMu.Unlock()

	c.mu.Lock()
	if c.generation != seen {
		keys, gen, err := c.keys, c.generation, c.lastErr
		c.mu.Unlock()
		if err != nil {
			return nil, gen, err
		}
		return keys, gen, nil
	}
	c.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
	defer cancel()
	keys, err := c.fetch(ctx)

	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	c.generation++
	c.attemptedAt = now
	c.lastErr = err
	if err != nil {
		return nil, c.generation, err
	}
	c.keys = keys
	c.fetchedAt = now
	return keys, c.generation, nil
}

// jwkSet is the JSON form of a JWKS.
type jwkSet struct {
	Keys []jwk `json:"keys"`
}

// jwk is the JSON form of one JSON Web Key; only RSA members are read.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// fetch downloads and parses the JWKS. Keys that are not RSA signing keys
// usable with RS256 are skipped.
func (c *jwksCache) fetch(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return nil, fmt.Errorf("fetching JWKS: %w: %w", ErrProviderUnavailable, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching JWKS: %w: %w", ErrProviderUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("fetching JWKS from %s: %w: HTTP status %s", c.url, ErrProviderUnavailable, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBody+1))
	if err != nil {
		return nil, fmt.Errorf("reading JWKS from %s: %w: %w", c.url, ErrProviderUnavailable, err)
	}
	if len(body) > maxJWKSBody {
		return nil, fmt.Errorf("reading JWKS from %s: %w: larger than %d bytes", c.url, ErrProviderUnavailable, maxJWKSBody)
	}
	var set jwkSet
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("parsing JWKS from %s: %w: %w", c.url, ErrProviderUnavailable, err)
	}
	keys := make(map[string]*rsa.PublicKey, len(set.Keys))
	for _, k := range set.Keys {
		if k.Kty != "RSA" || k.Kid == "" || (k.Use != "" && k.Use != "sig") || (k.Alg != "" && k.Alg != "RS256") {
			continue
		}
		pub, err := k.rsaPublicKey()
		if err != nil {
			continue
		}
		keys[k.Kid] = pub
	}
	return keys, nil
}

// rsaPublicKey builds the public key from the modulus and exponent.
func (k jwk) rsaPublicKey() (*rsa.PublicKey, error) {
	nBytes, err := decodeSegment(k.N)
	if err != nil {
		return nil, fmt.Errorf("decoding modulus of key %q: %w", k.Kid, err)
	}
	eBytes, err := decodeSegment(k.E)
	if err != nil {
		return nil, fmt.Errorf("decoding exponent of key %q: %w", k.Kid, err)
	}
	n := new(big.Int).SetBytes(nBytes)
	e := new(big.Int).SetBytes(eBytes)
	if n.BitLen() < 2048 || !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 || e.Bit(0) == 0 {
		return nil, fmt.Errorf("key %q: unusable RSA parameters", k.Kid)
	}
	return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
}
