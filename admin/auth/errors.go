package auth

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// ErrProviderUnavailable is wrapped by every error caused by the identity
// provider rather than by the caller: the JWKS could not be fetched or
// parsed, or the userinfo endpoint answered with an HTTP error. Balrog lets
// such failures surface as 500 Internal Server Error; the HTTP layer should do
// the same when errors.Is(err, ErrProviderUnavailable).
var ErrProviderUnavailable = errors.New("identity provider unavailable")

// Error is an authentication failure with the status, code and description
// Balrog's AuthError carries. Its Body method renders the response Balrog
// sends for it.
type Error struct {
	// Status is the HTTP status to answer with (always 401 in Balrog).
	Status int
	// Code is the machine-readable reason, e.g. "token_expired".
	Code string
	// Description is the human-readable reason, e.g. "token is expired".
	Description string
}

// The error codes Balrog uses, and the ones this package adds for failures
// that Balrog does not handle itself (and answers with 500).
const (
	CodeHeaderMissing        = "authorization_header_missing"
	CodeInvalidHeader        = "invalid_header"
	CodeInvalidKey           = "invalid_key"
	CodeTokenExpired         = "token_expired"
	CodeInvalidClaims        = "invalid_claims"
	CodeIncompleteValidation = "incomplete_validation"
	CodeNoEmail              = "no_email"
	// CodeInvalidSignature is not produced by Balrog, where a bad signature
	// escapes as an unhandled exception (500); a forged token is the caller's
	// fault, so it is answered with 401 here.
	CodeInvalidSignature = "invalid_signature"
	// CodeInvalidToken is not produced by Balrog either; it reports a token
	// whose signature is valid but whose payload is not a JSON object.
	CodeInvalidToken = "invalid_token"
)

// newError returns a 401 *Error with the given code and description.
func newError(code, description string) *Error {
	return &Error{Status: 401, Code: code, Description: description}
}

// The failures Balrog reports, with its exact descriptions.
func errHeaderMissing() *Error {
	return newError(CodeHeaderMissing, "Authorization header is expected")
}

func errNotBearer() *Error {
	return newError(CodeInvalidHeader, "Authorization header must start with Bearer")
}

func errTokenNotFound() *Error { return newError(CodeInvalidHeader, "Token not found") }

func errNotBearerToken() *Error {
	return newError(CodeInvalidHeader, "Authorization header must be Bearer token")
}

func errNotRS256() *Error {
	return newError(CodeInvalidHeader, "Invalid header. Use an RS256 signed JWT Access Token")
}

func errNoKey() *Error { return newError(CodeInvalidKey, "Unable to find RSA key.") }

func errExpired() *Error { return newError(CodeTokenExpired, "token is expired") }

func errClaims() *Error {
	return newError(CodeInvalidClaims, "incorrect claims, please check the audience and issuer")
}

func errIncompleteValidation() *Error {
	return newError(CodeIncompleteValidation, "couldn't find additional userinfo from access token")
}

func errNoEmail() *Error {
	return newError(CodeNoEmail, "no email address found in access or id tokens")
}

func errSignature() *Error {
	return newError(CodeInvalidSignature, "Signature verification failed.")
}

func errPayload() *Error {
	return newError(CodeInvalidToken, "Invalid payload string: must be a json object")
}

// Error returns the code and description.
func (e *Error) Error() string {
	return fmt.Sprintf("authentication failed (%d): %s: %s", e.Status, e.Code, e.Description)
}

// Exception returns the text Balrog puts in the "exception" member of the
// response: the fixed prefix followed by the error rendered as a Python dict,
// e.g. "Permission denied to perform the request. {'code': 'token_expired',
// 'description': 'token is expired'}".
func (e *Error) Exception() string {
	return "Permission denied to perform the request. {'code': " + pyRepr(e.Code) +
		", 'description': " + pyRepr(e.Description) + "}"
}

// Body returns the JSON response body Balrog sends for the error, byte for
// byte as Python's json.dumps renders it:
//
//	{"type": "about:blank", "title": "Forbidden", "detail": "PermissionDeniedError", "status": 401, "exception": "..."}
//
// The title is "Forbidden" even though the status is 401. The body is served
// with Content-Type application/json.
func (e *Error) Body() []byte {
	var b strings.Builder
	b.WriteString(`{"type": "about:blank", "title": "Forbidden", "detail": "PermissionDeniedError", "status": `)
	b.WriteString(strconv.Itoa(e.Status))
	b.WriteString(`, "exception": `)
	writeJSONString(&b, e.Exception())
	b.WriteString("}")
	return []byte(b.String())
}

// pyRepr renders s as Python 3's repr(str) does: single quotes unless the
// string contains a single quote and no double quote, with backslashes, the
// chosen quote and non-printable characters escaped.
func pyRepr(s string) string {
	quote := '\''
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		quote = '"'
	}
	var b strings.Builder
	b.WriteRune(quote)
	for _, r := range s {
		switch {
		case r == quote || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x80 || unicode.IsPrint(r):
			b.WriteRune(r)
		case r <= 0xff:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	b.WriteRune(quote)
	return b.String()
}

// writeJSONString writes s as a JSON string the way Python's json.dumps does
// with its defaults (ensure_ascii): no HTML escaping, and every non-ASCII
// character as a \u escape (a surrogate pair beyond the BMP).
func writeJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20 || (r >= 0x7f && r <= 0xffff):
			fmt.Fprintf(b, `\u%04x`, r)
		case r > 0xffff:
			r -= 0x10000
			fmt.Fprintf(b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}
