// Package blobs reads Balrog release blobs and renders them the way the
// reference (Python) Balrog public app does, byte for byte (public.md §6–§9).
//
// A blob is parsed once with Parse from the JSON stored for a release; the
// result is immutable and may be shared by concurrent requests. Keys are
// matched exactly, unknown keys are ignored, and values keep the text
// Python's str() gives them (so "filesize": 3 and "filesize": "3" both
// render as 3, 1e16 as 1e+16, true as True or true as the reference does).
//
// Serving an update.xml request, after the rules chose a release b and an
// update type ut for query q (public.md §4.2):
//
//	d, err := b.ShouldServe(q)        // §6.3; Maybe: consult the pin table,
//	                                  // then ShouldServe the pinned blob
//	if d == blobs.No { body = blobs.EmptyXML }
//	var parts []blobs.Part
//	if sb, ok := b.(*blobs.Superblob); ok {
//	    switch sb.FanOut() {          // §4.3
//	    case blobs.FanOutProducts:    // per product: copy q, set Product,
//	                                  // evaluate the rules again (incl.
//	                                  // should-serve and pins) and append
//	                                  // Part{blob, &copy, subRule.UpdateType}
//	    case blobs.FanOutBlobs:       // per name: load it, copy q, set
//	                                  // Product to the release's product,
//	                                  // append Part{blob, &copy, ut}
//	    }
//	}
//	body, err = blobs.AppendXML(buf[:0], b, q, ut, parts, env)
//
// An update.json request uses ShouldServe and then AppendJSON (Guardian
// blobs only; ErrNotJSON otherwise).
//
// Errors: a *rules.BadInputError is a client data error (HTTP 400 text, the
// reference's BadDataError, e.g. "No such locale 'zz' in platform 'p'" or
// "Wrong blob type"); any other error is a server error (HTTP 500, where
// the reference crashes). Rendering needs, besides the blob and the query,
// an Env: the domain allowlist, the special force hosts and a lookup of
// other releases for the from-release check of partial updates.
package blobs

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/balrog-go/balrog/rules"
)

// Decision is the answer of a blob to "should this query be served?"
// (public.md §6.3). The order of the constants follows the reference's
// ServeUpdate enum; No is the zero value.
type Decision int8

const (
	// No means the release must not be served (the caller answers "no
	// update").
	No Decision = iota
	// Maybe means the release is newer than the query's pin: the caller
	// must consult the pin table (public.md §4.2 step 11). Without a pin
	// row it serves the blob as if the answer were Yes.
	Maybe
	// Yes means the release is served.
	Yes
)

// String returns "No", "Maybe" or "Yes".
func (d Decision) String() string {
	switch d {
	case No:
		return "No"
	case Maybe:
		return "Maybe"
	case Yes:
		return "Yes"
	}
	return "Decision(" + strconv.Itoa(int(d)) + ")"
}

// Blob is a parsed release blob. The concrete types are *AppRelease
// (schema 1–6, 8, 9), *Desupport (50), *GMP (1000), *Superblob (4000),
// *SystemAddons (5000) and *Guardian (10000).
type Blob interface {
	// Meta returns the keys every blob has.
	Meta() *Common
	// ShouldServe decides whether the blob is served for q (public.md §6.3).
	ShouldServe(q *rules.Query) (Decision, error)

	// sealed keeps the set of blob types closed.
	sealed()
}

// Common holds the top-level keys shared by every blob type.
type Common struct {
	// Name is the blob's "name" key (normally the release name).
	Name Value
	// SchemaVersion is "schema_version" as an integer.
	SchemaVersion int
	// Product is the informational "product" key, if any.
	Product Value
}

// Meta returns c; it lets every blob type satisfy Blob.Meta by embedding.
func (c *Common) Meta() *Common { return c }

func (c *Common) sealed() {}

// ErrSchemaVersion is wrapped by Parse errors for a missing, unknown or
// unsupported schema_version (including 7, which the reference cannot load).
var ErrSchemaVersion = errors.New("blobs: unsupported schema_version")

// Parse reads a blob from its stored JSON (public.md §6.1). The error is a
// server error: malformed JSON, a document that is not an object, a missing
// or unknown schema_version (wrapping ErrSchemaVersion), or a structure the
// renderer cannot work with. Keys the public side does not use are ignored.
// The blob keeps no reference to data, which the caller may reuse.
func Parse(data []byte) (Blob, error) { return parse(data, true) }

