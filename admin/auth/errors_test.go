package auth

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestErrorBody(t *testing.T) {
	e := &Error{Status: 401, Code: "token_expired", Description: "token is expired"}
	want := `{"type": "about:blank", "title": "Forbidden", "detail": "PermissionDeniedError", "status": 401, ` +
		`"exception": "Permission denied to perform the request. {'code': 'token_expired', 'description': 'token is expired'}"}`
	if got := string(e.Body()); got != want {
		t.Errorf("body =\n%s\nwant\n%s", got, want)
	}
	var decoded map[string]any
	if err := json.Unmarshal(e.Body(), &decoded); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
}

func TestPyRepr(t *testing.T) {
	for in, want := range map[string]string{
		"token is expired": `'token is expired'`,
		"couldn't find":    `"couldn't find"`,
		`say "hi"`:         `'say "hi"'`,
		`it's "x"`:         `'it\'s "x"'`,
		`back\slash`:       `'back\\slash'`,
		"tab\tnl\n":        `'tab\tnl\n'`,
		"bell\x07":         `'bell\x07'`,
		"café":             `'café'`,
		"nbsp\u00a0":       `'nbsp\xa0'`,
	} {
		if got := pyRepr(in); got != want {
			t.Errorf("pyRepr(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestJSONStringLikePython(t *testing.T) {
	for in, want := range map[string]string{
		`a"b\c`:  `"a\"b\\c"`,
		"<&>":    `"<&>"`,
		"café":   `"caf\u00e9"`,
		"😀":      `"\ud83d\ude00"`,
		"\x01\n": `"\u0001\n"`,
		"\x7f":   `"\u007f"`,
	} {
		var b strings.Builder
		writeJSONString(&b, in)
		if got := b.String(); got != want {
			t.Errorf("json(%q) = %s, want %s", in, got, want)
		}
	}
}
