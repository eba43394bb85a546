package auth

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math"
	"strings"
	"time"
)

// maxTokenLength bounds the tokens this package is willing to decode.
const maxTokenLength = 64 << 10

// jwtHeader is the part of a JWT's JOSE header this package looks at.
type jwtHeader struct {
	Alg string
	Kid string
	// HasKid reports whether the header carries a string kid.
	HasKid bool
}

// parsedToken is a JWT split into its segments, with the header decoded.
type parsedToken struct {
	header       jwtHeader
	signingInput string
	payload      []byte
	signature    []byte
}

// parseToken splits and decodes a compact JWS. Anything that is not three
// base64url segments with a JSON object header naming an algorithm is
// reported as Balrog's invalid_header, as is an algorithm other than RS256
// (Balrog names HS256 only, and python-jose refuses the others later on).
func parseToken(token string) (*parsedToken, *Error) {
	if len(token) > maxTokenLength {
		return nil, errNotRS256()
	}
	segments := strings.Split(token, ".")
	if len(segments) != 3 {
		return nil, errNotRS256()
	}
	headerJSON, err := decodeSegment(segments[0])
	if err != nil {
		return nil, errNotRS256()
	}
	var raw map[string]any
	if err := json.Unmarshal(headerJSON, &raw); err != nil || raw == nil {
		return nil, errNotRS256()
	}
	alg, ok := raw["alg"].(string)
	if !ok || alg != "RS256" {
		return nil, errNotRS256()
	}
	payload, err := decodeSegment(segments[1])
	if err != nil {
		return nil, errNotRS256()
	}
	signature, err := decodeSegment(segments[2])
	if err != nil {
		return nil, errNotRS256()
	}
	kid, hasKid := raw["kid"].(string)
	return &parsedToken{
		header:       jwtHeader{Alg: alg, Kid: kid, HasKid: hasKid},
		signingInput: segments[0] + "." + segments[1],
		payload:      payload,
		signature:    signature,
	}, nil
}

// decodeSegment decodes one base64url segment, tolerating padding.
func decodeSegment(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// verifySignature checks the RS256 (RSASSA-PKCS1-v1_5 with SHA-256)
// signature of the token with key.
func (t *parsedToken) verifySignature(key *rsa.PublicKey) *Error {
	digest := sha256.Sum256([]byte(t.signingInput))
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], t.signature); err != nil {
		return errSignature()
	}
	return nil
}

// claims decodes the payload, which must be a JSON object.
func (t *parsedToken) claims() (map[string]any, *Error) {
	dec := json.NewDecoder(bytes.NewReader(t.payload))
	dec.UseNumber()
	var claims map[string]any
	if err := dec.Decode(&claims); err != nil || claims == nil || dec.More() {
		return nil, errPayload()
	}
	return claims, nil
}

// claimsCheck holds what validateClaims compares the claims with.
type claimsCheck struct {
	audience string
	issuer   string
	now      time.Time
	leeway   time.Duration
}

// validateClaims checks the registered claims in python-jose's order (iat,
// nbf, exp, aud, iss), so that a token failing several checks gets the same
// error as in Balrog. An expired token is token_expired; every other failure
// is invalid_claims. Unlike python-jose, exp and aud are required.
func validateClaims(claims map[string]any, c claimsCheck) *Error {
	now := float64(c.now.UnixNano()) / 1e9
	leeway := c.leeway.Seconds()
	if v, ok := claims["iat"]; ok {
		if _, ok := numericDate(v); !ok {
			return errClaims()
		}
	}
	if v, ok := claims["nbf"]; ok {
		nbf, ok := numericDate(v)
		if !ok || nbf > now+leeway {
			return errClaims()
		}
	}
	exp, ok := numericDate(claims["exp"])
	if !ok {
		return errClaims()
	}
	if exp < now-leeway {
		return errExpired()
	}
	if !audienceMatches(claims["aud"], c.audience) {
		return errClaims()
	}
	if iss, ok := claims["iss"].(string); !ok || iss != c.issuer {
		return errClaims()
	}
	return nil
}

// numericDate interprets a JSON number claim as seconds since the epoch.
func numericDate(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// audienceMatches reports whether the aud claim, a string or an array of
// strings, contains the expected audience.
func audienceMatches(v any, audience string) bool {
	switch aud := v.(type) {
	case string:
		return aud == audience
	case []any:
		found := false
		for _, item := range aud {
			s, ok := item.(string)
			if !ok {
				return false
			}
			if s == audience {
				found = true
			}
		}
		return found
	default:
		return false
	}
}
