package blobs

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// The public XML responses write blob values raw into attribute values
// (public.md §7.2, Q13: only '&' is escaped). A value holding '<', '"' or a
// character XML 1.0 forbids would therefore make the document ill-formed or
// smuggle markup into it, so the admin refuses such blobs before storing
// them (a check Balrog does not have; it changes no answer for a blob whose
// responses are well-formed). The V9 updateLine conditions ("for") are never
// rendered and keep version comparisons such as "<66.0".

// valXMLName is an XML attribute name as the V9 updateLine fields need.
var valXMLName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)

// valUpdateLinePath matches the path of one V9 updateLine group.
var valUpdateLinePath = regexp.MustCompile(`^updateLine\[[0-9]+\]$`)

// valMarkupProblem returns why s cannot be written into an XML attribute,
// or "".
func valMarkupProblem(s string) string {
	for i, r := range s {
		switch {
		case r == '<':
			return "'<'"
		case r == '"':
			return "'\"'"
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			return "invalid UTF-8"
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r', r == 0xFFFE, r == 0xFFFF:
			return fmt.Sprintf("character U+%04X", r)
		}
	}
	return ""
}

// valMarkup checks every key and string value under n (see above) and
// returns the first problem as a ValidationError.
func valMarkup(root *valNode) *ValidationError {
	var walk func(n *valNode, path string, rendered bool) string
	walk = func(n *valNode, path string, rendered bool) string {
		switch n.kind {
		case valString:
			if !rendered {
				return ""
			}
			if p := valMarkupProblem(n.str); p != "" {
				return fmt.Sprintf("%s: value contains %s, which XML responses cannot carry", valPathString(path), p)
			}
		case valArray:
			for i, e := range n.arr {
				if msg := walk(e, valIndexPath(path, i), rendered); msg != "" {
					return msg
				}
			}
		case valObject:
			for _, k := range n.keys {
				kp := valKeyPath(path, k)
				if p := valMarkupProblem(k); p != "" {
					return fmt.Sprintf("%s: key contains %s, which XML responses cannot carry", valPathString(kp), p)
				}
				group := valUpdateLinePath.MatchString(path)
				if strings.HasSuffix(path, ".fields") && valUpdateLinePath.MatchString(strings.TrimSuffix(path, ".fields")) && !valXMLName.MatchString(k) {
					return fmt.Sprintf("%s: %q is not an XML attribute name", valPathString(kp), k)
				}
				child := rendered && !(group && k == "for")
				if msg := walk(n.obj[k], kp, child); msg != "" {
					return msg
				}
			}
		}
		return ""
	}
	if msg := walk(root, "", true); msg != "" {
		return &ValidationError{Kind: ValidationInvalidBlob, Message: ValidationMsgSchema, Errors: []string{msg}}
	}
	return nil
}