// parse is Parse; split lets it read a large "platforms" object with two
// goroutines (split.go).
func parse(data []byte, split bool) (Blob, error) {
	// The locale objects of app-release blobs are packed as they are read
	// (the bulk of a large blob; each is parsed on first use); any other
	// blob that has such objects is parsed again in full.
	root, builders, err := parseJSONLazy(data, split)
	if err != nil {
		return nil, err
	}
	if !isAppReleaseSchema(root) {
		releaseAll(builders)
		packed := false
		for _, b := range builders {
			packed = packed || len(b.spans) > 0
		}
		if packed {
			if root, err = parseJSON(data); err != nil {
				return nil, err
			}
		}
	}
	if root.kind != KindObject {
		return nil, errors.New("blobs: blob is not a JSON object")
	}
	sv, err := schemaVersion(root.get("schema_version"))
	if err != nil {
		return nil, err
	}
	c := Common{
		Name:          valueOf(root.get("name")),
		SchemaVersion: sv,
		Product:       valueOf(root.get("product")),
	}
	switch sv {
	case 1, 2, 3, 4, 5, 6, 8, 9:
		return parseAppRelease(c, &root, finishAll(builders), nil)
	case 50:
		return parseDesupport(c, &root), nil
	case 1000:
		return parseGMP(c, &root)
	case 4000:
		return parseSuperblob(c, &root)
	case 5000:
		return parseSystemAddons(c, &root)
	case 10000:
		return parseGuardian(c, &root)
	}
	return nil, fmt.Errorf("%w: %d", ErrSchemaVersion, sv)
}

// isAppReleaseSchema reports whether a parsed root selects an app-release
// schema (1–6, 8, 9).
func isAppReleaseSchema(root node) bool {
	if root.kind != KindObject {
		return false
	}
	sv, err := schemaVersion(root.get("schema_version"))
	if err != nil {
		return false
	}
	switch sv {
	case 1, 2, 3, 4, 5, 6, 8, 9:
		return true
	}
	return false
}

// schemaVersion reads schema_version the way the reference's dict lookup
// does: any number equal to a known integer selects it (4.0 is 4, true is
// 1); a falsy value counts as "not set".
func schemaVersion(n *node) (int, error) {
	v := valueOf(n)
	if !v.Truthy() {
		return 0, fmt.Errorf("%w: schema_version is not set", ErrSchemaVersion)
	}
	switch n.kind {
	case KindBool:
		return 1, nil
	case KindInt:
		if i, err := strconv.Atoi(n.str); err == nil {
			return i, nil
		}
	case KindFloat:
		f := parseFloatLiteral(n.str)
		if f == math.Trunc(f) && math.Abs(f) < 1e9 {
			return int(f), nil
		}
	}
	return 0, fmt.Errorf("%w: schema_version %s is unknown", ErrSchemaVersion, v.text)
}

// ReleaseLookup finds another release's parsed blob by release name. It is
// used by the from-release check of partial updates (public.md §7.4.3).
// ok is false when no such release exists; err reports a release that
// exists but cannot be loaded (for example schema 7), which the reference
// answers with HTTP 500.
type ReleaseLookup interface {
	LookupRelease(name string) (b Blob, ok bool, err error)
}

// ReleaseLookupFunc adapts a function to ReleaseLookup.
type ReleaseLookupFunc func(name string) (Blob, bool, error)

// LookupRelease calls f.
func (f ReleaseLookupFunc) LookupRelease(name string) (Blob, bool, error) { return f(name) }

// ReleaseMap is a ReleaseLookup over a fixed map of parsed blobs.
type ReleaseMap map[string]Blob

// LookupRelease returns m[name].
func (m ReleaseMap) LookupRelease(name string) (Blob, bool, error) {
	b, ok := m[name]
	return b, ok, nil
}

// Env is what rendering needs besides the blob and the query. It is built
// once from configuration (the Releases lookup may be per request) and is
// only read.
type Env struct {
	// Allowlist decides which download URLs may be served to a product. A
	// nil Allowlist forbids every URL, as the reference does without one.
	Allowlist *Allowlist
	// ForceHosts are the special force hosts (URL prefixes).
	ForceHosts ForceHosts
	// Releases looks up from-releases of partial updates. When nil, every
	// from-release counts as missing (partials are never offered).
	Releases ReleaseLookup
}

// badInput returns a client data error with the given message.
func badInput(msg string) error { return &rules.BadInputError{Message: msg} }

// isBadInput reports whether err is a client data error.
func isBadInput(err error) bool {
	var bad *rules.BadInputError
	return errors.As(err, &bad)
}

// ServeExplainer is implemented by blobs whose should-serve decision
// depends on the query: ExplainServe is ShouldServe with its reason.
type ServeExplainer interface {
	ExplainServe(q *rules.Query) (Decision, string, error)
}

// ExplainServe runs b's ShouldServe and says why it decided so.
func ExplainServe(b Blob, q *rules.Query) (Decision, string, error) {
	if e, ok := b.(ServeExplainer); ok {
		return e.ExplainServe(q)
	}
	d, err := b.ShouldServe(q)
	kind := strings.TrimPrefix(fmt.Sprintf("%T", b), "*blobs.")
	return d, fmt.Sprintf("%s releases (schema %d) are always served", kind, b.Meta().SchemaVersion), err
}
