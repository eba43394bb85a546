package auth

import (
	"net/http"
	"strings"
)

// DevUserHeader is the request header the dev authenticator takes the user
// from.
const DevUserHeader = "X-Balrog-Dev-User"

// Dev is the --auth=dev Authenticator: it trusts the X-Balrog-Dev-User
// header, the way Balrog's own test-suite replaces the token verifier by a
// stub. It must only ever serve a listener on a loopback address (the app
// refuses to start it otherwise): anybody who can reach it can act as any
// user.
//
// Without the header, the production token extraction runs, so anonymous
// requests and malformed Authorization headers get the same 401 bodies as in
// production (this is how the admin conformance corpus was recorded). A
// token that is present cannot be verified, as no issuer is configured: a
// malformed or non-RS256 one is rejected with invalid_header and any other
// with invalid_key "Unable to find RSA key.", both 401, as a production
// server that does not know the token's signing key would answer.
type Dev struct{}

// Dev implements Authenticator.
var _ Authenticator = (*Dev)(nil)

// NewDev returns the dev authenticator.
func NewDev() *Dev { return &Dev{} }

// Authenticate returns the identity named by the X-Balrog-Dev-User header;
// a user without "@" counts as an M2M client, exactly as Balrog decides for
// the username derivation.
func (*Dev) Authenticate(r *http.Request) (Identity, error) {
	if user := strings.TrimSpace(r.Header.Get(DevUserHeader)); user != "" {
		return Identity{Subject: user, M2M: !strings.Contains(user, "@")}, nil
	}
	token, err := ExtractToken(r)
	if err != nil {
		return Identity{}, err
	}
	if _, authErr := parseToken(token); authErr != nil {
		return Identity{}, authErr
	}
	return Identity{}, errNoKey()
}
