// Package auth authenticates callers of the Balrog admin API.
//
// It reproduces the behaviour of Balrog's auslib/util/auth.py as described in
// admin.md §1: the access token is taken from the form field access_token, the
// query parameter access_token or the Authorization header (in that order), it
// must be an RS256 JWT signed by a key of the issuer's JWKS, carry the expected
// audience and issuer and not be expired, and the caller's identity is the
// azp claim of a machine (M2M) token or the email address of a human.
//
// Two Authenticator implementations exist. OIDC verifies tokens for
// production (--auth=oidc). Dev trusts the X-Balrog-Dev-User header and is
// meant for local development and the conformance tests only (--auth=dev).
//
// Authentication failures are reported as *Error values, which render the
// exact 401 bodies Balrog produces. Failures to reach the identity provider
// (JWKS or userinfo endpoint) wrap ErrProviderUnavailable and must be
// answered with 500.
//
// Deciding whether a real email address is a "known user" (present in the
// permissions table) is left to the caller; Identity.NeedsKnownUserCheck
// tells whether the check applies.
package auth
