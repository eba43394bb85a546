package admin

import (
	"net/http"

	"github.com/balrog-go/balrog/admin/auth"
)

// Unconfigured is the authenticator of an admin role started without an
// OIDC issuer: anonymous reads work, every authenticated request fails with
// the 401 a production server answers for a token it cannot verify.
type Unconfigured struct{}

// Authenticate implements auth.Authenticator.
func (Unconfigured) Authenticate(r *http.Request) (auth.Identity, error) {
	if _, err := auth.ExtractToken(r); err != nil {
		return auth.Identity{}, err
	}
	return auth.Identity{}, &auth.Error{Status: http.StatusUnauthorized, Code: auth.CodeInvalidKey, Description: "Unable to find RSA key."}
}
