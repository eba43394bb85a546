package blobs

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/balrog-go/balrog/rules"
)

// FuzzValidateRender runs a blob through what the admin does before storing
// it (Validate, for the product of the request path) and, when it is
// accepted, through what the public role does with it: parse, decide, render
// JSON and XML. An accepted blob must parse; its XML must be well-formed and
// escape every '&' as public.md §7.2 says; its JSON must be valid JSON. The
// seed corpus is testdata/fuzz/FuzzValidateRender (the FuzzParseRender
// corpus: real and fixture blobs of every type with matching requests).
func FuzzValidateRender(f *testing.F) {
	f.Add([]byte(v1("b", "1.0", "2", "http://a.com/z", `"3"`, "4")), "/update/3/b/0.5/1/p/l/a/a/a/a/update.xml?force=1")
	f.Add([]byte(`{"name": "g", "schema_version": 1, "appv": "1", "extv": "1", "hashFunction": "sha512", "detailsUrl": "http://a.com/<x/>",
 "platforms": {"p": {"buildID": "1", "locales": {"l": {"complete": {"filesize": 1, "from": "*", "hashValue": "h", "fileUrl": "http://a.com/z"}}}}}}`),
		"/update/3/b/0.5/1/p/l/a/a/a/a/update.xml")
	al, err := ParseAllowlist([]byte(defAllowlist))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte, path string) {
		q, err := queryFromPath(path, "")
		if err != nil {
			q = &rules.Query{Product: "b", Version: "1.0", BuildTarget: "p", Channel: "a"}
		}
		if Validate(data, q.Product, ValidateOptions{Allowlist: al}) != nil {
			return
		}
		b, err := Parse(data)
		if err != nil {
			t.Fatalf("validated blob does not parse: %v", err)
		}
		env := &Env{Allowlist: al, ForceHosts: defForceHosts, Releases: ReleaseMap{"self": b, "f1": b}}
		_, _ = b.ShouldServe(q)
		if js, err := AppendJSON(nil, b, q, env); err == nil && len(js) > 0 && !json.Valid(js) {
			t.Fatalf("invalid JSON:\n%s", js)
		}
		out, err := AppendXML(nil, b, q, "minor", []Part{{Blob: b, Query: q, UpdateType: "minor"}}, env)
		if err != nil {
			return
		}
		if err := wellFormed(out); err != nil {
			t.Fatalf("not well-formed (%v):\n%s", err, out)
		}
		for i := range out {
			if out[i] == '&' && !bytes.HasPrefix(out[i:], []byte("&amp;")) {
				t.Fatalf("unescaped '&' at %d:\n%s", i, out)
			}
		}
	})
}
