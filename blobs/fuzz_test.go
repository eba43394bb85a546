package blobs

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"regexp"
	"testing"
	"unicode/utf8"

	"github.com/balrog-go/balrog/rules"
)

// FuzzParseRender parses a blob and renders it for a request path. It must
// never panic; when the blob holds no characters that the reference emits
// raw into attribute values ('<', quotes, escapes), the XML must be
// well-formed. The seed corpus is testdata/fuzz/FuzzParseRender.
func FuzzParseRender(f *testing.F) {
	f.Add([]byte(v1("b", "1.0", "2", "http://a.com/z", `"3"`, "4")), "/update/3/b/0.5/1/p/l/a/a/a/a/update.xml?force=1")
	al, err := ParseAllowlist([]byte(defAllowlist))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte, path string) {
		b, err := Parse(data)
		if err != nil {
			return
		}
		q, err := queryFromPath(path, "")
		if err != nil {
			q = &rules.Query{Product: "b", Version: "1.0", BuildTarget: "p", Channel: "a"}
		}
		env := &Env{Allowlist: al, ForceHosts: defForceHosts, Releases: ReleaseMap{"self": b, "f1": b}}
		_, _ = b.ShouldServe(q)
		if js, err := AppendJSON(nil, b, q, env); err == nil && len(js) > 0 && !json.Valid(js) {
			t.Fatalf("invalid JSON:\n%s", js)
		}
		parts := []Part{{Blob: b, Query: q, UpdateType: "minor"}}
		out, err := AppendXML(nil, b, q, "minor", parts, env)
		if err != nil || !checkable(data, b) {
			return
		}
		if err := wellFormed(out); err != nil {
			t.Fatalf("not well-formed (%v):\n%s", err, out)
		}
	})
}

var xmlName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)

// checkable reports whether the rendered XML of the blob can be expected to
// be well-formed: the reference writes blob values raw, so only blobs
// without '<', quotes and escapes qualify, and V9 field names must be XML
// names.
func checkable(data []byte, b Blob) bool {
	if !utf8.Valid(data) || bytes.ContainsAny(data, `<'\`) {
		return false
	}
	if r, ok := b.(*AppRelease); ok {
		for _, g := range r.UpdateLine {
			for _, f := range g.Fields {
				if !xmlName.MatchString(f.Name) {
					return false
				}
			}
		}
	}
	for _, r := range string(data) {
		if r == 0xfffe || r == 0xffff || (r >= 0xd800 && r < 0xe000) {
			return false
		}
	}
	return true
}

// wellFormed parses an XML document completely.
func wellFormed(doc []byte) error {
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
