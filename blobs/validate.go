package blobs

// Admin-side validation of release blobs (admin.md §5.1–§5.2).
//
// Balrog validates a blob with a JSON-Schema draft-4 document per
// schema_version (src/auslib/blobs/schemas/*.yml) and then runs a few checks
// in code. This file and its validate_*.go siblings re-implement those
// constraints in Go, working on the raw JSON (not on the rendering structs of
// the rest of the package) so that unknown keys can be reported and every
// message can name the JSON path of the offending field.
//
// The order is Balrog's: JSON-Schema errors are all collected and returned
// together; only a schema-valid blob goes on to the forbidden-domain check,
// then to the type-specific checks (GMP hash lengths, V9 updateLine overlap).

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// ValidateOptions configures Validate.
type ValidateOptions struct {
	// Allowlist is the download-domain allowlist (schema.md §11.1, Balrog's
	// ALLOWLISTED_DOMAINS) deciding which download URLs a release of the
	// given product may contain. Nil forbids every URL, as Balrog does
	// without an allowlist: only blobs without download URLs (Desupport,
	// SuperBlob, uninstall SystemAddons blobs, app releases without URLs)
	// then pass.
	Allowlist *Allowlist
}

// ValidationErrorKind tells which of Balrog's two exception classes a
// validation failure corresponds to; the admin API answers them differently
// (admin.md §3.3).
type ValidationErrorKind int

const (
	// ValidationInvalidBlob is Balrog's BlobValidationError: missing or
	// unknown schema_version, JSON-Schema violations, V9 updateLine
	// overlaps. The admin answers 400 with detail "Invalid Blob" (or, in
	// some v1 views, "Couldn't update release: <Message>") and the list of
	// Errors as "exception".
	ValidationInvalidBlob ValidationErrorKind = iota + 1
	// ValidationBadValue is a plain ValueError: forbidden download domains,
	// URLs Python's urlparse rejects, GMP hash lengths. The admin answers
	// 400 with detail "Unknown error" and Message as "exception".
	ValidationBadValue
)

// Messages of Balrog that callers may need verbatim.
const (
	// ValidationMsgInvalidBlob is the message of the schema_version errors.
	ValidationMsgInvalidBlob = "Invalid Blob"
	// ValidationMsgSchema is the message of JSON-Schema failures.
	ValidationMsgSchema = "Invalid blob! See 'errors' for details."
	// ValidationMsgForbiddenDomain is the message of the domain check.
	ValidationMsgForbiddenDomain = "Blob contains forbidden domain(s)"
	// ValidationMsgNotSet and ValidationMsgUnknown are the single errors of
	// a blob without a usable schema_version.
	ValidationMsgNotSet  = "schema_version is not set"
	ValidationMsgUnknown = "schema_version is unknown"
)

// ValidationError reports why a blob was rejected.
type ValidationError struct {
	Kind ValidationErrorKind
	// Message is Balrog's exception message (see the ValidationMsg…
	// constants; for GMP hash lengths and updateLine overlaps it is built
	// like Balrog's).
	Message string
	// Errors lists the individual problems, each starting with the JSON
	// path of the offending field, e.g.
	// `platforms.WINNT_x86-msvc.locales.de.completes[0].filesize: expected a
	// number or a string of digits, got boolean`. Object keys that are not
	// plain identifiers are quoted: `fileUrls["*"].partials["Firefox-54.0-build1"]`.
	// The errors for a missing or unknown schema_version are exactly
	// Balrog's strings ("schema_version is not set" / "… is unknown").
	Errors []string
	// Schema lists the same failures as Balrog reports them to admin API
	// clients (the "exception" list of its 400 answers): for JSON-Schema
	// violations, the messages of Python's jsonschema library (4.26, as
	// Balrog locks it) in the order Draft4Validator.iter_errors yields them
	// for Balrog's schemas, with values written as Python repr():
	//
	//	5 is not of type 'string'
	//	'' should be non-empty
	//	'x' is not one of ['minor', 'major']
	//	'a', 'b' do not match any of the regexes: '^.+$'
	//	Additional properties are not allowed ('bogus' was unexpected)
	//	'hashFunction' is a required property
	//	{'locales': {…}} is not valid under any of the given schemas
	//
	// jsonschema names no path, and a oneOf (a platform entry, a buildID or
	// filesize, the SuperBlob and SystemAddons blobs as a whole) yields one
	// message for its whole value whatever is wrong inside it, so Schema can
	// be shorter than Errors. For the other failures (a missing or unknown
	// schema_version, where Errors already holds Balrog's strings, and the
	// checks done in code) Schema repeats Errors.
	Schema []string
}

