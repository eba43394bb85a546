package auth

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
)

// maxFormBody is how much of a form-encoded request body is examined for an
// access_token field; larger bodies are left alone.
const maxFormBody = 10 << 20

// ExtractToken finds the access token of a request as Balrog does
// (admin.md §1.2 step 1), first match wins:
//
//  1. the form field access_token (urlencoded or multipart body);
//  2. the query parameter access_token;
//  3. the Authorization header, which must consist of exactly two
//     whitespace-separated parts, the first being "bearer" in any case.
//
// A present but empty field or parameter is returned as an empty token, as in
// Balrog. The failures are *Error values with Balrog's codes: a missing
// header is authorization_header_missing, and a malformed one invalid_header
// ("Authorization header must start with Bearer", "Token not found" or
// "Authorization header must be Bearer token").
//
// Reading a form body does not consume it: r.Body is replaced by a reader
// that yields the same bytes.
func ExtractToken(r *http.Request) (string, error) {
	if token, ok := formToken(r); ok {
		return token, nil
	}
	if r.URL != nil {
		if values, ok := r.URL.Query()["access_token"]; ok && len(values) > 0 {
			return values[0], nil
		}
	}
	header := strings.TrimSpace(r.Header.Get("Authorization"))
	if header == "" {
		return "", errHeaderMissing()
	}
	// strings.Fields splits like Python's str.split(): on runs of
	// whitespace, ignoring leading and trailing whitespace.
	parts := strings.Fields(header)
	switch {
	case strings.ToLower(parts[0]) != "bearer":
		return "", errNotBearer()
	case len(parts) == 1:
		return "", errTokenNotFound()
	case len(parts) > 2:
		return "", errNotBearerToken()
	}
	return parts[1], nil
}

// formToken returns the access_token field of a form-encoded body, if the
// request has one. The body is buffered and put back so that later readers
// see it unchanged.
func formToken(r *http.Request) (string, bool) {
	if r.Body == nil || r.Body == http.NoBody {
		return "", false
	}
	mediaType, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return "", false
	}
	if mediaType != "application/x-www-form-urlencoded" && mediaType != "multipart/form-data" {
		return "", false
	}
	buf, err := io.ReadAll(io.LimitReader(r.Body, maxFormBody+1))
	if err != nil || len(buf) > maxFormBody {
		// Put back what was read, followed by the unread rest.
		r.Body = readCloser{io.MultiReader(bytes.NewReader(buf), r.Body), r.Body}
		return "", false
	}
	r.Body = readCloser{bytes.NewReader(buf), r.Body}

	var values url.Values
	switch mediaType {
	case "application/x-www-form-urlencoded":
		// Like Python's parser, keep the well-formed pairs of a body that
		// also contains malformed ones.
		values, _ = url.ParseQuery(string(buf))
	default:
		boundary := params["boundary"]
		if boundary == "" {
			return "", false
		}
		form, err := multipart.NewReader(bytes.NewReader(buf), boundary).ReadForm(maxFormBody)
		if err != nil {
			return "", false
		}
		defer form.RemoveAll()
		values = form.Value
	}
	if v, ok := values["access_token"]; ok && len(v) > 0 {
		return v[0], true
	}
	return "", false
}

// readCloser reads from one reader and closes the original body.
type readCloser struct {
	io.Reader
	io.Closer
}
