package auth

import (
	"net/http"
	"strings"
)

// Authenticator establishes who sent an admin request.
//
// Authenticate returns the caller's Identity, an *Error (answer with its
// Status and Body), or another error, which the HTTP layer answers with 500
// (it wraps ErrProviderUnavailable when the identity provider failed).
type Authenticator interface {
	Authenticate(r *http.Request) (Identity, error)
}

// Identity is an authenticated caller, as Balrog's verifier reports it.
type Identity struct {
	// Subject is what Balrog calls the caller's "email": the email address
	// of a human, or the client id (azp claim) of a machine token. With the
	// dev authenticator it is the X-Balrog-Dev-User header verbatim.
	Subject string
	// M2M reports whether the caller is a machine client: the token
	// carried a gty claim (OIDC), or the dev user has no "@".
	M2M bool
}

// Username derives the Balrog username from the identity (admin.md §1.3):
// a Subject without "@" is a machine client id and is mapped through mapping
// (client id → account name, Balrog's M2M_ACCOUNT_MAPPING); an unmapped id,
// and every email address, is used verbatim. The result is what Balrog
// writes to changed_by and uses for permission checks.
func (id Identity) Username(mapping map[string]string) string {
	if strings.Contains(id.Subject, "@") {
		return id.Subject
	}
	if account, ok := mapping[id.Subject]; ok {
		return account
	}
	return id.Subject
}

// NeedsKnownUserCheck reports whether the caller must be a "known user"
// (present as username in at least one permissions row; otherwise 403
// "Authorization Required"). Like Balrog, it is decided by the Subject alone:
// email addresses are checked, machine client ids (no "@") are not.
func (id Identity) NeedsKnownUserCheck() bool {
	return strings.Contains(id.Subject, "@")
}
