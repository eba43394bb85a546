package admin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// writeJSON writes v as JSON with the given content type.
func writeJSON(c echo.Context, status int, contentType string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode answer: %w", err)
	}
	return c.Blob(status, contentType, b)
}

// okJSON answers 200 application/json.
func okJSON(c echo.Context, v any) error { return writeJSON(c, http.StatusOK, ctJSON, v) }

// emptyOK answers 200 with an empty text/html body, as Balrog's deletes do.
func emptyOK(c echo.Context) error { return c.Blob(http.StatusOK, ctHTML, nil) }

// body is a decoded JSON request object.
type body map[string]any

// readBody decodes the request body as a JSON object, with connexion's
// answers for a body that is not JSON or not an object.
func readBody(c echo.Context) (body, error) {
	raw, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return nil, fmt.Errorf("read request body: %w", err)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, invalid("None is not of type 'object'")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return nil, invalid("Request body is not valid JSON")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, invalid(pyRepr(v) + " is not of type 'object'")
	}
	return obj, nil
}

// has reports whether the body has the key (possibly null).
func (b body) has(k string) bool { _, ok := b[k]; return ok }

// pyRepr renders a decoded JSON value as Python's repr, for messages.
func pyRepr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case json.Number:
		return x.String()
	case string:
		return pyStr(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = pyRepr(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = pyStr(k) + ": " + pyRepr(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}

// pyStr renders a string as Python's repr does (single quotes unless the
// string contains one and no double quote).
func pyStr(s string) string {
	q := byte('\'')
	if strings.Contains(s, "'") && !strings.Contains(s, "\"") {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == rune(q):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
	return b.String()
}

// intParam is the schema of an integer field that also accepts a numeric
// string (admin.md §0.2).
type intParam struct {
	name     string
	min, max *int
}

func bound(n int) *int { return &n }

// get reads the field: ok is false when it is absent, null or "". Errors
// carry connexion's wording.
func (p intParam) get(b body) (n int, ok bool, err error) {
	v, present := b[p.name]
	if !present || v == nil {
		return 0, false, nil
	}
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		if strings.TrimSpace(x) == "" {
			return 0, false, nil
		}
		s = strings.TrimSpace(x)
	default:
		return 0, false, invalid(fmt.Sprintf("%s: %s is not of type 'integer', 'string'", p.name, pyRepr(v)))
	}
	i, perr := strconv.Atoi(s)
	if perr != nil {
		return 0, false, invalid(fmt.Sprintf("Invalid input for %s. Not an integer. %s: %s is not a '%s'", p.name, p.name, pyRepr(v), p.name))
	}
	if p.min != nil && i < *p.min {
		return 0, false, invalid(fmt.Sprintf("%s field value should be an integer >= %d %s: %s is not a '%s'", p.name, *p.min, p.name, pyRepr(v), p.name))
	}
	if p.max != nil && i > *p.max {
		return 0, false, invalid(fmt.Sprintf("%s field value should be an integer <= %d %s: %s is not a '%s'", p.name, *p.max, p.name, pyRepr(v), p.name))
	}
	return i, true, nil
}

// required reads a field that must be present.
func (p intParam) required(b body) (int, error) {
	n, ok, err := p.get(b)
	if err != nil {
		return 0, err
	}
	if !b.has(p.name) {
		return 0, invalid(fmt.Sprintf("'%s' is a required property", p.name))
	}
	if !ok {
		return 0, invalid(fmt.Sprintf("%s: %s is not of type 'integer', 'string'", p.name, pyRepr(b[p.name])))
	}
	return n, nil
}

// optString reads a nullable string field: present says whether the key is
// there; v is nil for null.
func optString(b body, name string, ascii bool) (v *string, present bool, err error) {
	raw, present := b[name]
	if !present || raw == nil {
		return nil, present, nil
	}
	s, ok := raw.(string)
	if !ok {
		return nil, true, invalid(fmt.Sprintf("%s: %s is not of type 'string', 'null'", name, pyRepr(raw)))
	}
	if ascii {
		for _, r := range s {
			if r > 127 {
				return nil, true, invalid(fmt.Sprintf("value must be ascii %s: %s is not a 'ascii'", name, pyRepr(raw)))
			}
		}
	}
	return &s, true, nil
}

// queryInt reads an integer query parameter with connexion's wording.
func queryInt(c echo.Context, name string, min *int) (n int, ok bool, err error) {
	s := c.QueryParam(name)
	if s == "" {
		return 0, false, nil
	}
	i, perr := strconv.Atoi(s)
	if perr != nil {
		return 0, false, invalid(fmt.Sprintf("Wrong type, expected 'integer' for query parameter '%s'", name))
	}
	if min != nil && i < *min {
		return 0, false, invalid(fmt.Sprintf("%d is less than the minimum of %d", i, *min))
	}
	return i, true, nil
}

// requiredDataVersion reads the data_version query parameter of a DELETE.
func requiredDataVersion(c echo.Context) (int, error) {
	n, ok, err := queryInt(c, "data_version", nil)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, invalid("Missing query parameter 'data_version'")
	}
	return n, nil
}

// checkQuery refuses query parameters the route does not declare.
func checkQuery(c echo.Context, allowed ...string) error {
	var extra []string
	for k := range c.QueryParams() {
		if k == "access_token" {
			continue
		}
		found := false
		for _, a := range allowed {
			if a == k {
				found = true
				break
			}
		}
		if !found {
			extra = append(extra, k)
		}
	}
	if len(extra) == 0 {
		return nil
	}
	sort.Strings(extra)
	return &Problem{Status: http.StatusBadRequest, NullTitle: true, ContentType: ctProblem,
		Detail: fmt.Sprintf("Extra query parameter(s) %s not in spec", strings.Join(extra, ", "))}
}

// bytesReader reads b.
func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// readVersionedBody reads a write's JSON body and its required data_version.
func readVersionedBody(c echo.Context) (body, int, error) {
	b, err := readBody(c)
	if err != nil {
		return nil, 0, err
	}
	version, err := dataVersionParam.required(b)
	return b, version, err
}
