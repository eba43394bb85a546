package blobs_test

import (
	"fmt"

	"github.com/balrog-go/balrog/blobs"
	"github.com/balrog-go/balrog/rules"
)

// The flow of an update.xml request once the rules have chosen a release
// (public.md §4.2 steps 10–11 and §7).
func ExampleAppendXML() {
	blob, err := blobs.Parse([]byte(`{"name": "b", "schema_version": 1, "appv": "1.0", "extv": "1.0",
	  "hashFunction": "sha512", "platforms": {"p": {"buildID": "2", "locales": {"l": {"complete":
	  {"filesize": "3", "from": "*", "hashValue": "4", "fileUrl": "http://a.com/z?a=1&b=2"}}}}}}`))
	if err != nil {
		panic(err)
	}
	allowlist, err := blobs.ParseAllowlist([]byte(`{"a.com": ["b"]}`))
	if err != nil {
		panic(err)
	}
	env := &blobs.Env{Allowlist: allowlist, ForceHosts: blobs.ForceHosts{"http://a.com"}}

	buildID, locale := "1", "l"
	q := &rules.Query{Route: rules.RouteXML, Product: "b", Version: "1.0", BuildID: &buildID,
		BuildTarget: "p", Locale: &locale, Channel: "a", Force: rules.ForceMain}
	switch d, err := blob.ShouldServe(q); {
	case err != nil:
		fmt.Println("error:", err) // *rules.BadInputError → 400, else 500
	case d == blobs.No:
		fmt.Println(blobs.EmptyXML)
	default: // Yes, or Maybe without a pin row
		body, err := blobs.AppendXML(nil, blob, q, "minor", nil, env)
		if err != nil {
			panic(err)
		}
		fmt.Println(string(body))
	}
	// Output:
	// <?xml version="1.0"?>
	// <updates>
	//     <update type="minor" version="1.0" extensionVersion="1.0" buildID="2">
	//         <patch type="complete" URL="http://a.com/z?a=1&amp;b=2&amp;force=1" hashFunction="sha512" hashValue="4" size="3"/>
	//     </update>
	// </updates>
}

// A superblob is expanded by the caller; only the parts' inner lines are
// used.
func ExampleSuperblob_FanOut() {
	super, _ := blobs.Parse([]byte(`{"name": "s", "schema_version": 4000, "blobs": ["addon-a"]}`))
	addon, _ := blobs.Parse([]byte(`{"name": "addon-a", "schema_version": 5000, "hashFunction": "sha512",
	  "addons": {"a@x": {"version": "1", "platforms": {"default": {"fileUrl": "https://ftp.mozilla.org/a.xpi",
	  "filesize": 5, "hashValue": "h"}}}}}`))
	allowlist, _ := blobs.ParseAllowlist([]byte(`{"ftp.mozilla.org": ["SystemAddons"]}`))
	env := &blobs.Env{Allowlist: allowlist}

	buildID, locale := "1", "l"
	q := &rules.Query{Product: "SystemAddons", Version: "67.0", BuildID: &buildID, BuildTarget: "p", Locale: &locale, Channel: "release"}
	var parts []blobs.Part
	if sb := super.(*blobs.Superblob); sb.FanOut() == blobs.FanOutBlobs {
		for range sb.Blobs {
			pq := *q
			pq.Product = "SystemAddons" // the product stored with that release
			parts = append(parts, blobs.Part{Blob: addon, Query: &pq, UpdateType: "minor"})
		}
	}
	body, err := blobs.AppendXML(nil, super, q, "minor", parts, env)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(body))
	// Output:
	// <?xml version="1.0"?>
	// <updates>
	//     <addons>
	//         <addon id="a@x" URL="https://ftp.mozilla.org/a.xpi" hashFunction="sha512" hashValue="h" size="5" version="1"/>
	//     </addons>
	// </updates>
}

// The flow of an update.json request.
func ExampleAppendJSON() {
	blob, _ := blobs.Parse([]byte(`{"name": "G", "schema_version": 10000, "version": "1.0.0.0", "required": true,
	  "hashFunction": "sha512", "platforms": {"WINNT_x86_64": {"fileUrl": "https://good.com/1.msi", "hashValue": "abc"}}}`))
	allowlist, _ := blobs.ParseAllowlist([]byte(`{"good.com": ["Guardian"]}`))
	q := &rules.Query{Route: rules.RouteJSON, Product: "Guardian", Version: "0.5.0.0", BuildTarget: "WINNT_x86_64", Channel: "release"}
	if d, err := blob.ShouldServe(q); err != nil || d == blobs.No {
		fmt.Println("404")
		return
	}
	body, err := blobs.AppendJSON(nil, blob, q, &blobs.Env{Allowlist: allowlist})
	if err != nil {
		panic(err) // blobs.ErrNotJSON for non-Guardian blobs
	}
	fmt.Println(string(body))
	// Output:
	// {"version": "1.0.0.0", "url": "https://good.com/1.msi", "required": true, "hashFunction": "sha512", "hashValue": "abc"}
}
