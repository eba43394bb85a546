package blobs

import (
	"strings"
	"testing"

	"github.com/balrog-go/balrog/rules"
)

// TestExplainServe checks that ExplainServe decides as ShouldServe and
// gives the reason of each branch.
func TestExplainServe(t *testing.T) {
	app, _ := Parse([]byte(`{"name": "r", "schema_version": 2, "appVersion": "2.0", "platforms": {"p": {"buildID": 20, "locales": {"l": {}}}}}`))
	noVersion, _ := Parse([]byte(`{"name": "r", "schema_version": 2, "platforms": {"p": {"buildID": "20", "locales": {"l": {}}}}}`))
	vpn, _ := Parse([]byte(`{"name": "v", "schema_version": 10000, "product": "FirefoxVPN", "version": "2.0", "platforms": {"windows": {"fileUrl": "https://fpn.firefox.com/x", "hashValue": "h"}}}`))
	gmp, _ := Parse([]byte(`{"name": "g", "schema_version": 1000, "hashFunction": "sha512", "vendors": {}}`))
	appQ := func(version, bid, target string, pin *string) *rules.Query {
		loc := "l"
		return &rules.Query{Version: version, BuildID: &bid, Locale: &loc, BuildTarget: target, Pin: pin}
	}
	pin := "1."
	for _, c := range []struct {
		name string
		blob Blob
		q    *rules.Query
		want Decision
		why  string
	}{
		{"json query", app, &rules.Query{Version: "1.0", BuildTarget: "p"}, No, "the query has no build ID or locale"},
		{"no app version", noVersion, appQ("1.0", "1", "p", nil), No, "the release has no application version for p/l"},
		{"newer client", app, appQ("3.0", "1", "p", nil), No, "client version 3.0 is newer than the release's 2.0"},
		{"same build", app, appQ("2.0", "3", "p", nil), No, "same version 2.0 and client build ID 3 is not older than the release's 20"},
		{"no platform", app, appQ("1.0", "1", "zz", nil), No, "the release has no platform zz"},
		{"pinned", app, appQ("1.0", "1", "p", &pin), Maybe, "release version 2.0 is newer than the client's pin 1."},
		{"update", app, appQ("1.0", "1", "p", nil), Yes, "release version 2.0 is an update for client 1.0"},
		{"guardian older", vpn, &rules.Query{Version: "1.5", BuildTarget: "windows"}, Yes, "release version 2.0 is newer than client 1.5"},
		{"guardian same", vpn, &rules.Query{Version: "2.0", BuildTarget: "windows"}, No, "client version 2.0 is not older than the release's 2.0"},
		{"guardian platform", vpn, &rules.Query{Version: "1.0", BuildTarget: "mac"}, No, "the release has no platform mac"},
		{"gmp", gmp, appQ("1.0", "1", "p", nil), Yes, "GMP releases (schema 1000) are always served"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.blob == nil {
				t.Fatal("blob did not parse")
			}
			d, why, err := ExplainServe(c.blob, c.q)
			plain, plainErr := c.blob.ShouldServe(c.q)
			if err != nil || plainErr != nil || d != c.want || plain != d || !strings.HasPrefix(why, c.why) {
				t.Errorf("got %v %q %v (ShouldServe %v %v), want %v %q", d, why, err, plain, plainErr, c.want, c.why)
			}
		})
	}
}