// Error joins the individual errors with "; " (or returns Message when there
// are none).
func (e *ValidationError) Error() string {
	if len(e.Errors) == 0 {
		return e.Message
	}
	return strings.Join(e.Errors, "; ")
}

// Validate checks the JSON text of a release blob the way Balrog's admin API
// does before storing it (admin.md §5.2 steps 1–3): the JSON schema of its
// schema_version, the allowlist of download domains for the release's product
// (the product column of the release row, not the blob's "product" key), and
// the type-specific checks. It returns nil or a *ValidationError. The check
// that the release name equals the blob's "name" (step 4) is left to the
// caller, which knows the row.
func Validate(data []byte, product string, opts ValidateOptions) error {
	if err := validate(data, product, opts); err != nil {
		if err.Schema == nil {
			err.Schema = err.Errors
		}
		return err
	}
	return nil
}

func validate(data []byte, product string, opts ValidateOptions) *ValidationError {
	root, err := valDecode(data)
	if err != nil {
		return &ValidationError{Kind: ValidationInvalidBlob, Message: ValidationMsgInvalidBlob,
			Errors: []string{"blob: invalid JSON: " + err.Error()}}
	}
	if root.kind != valObject {
		return &ValidationError{Kind: ValidationInvalidBlob, Message: ValidationMsgInvalidBlob,
			Errors: []string{"blob: expected object, got " + root.kindName()}}
	}
	t, verr := valBlobType(root)
	if verr != nil {
		return verr
	}

	// 1. JSON schema.
	c := &valCtx{version: t.version}
	schemaErrs := t.check(c, root)
	if len(c.errs) > 0 || len(schemaErrs) > 0 {
		return &ValidationError{Kind: ValidationInvalidBlob, Message: ValidationMsgSchema, Errors: c.errs, Schema: schemaErrs}
	}

	// 2. Forbidden domains (Balrog checks them before the type's extras).
	if t.urls != nil {
		var bad []string
		var parseErr error // Balrog raises urlparse's ValueError at once
		t.urls(root, func(path string, url *valNode) {
			if parseErr != nil {
				return
			}
			if url.kind != valString {
				bad = append(bad, valPathString(path)+": download URL is not a string")
				return
			}
			ok, err := opts.Allowlist.Allowed(url.str, product)
			if err != nil {
				parseErr = err
				bad = []string{fmt.Sprintf("%s: invalid URL %s: %v", valPathString(path), valQuote(url.str), err)}
				return
			}
			if !ok {
				bad = append(bad, fmt.Sprintf("%s: forbidden domain: %q is not allowlisted for product %q",
					valPathString(path), url.str, product))
			}
		})
		if parseErr != nil {
			return &ValidationError{Kind: ValidationBadValue, Message: parseErr.Error(), Errors: bad}
		}
		if len(bad) > 0 {
			return &ValidationError{Kind: ValidationBadValue, Message: ValidationMsgForbiddenDomain, Errors: bad}
		}
	}

	// 3. Type-specific checks.
	if t.extra != nil {
		if err := t.extra(root); err != nil {
			return err
		}
	}

	// 4. Values that XML responses cannot carry (validate_markup.go).
	return valMarkup(root)
}

// valType describes one schema_version.
type valType struct {
	version int
	// check runs the JSON-schema checks, appending to c.errs and returning
	// jsonschema's messages.
	check func(c *valCtx, root *valNode) []string
	// urls calls visit for every download URL (nil: the type has none).
	urls func(root *valNode, visit func(path string, url *valNode))
	// extra runs the checks done in code after the schema.
	extra func(root *valNode) *ValidationError
}

