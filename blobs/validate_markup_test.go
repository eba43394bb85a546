package blobs

import (
	"errors"
	"strings"
	"testing"
)

// TestValidateRefusesMarkup checks that blobs whose rendered values or keys
// would break the XML responses are refused with the path of the value,
// and that V9 conditions and '&' stay allowed.
func TestValidateRefusesMarkup(t *testing.T) {
	desupport := func(detailsURL string) string {
		return `{"name": "d", "schema_version": 50, "detailsUrl": "` + detailsURL + `", "displayVersion": "1"}`
	}
	v9 := func(forVersions, field string) string {
		return `{"name": "v", "schema_version": 9, "hashFunction": "sha512", "appVersion": "1", "displayVersion": "1",
 "updateLine": [{"for": {"versions": ["` + forVersions + `"]}, "fields": {"actions": "` + field + `"}}]}`
	}
	cases := []struct {
		name, blob, wantErr string
	}{
		{"plain", desupport("http://a.com/x?a=1&b=2"), ""},
		{"element in a value", desupport("http://a.com/<x/>"), "detailsUrl: value contains '<'"},
		{"quote in a value", desupport(`http://a.com/\" evil=\"1`), `detailsUrl: value contains '"'`},
		{"control character", desupport(`a\u0001b`), "detailsUrl: value contains character U+0001"},
		{"U+FFFF", desupport(`a\uffffb`), "detailsUrl: value contains character U+FFFF"},
		{"escaped markup", desupport("&lt;x/&gt;"), ""},
		{"V9 condition", v9("<66.0", "showURL"), ""},
		{"V9 field", v9("<66.0", "<x>"), "updateLine[0].fields.actions: value contains '<'"},
		{"key", `{"name": "g", "schema_version": 1000, "hashFunction": "sha512", "vendors": {"a<b": {"version": "1", "platforms": {}}}}`,
			`vendors["a<b"]: key contains '<'`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Validate([]byte(c.blob), "b", ValidateOptions{Allowlist: mustAllowlist(t)})
			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Kind != ValidationInvalidBlob || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("got %v, want an invalid-blob error containing %q", err, c.wantErr)
			}
		})
	}
}

func mustAllowlist(t *testing.T) *Allowlist {
	t.Helper()
	al, err := ParseAllowlist([]byte(defAllowlist))
	if err != nil {
		t.Fatal(err)
	}
	return al
}
