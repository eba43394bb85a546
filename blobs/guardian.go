package blobs

import (
	"errors"

	"github.com/balrog-go/balrog/rules"
)

// Guardian is a Guardian / FirefoxVPN blob (schema_version 10000, public.md
// §6.4.10, §8): served as JSON on the update.json routes.
type Guardian struct {
	Common
	// Version, Required and HashFunction are "version", "required" and
	// "hashFunction".
	Version, Required, HashFunction Value
	// Platforms maps a build target to its download; nil when absent.
	Platforms map[string]*GuardianPlatform

	err error // "platforms" is not an object
}

// GuardianPlatform is one platform of a Guardian blob.
type GuardianPlatform struct {
	// FileURL and HashValue are "fileUrl" and "hashValue".
	FileURL, HashValue Value

	err error // the entry is not an object
}

func parseGuardian(c Common, root *node) (*Guardian, error) {
	g := &Guardian{
		Common:       c,
		Version:      valueOf(root.get("version")),
		Required:     valueOf(root.get("required")),
		HashFunction: valueOf(root.get("hashFunction")),
	}
	pn := root.get("platforms")
	if pn == nil {
		return g, nil
	}
	if pn.kind != KindObject {
		g.err = &typeError{blob: c.Name.text, path: "platforms", want: "an object"}
		return g, nil
	}
	g.Platforms = make(map[string]*GuardianPlatform, len(pn.keys))
	for i, key := range pn.keys {
		e := &pn.elems[i]
		if e.kind != KindObject {
			g.Platforms[key] = &GuardianPlatform{err: &typeError{blob: c.Name.text, path: "platforms." + key, want: "an object"}}
			continue
		}
		g.Platforms[key] = &GuardianPlatform{FileURL: valueOf(e.get("fileUrl")), HashValue: valueOf(e.get("hashValue"))}
	}
	return g, nil
}

// ShouldServe answers No when the build target has no platform entry or
// the query version is not older than the blob's (LooseVersion), else Yes.
func (g *Guardian) ShouldServe(q *rules.Query) (Decision, error) {
	return g.shouldServe(q, nil)
}

// ExplainServe is ShouldServe with the reason for its decision.
func (g *Guardian) ExplainServe(q *rules.Query) (Decision, string, error) {
	var why string
	d, err := g.shouldServe(q, &why)
	return d, why, err
}

// shouldServe decides; when why is not nil it also says why.
func (g *Guardian) shouldServe(q *rules.Query, why *string) (Decision, error) {
	if g.err != nil {
		return No, g.err
	}
	if _, ok := g.Platforms[q.BuildTarget]; !ok {
		if why != nil {
			*why = "the release has no platform " + q.BuildTarget
		}
		return No, nil
	}
	qv, err := rules.ParseLooseVersion(q.Version)
	if err != nil {
		return No, err
	}
	bs, err := g.Version.stringOf(g.Name.text, "version")
	if err != nil {
		return No, err
	}
	bv, err := rules.ParseLooseVersion(bs)
	if err != nil {
		return No, err
	}
	c, err := qv.Compare(bv)
	if err != nil {
		return No, err
	}
	if c >= 0 {
		if why != nil {
			*why = "client version " + q.Version + " is not older than the release's " + bs
		}
		return No, nil
	}
	if why != nil {
		*why = "release version " + bs + " is newer than client " + q.Version
	}
	return Yes, nil
}

// ErrNotJSON is returned by AppendJSON for a blob that has no JSON form
// (every type but Guardian). The reference answers HTTP 500 for
// Desupport, GMP, Superblob and System add-ons blobs (Q19; the spec
// recommends 404); app-release blobs never get there because their
// should-serve answers No for JSON queries.
var ErrNotJSON = errors.New("blobs: blob has no JSON form")

// AppendJSON appends the update.json body for the Guardian blob b and
// query q (public.md §8): {} when the build target has no file URL or the
// URL is forbidden for the query's product, else an object with version,
// url, required, hashFunction and hashValue, serialised like Python's
// json.dumps. Special force hosts are not applied.
func AppendJSON(dst []byte, b Blob, q *rules.Query, env *Env) ([]byte, error) {
	g, ok := b.(*Guardian)
	if !ok {
		return dst, ErrNotJSON
	}
	if env == nil {
		env = &Env{}
	}
	if g.err != nil {
		return dst, g.err
	}
	var url, hash Value
	if p, ok := g.Platforms[q.BuildTarget]; ok {
		if p.err != nil {
			return dst, p.err
		}
		url, hash = p.FileURL, p.HashValue
	}
	if !url.Truthy() {
		return append(dst, "{}"...), nil
	}
	u, err := url.stringOf(g.Name.text, "fileUrl")
	if err != nil {
		return dst, err
	}
	allowed, err := env.Allowlist.Allowed(u, q.Product)
	if err != nil {
		return dst, err
	}
	if !allowed {
		return append(dst, "{}"...), nil
	}
	var fields [3]Value
	for i, f := range [3]struct {
		v    Value
		what string
	}{{g.Version, "version"}, {g.Required, "required"}, {g.HashFunction, "hashFunction"}} {
		if fields[i], err = f.v.required(g.Name.text, f.what); err != nil {
			return dst, err
		}
	}
	dst = append(dst, `{"version": `...)
	dst = appendPyJSONValue(dst, fields[0])
	dst = append(dst, `, "url": `...)
	dst = appendPyJSONString(dst, u)
	dst = append(dst, `, "required": `...)
	dst = appendPyJSONValue(dst, fields[1])
	dst = append(dst, `, "hashFunction": `...)
	dst = appendPyJSONValue(dst, fields[2])
	dst = append(dst, `, "hashValue": `...)
	dst = appendPyJSONValue(dst, hash)
	return append(dst, '}'), nil
}