// valBlobType finds the blob type from schema_version like Balrog's
// createBlob: a missing or falsy value (null, 0, false, "", [], {}) is "not
// set"; a number equal to a known version selects it (4.0 is 4, as in
// Python, and so is true as 1, which the V1 schema then rejects); anything else
// is "unknown" (including 7, whose schema file exists without a blob class).
func valBlobType(root *valNode) (*valType, *ValidationError) {
	sv, ok := root.get("schema_version")
	if !ok || sv.falsy() {
		return nil, &ValidationError{Kind: ValidationInvalidBlob, Message: ValidationMsgInvalidBlob,
			Errors: []string{ValidationMsgNotSet}}
	}
	if sv.kind == valBool { // true == 1 in Python: a V1 blob whose schema then rejects the boolean
		return valTypes[1], nil
	}
	if sv.kind == valNumber {
		if f, err := strconv.ParseFloat(sv.str, 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1e9 {
			if t := valTypes[int(f)]; t != nil {
				return t, nil
			}
		}
	}
	return nil, &ValidationError{Kind: ValidationInvalidBlob, Message: ValidationMsgInvalidBlob,
		Errors: []string{ValidationMsgUnknown}}
}

// ---------------------------------------------------------------------------
// JSON decoding that keeps key order (for errors in document order) and the
// exact number literals.

type valJSONKind uint8

const (
	valNull valJSONKind = iota
	valBool
	valNumber
	valString
	valArray
	valObject
)

// valNode is a decoded JSON value.
type valNode struct {
	kind valJSONKind
	b    bool
	str  string // string value, or the literal of a number
	arr  []*valNode
	keys []string // object keys in document order (first occurrence)
	obj  map[string]*valNode
}

func (n *valNode) get(key string) (*valNode, bool) {
	if n == nil || n.kind != valObject {
		return nil, false
	}
	v, ok := n.obj[key]
	return v, ok
}

// falsy is Python's truth test of the decoded value.
func (n *valNode) falsy() bool {
	switch n.kind {
	case valNull:
		return true
	case valBool:
		return !n.b
	case valNumber:
		f, err := strconv.ParseFloat(n.str, 64)
		return err == nil && f == 0
	case valString:
		return n.str == ""
	case valArray:
		return len(n.arr) == 0
	default:
		return len(n.keys) == 0
	}
}

func (n *valNode) kindName() string {
	switch n.kind {
	case valNull:
		return "null"
	case valBool:
		return "boolean"
	case valNumber:
		return "number"
	case valString:
		return "string"
	case valArray:
		return "array"
	default:
		return "object"
	}
}

// valMaxDepth bounds nesting so that hostile input cannot exhaust the stack.
const valMaxDepth = 1000

func valDecode(data []byte) (*valNode, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := valDecodeValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the top-level value")
	}
	return n, nil
}

func valDecodeValue(dec *json.Decoder, depth int) (*valNode, error) {
	if depth > valMaxDepth {
		return nil, errors.New("nesting too deep")
	}
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	switch t := tok.(type) {
	case nil:
		return &valNode{kind: valNull}, nil
	case bool:
		return &valNode{kind: valBool, b: t}, nil
	case json.Number:
		return &valNode{kind: valNumber, str: string(t)}, nil
	case string:
		return &valNode{kind: valString, str: t}, nil
	case json.Delim:
		switch t {
		case '[':
			n := &valNode{kind: valArray}
			for dec.More() {
				v, err := valDecodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.arr = append(n.arr, v)
			}
			if _, err := dec.Token(); err != nil { // ']'
				return nil, err
			}
			return n, nil
		case '{':
			n := &valNode{kind: valObject, obj: map[string]*valNode{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, errors.New("object key is not a string")
				}
				v, err := valDecodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				// Like Python's json.loads: the last duplicate wins.
				if _, dup := n.obj[k]; !dup {
					n.keys = append(n.keys, k)
				}
				n.obj[k] = v
			}
			if _, err := dec.Token(); err != nil { // '}'
				return nil, err
			}
			return n, nil
		}
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

// ---------------------------------------------------------------------------
// JSON paths.

// valKeyPath appends an object key to a path: `a.b` for plain keys, `a["x.y"]`
// for keys with other characters than ASCII letters, digits, '_' and '-'.
func valKeyPath(parent, key string) string {
	if valPlainKey(key) {
		if parent == "" {
			return key
		}
		return parent + "." + key
	}
	return parent + "[" + strconv.Quote(key) + "]"
}

func valIndexPath(parent string, i int) string {
	return parent + "[" + strconv.Itoa(i) + "]"
}

func valPlainKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// valPathString names the root "blob".
func valPathString(path string) string {
	if path == "" {
		return "blob"
	}
	return path
}
