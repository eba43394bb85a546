package blobs

// A small subset of JSON-Schema draft 4, just what Balrog's blob schemas use,
// and the schemas themselves written as Go values. The semantics follow the
// Python jsonschema library Balrog runs:
//
//   - "type": number accepts any JSON number (integers and floats) but not
//     booleans;
//   - "pattern" / "patternProperties" use Python re.search, where `$` also
//     matches before a final "\n" (see valPat…);
//   - "format": uri is NOT checked: Balrog does not install the optional
//     rfc3987 package that jsonschema needs for it, so any string passes.
//     The custom formats "version" and "buildID" (admin.md §0.2) are checked.
//   - minLength/maxLength count code points, like Python len().

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// valCtx collects the errors of one validation.
//
// Every check reports a failure twice: in errs, in our path-style wording
// and in document order, and as the return value of check, in the wording
// and order of Python's jsonschema (Draft4Validator.iter_errors), which
// walks the schema keywords in the order of Balrog's YAML files. The
// jsonschema messages of a subschema are returned rather than appended so
// that an enclosing oneOf can replace them with its single message.
type valCtx struct {
	version int
	errs    []string
}

func (c *valCtx) add(path, format string, args ...any) {
	c.errs = append(c.errs, valPathString(path)+": "+fmt.Sprintf(format, args...))
}

type valKind uint8

const (
	valAny valKind = iota // no "type"
	valTString
	valTNumber
	valTBool
	valTObject
	valTArray
	// valTNumOrDigits is `oneOf: [{type: number}, {type: string, pattern:
	// ^[0-9]*$}]` (filesize, buildID).
	valTNumOrDigits
)

// valSchema is one (sub)schema.
type valSchema struct {
	typ valKind

	// strings
	minLen, maxLen int      // in code points; 0 means unchecked
	enum           []string // allowed values, nil means any
	format         func(string) string
	formatName     string // the format's name, for jsonschema's message

	// booleans: enum [true]
	mustBeTrue bool
	// numbers: enum [version] (schema_version)
	enumVersion int

	// objects
	props    []valProp
	patterns []valPattern
	closed   bool // additionalProperties: false
	// apFirst tells that the schema lists additionalProperties before
	// required (gmp.yml, systemaddons.yml and guardian.yml platforms), so
	// that jsonschema reports unexpected keys before missing ones.
	apFirst bool
	// required lists the required properties in the order of the schema's
	// "required" list when it differs from the order of props (guardian.yml).
	required []string
	// aliasable is the platform entry's `oneOf: [{type: object, required:
	// [alias], properties: {alias: {type: string}}}, <this schema>]`. The two
	// branches exclude each other (this schema never allows "alias"), so an
	// object with "alias" is valid iff the alias is a string, whatever else
	// it holds, and an object without it must match this schema.
	aliasable bool

	// arrays
	items *valSchema
}

type valProp struct {
	name     string
	schema   *valSchema
	required bool
}

type valPattern struct {
	match func(key string) bool
	// desc is the pattern, for messages.
	desc   string
	schema *valSchema
}

// check validates n, found at path, against s. It appends the path-style
// errors to c.errs and returns jsonschema's messages (see valCtx).
func (c *valCtx) check(s *valSchema, n *valNode, path string) []string {
	switch s.typ {
	case valAny:
		return nil
	case valTString:
		if n.kind != valString {
			c.add(path, "expected string, got %s", n.kindName())
			return valEnumMsg(s, n, []string{valTypeMsg(n, "string")})
		}
		return c.checkString(s, n, path)
	case valTNumber:
		var msgs []string
		if n.kind != valNumber {
			c.add(path, "expected number, got %s", n.kindName())
			msgs = append(msgs, valTypeMsg(n, "number"))
		}
		return valEnumMsg(s, n, msgs)
	case valTBool:
		if n.kind != valBool {
			c.add(path, "expected boolean, got %s", n.kindName())
			return valEnumMsg(s, n, []string{valTypeMsg(n, "boolean")})
		}
		if s.mustBeTrue && !n.b {
			c.add(path, "must be true (leave it out instead of setting false)")
		}
		return valEnumMsg(s, n, nil)
	case valTNumOrDigits:
		switch n.kind {
		case valNumber:
			return nil
		case valString:
			if valDigits(n.str) {
				return nil
			}
			c.add(path, "expected a number or a string of digits, got %s", valQuote(n.str))
		default:
			c.add(path, "expected a number or a string of digits, got %s", n.kindName())
		}
		return []string{valOneOfMsg(n)}
	case valTArray:
		if n.kind != valArray {
			c.add(path, "expected array, got %s", n.kindName())
			return []string{valTypeMsg(n, "array")}
		}
		var msgs []string
		if s.items != nil {
			for i, it := range n.arr {
				msgs = append(msgs, c.check(s.items, it, valIndexPath(path, i))...)
			}
		}
		return msgs
	case valTObject:
		if s.aliasable {
			// oneOf: [{alias branch}, {this schema}]: one message for the
			// whole entry whatever is wrong in it.
			if n.kind != valObject {
				c.add(path, "expected object, got %s", n.kindName())
				return []string{valOneOfMsg(n)}
			}
			if alias, ok := n.obj["alias"]; ok {
				if alias.kind != valString {
					c.add(valKeyPath(path, "alias"), "expected string, got %s", alias.kindName())
					return []string{valOneOfMsg(n)}
				}
				return nil
			}
			if len(c.checkObject(s, n, path)) > 0 {
				return []string{valOneOfMsg(n)}
			}
			return nil
		}
		if n.kind != valObject {
			c.add(path, "expected object, got %s", n.kindName())
			return []string{valTypeMsg(n, "object")}
		}
		return c.checkObject(s, n, path)
	}
	return nil
}

// checkString checks the keywords of a string schema on a string, in the
// order the YAML files list them: minLength, maxLength; enum; format.
func (c *valCtx) checkString(s *valSchema, n *valNode, path string) []string {
	var msgs []string
	v := n.str
	if s.minLen > 0 || s.maxLen > 0 {
		l := utf8.RuneCountInString(v)
		if s.minLen > 0 && l < s.minLen {
			if s.minLen == 1 {
				c.add(path, "must not be empty")
				msgs = append(msgs, valRepr(n)+" should be non-empty")
			} else {
				c.add(path, "must be at least %d characters long, got %d", s.minLen, l)
				msgs = append(msgs, valRepr(n)+" is too short")
			}
		}
		if s.maxLen > 0 && l > s.maxLen {
			c.add(path, "must be at most %d characters long, got %d", s.maxLen, l)
			msgs = append(msgs, valRepr(n)+" is too long")
		}
	}
	if s.enum != nil {
		ok := false
		for _, e := range s.enum {
			ok = ok || v == e
		}
		if !ok {
			q := make([]string, len(s.enum))
			for i, e := range s.enum {
				q[i] = strconv.Quote(e)
			}
			if len(q) == 1 {
				c.add(path, "must be %s, got %s", q[0], valQuote(v))
			} else {
				c.add(path, "must be one of %s, got %s", strings.Join(q, ", "), valQuote(v))
			}
		}
	}
	msgs = valEnumMsg(s, n, msgs)
	if s.format != nil {
		if msg := s.format(v); msg != "" {
			c.add(path, "%s", msg)
			msgs = append(msgs, valRepr(n)+" is not a "+string(appendPyReprString(nil, s.formatName)))
		}
	}
	return msgs
}

// checkObject checks the object keywords. The path-style errors come in
// document order (missing required properties first); jsonschema's come
// keyword by keyword: required (in the order of the required list, which is
// that of props) and additionalProperties (in the order apFirst says), then
// properties in schema order, then patternProperties pattern by pattern,
// each in document order.
func (c *valCtx) checkObject(s *valSchema, n *valNode, path string) []string {
	var required []string
	for _, p := range s.props {
		if _, ok := n.obj[p.name]; p.required && !ok {
			c.add(valKeyPath(path, p.name), "required property is missing")
			if s.required == nil {
				required = append(required, valRequiredMsg(p.name))
			}
		}
	}
	for _, name := range s.required {
		if _, ok := n.obj[name]; !ok {
			required = append(required, valRequiredMsg(name))
		}
	}
	propMsgs := make([][]string, len(s.props))
	patMsgs := make([][]string, len(s.patterns))
	var extras []string
	for _, k := range n.keys {
		v := n.obj[k]
		kp := valKeyPath(path, k)
		known := false
		for i, p := range s.props {
			if p.name == k {
				known = true
				propMsgs[i] = c.check(p.schema, v, kp)
				break
			}
		}
		for i, pt := range s.patterns {
			if pt.match(k) {
				known = true
				patMsgs[i] = append(patMsgs[i], c.check(pt.schema, v, kp)...)
			}
		}
		if !known && s.closed {
			extras = append(extras, k)
			switch {
			case len(s.patterns) > 0 && len(s.props) == 0:
				descs := make([]string, len(s.patterns))
				for i, pt := range s.patterns {
					descs[i] = pt.desc
				}
				c.add(kp, "key not allowed here (keys must match %s)", strings.Join(descs, " or "))
			case path == "":
				c.add(kp, "unknown property (not allowed in a schema_version %d blob)", c.version)
			default:
				c.add(kp, "unknown property")
			}
		}
	}
	var additional []string
	if len(extras) > 0 {
		additional = []string{valAdditionalMsg(s, extras)}
	}
	var msgs []string
	if s.apFirst {
		msgs = append(append(msgs, additional...), required...)
	} else {
		msgs = append(append(msgs, required...), additional...)
	}
	for _, m := range propMsgs {
		msgs = append(msgs, m...)
	}
	for _, m := range patMsgs {
		msgs = append(msgs, m...)
	}
	return msgs
}

// ---------------------------------------------------------------------------
// jsonschema's messages (jsonschema 4.26, the version Balrog locks).

// valRepr is Python's repr() of the decoded value.
func valRepr(n *valNode) string { return string(appendValRepr(nil, n)) }

func appendValRepr(b []byte, n *valNode) []byte {
	switch n.kind {
	case valNull:
		return append(b, "None"...)
	case valBool:
		if n.b {
			return append(b, "True"...)
		}
		return append(b, "False"...)
	case valNumber:
		if strings.ContainsAny(n.str, ".eE") {
			return append(b, pyFloatRepr(parseFloatLiteral(n.str))...)
		}
		return append(b, pyIntText(n.str)...)
	case valString:
		return appendPyReprString(b, n.str)
	case valArray:
		b = append(b, '[')
		for i, e := range n.arr {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendValRepr(b, e)
		}
		return append(b, ']')
	default:
		b = append(b, '{')
		for i, k := range n.keys {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendPyReprString(b, k)
			b = append(b, ": "...)
			b = appendValRepr(b, n.obj[k])
		}
		return append(b, '}')
	}
}

// valTypeMsg is the message of "type" (a single type in Balrog's schemas;
// jsonschema would list several as "'string', 'integer'").
func valTypeMsg(n *valNode, types ...string) string {
	b := appendValRepr(nil, n)
	b = append(b, " is not of type "...)
	for i, t := range types {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = appendPyReprString(b, t)
	}
	return string(b)
}

// valRequiredMsg is the message of a missing required property.
func valRequiredMsg(name string) string {
	return string(appendPyReprString(nil, name)) + " is a required property"
}

// valOneOfMsg is the message of a oneOf (or anyOf) that no branch matches.
func valOneOfMsg(n *valNode) string {
	return valRepr(n) + " is not valid under any of the given schemas"
}

// valEnumMsg appends the message of s's enum, if it has one that n fails.
// Unlike the other keywords, enum applies to values of any type.
func valEnumMsg(s *valSchema, n *valNode, msgs []string) []string {
	var list string
	ok := true
	switch {
	case s.enum != nil:
		b := []byte{'['}
		ok = false
		for i, e := range s.enum {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendPyReprString(b, e)
			ok = ok || n.kind == valString && n.str == e
		}
		list = string(append(b, ']'))
	case s.mustBeTrue:
		list, ok = "[True]", n.kind == valBool && n.b
	case s.enumVersion != 0:
		list = "[" + strconv.Itoa(s.enumVersion) + "]"
		// Python compares numbers by value (4.0 == 4) but never a boolean
		// with a number in jsonschema's enum.
		f, err := strconv.ParseFloat(n.str, 64)
		ok = n.kind == valNumber && err == nil && f == float64(s.enumVersion)
	}
	if ok {
		return msgs
	}
	return append(msgs, valRepr(n)+" is not one of "+list)
}

// valAdditionalMsg is the message of additionalProperties: false for the
// unexpected keys extras. jsonschema sorts them (Python sorts str by code
// point, which is Go's byte order of UTF-8) and words it differently when the
// schema also has patternProperties.
func valAdditionalMsg(s *valSchema, extras []string) string {
	sorted := append([]string(nil), extras...)
	sort.Strings(sorted)
	var b []byte
	for i, k := range sorted {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = appendPyReprString(b, k)
	}
	if len(s.patterns) > 0 {
		if len(sorted) == 1 {
			b = append(b, " does not match any of the regexes: "...)
		} else {
			b = append(b, " do not match any of the regexes: "...)
		}
		descs := make([]string, len(s.patterns))
		for i, pt := range s.patterns {
			descs[i] = pt.desc
		}
		sort.Strings(descs)
		for i, d := range descs {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendPyReprString(b, d)
		}
		return string(b)
	}
	verb := " was unexpected)"
	if len(sorted) > 1 {
		verb = " were unexpected)"
	}
	return "Additional properties are not allowed (" + string(b) + verb
}

// valDigits is Python re.search(r"^[0-9]*$", s).
func valDigits(s string) bool {
	s = valStripFinalNewline(s)
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// valStripFinalNewline drops one final "\n": Python's `$` matches before it.
func valStripFinalNewline(s string) string {
	if strings.HasSuffix(s, "\n") {
		return s[:len(s)-1]
	}
	return s
}

// valPatAnyKey is `^.*$`: no newline except a final one.
func valPatAnyKey(k string) bool {
	return !strings.Contains(valStripFinalNewline(k), "\n")
}

// valPatNonEmptyKey is `^.+$`.
func valPatNonEmptyKey(k string) bool {
	k = valStripFinalNewline(k)
	return k != "" && !strings.Contains(k, "\n")
}

// valPatOneOf is `^(a|b|…)$`.
func valPatOneOf(words ...string) func(string) bool {
	return func(k string) bool {
		k = valStripFinalNewline(k)
		for _, w := range words {
			if k == w {
				return true
			}
		}
		return false
	}
}

// valQuote quotes a value for a message, shortening long ones.
func valQuote(s string) string {
	const max = 80
	if utf8.RuneCountInString(s) > max {
		r := []rune(s)
		s = string(r[:max]) + "…"
	}
	return strconv.Quote(s)
}

// ---------------------------------------------------------------------------
// Schema constructors.

func valStr() *valSchema      { return &valSchema{typ: valTString} }
func valNum() *valSchema      { return &valSchema{typ: valTNumber} }
func valBoolean() *valSchema  { return &valSchema{typ: valTBool} }
func valSizeLike() *valSchema { return &valSchema{typ: valTNumOrDigits} }

// valName is the schema of "name" and "product": a string of 1–100 characters.
func valName() *valSchema { return &valSchema{typ: valTString, minLen: 1, maxLen: 100} }

func valReq(name string, s *valSchema) valProp { return valProp{name: name, schema: s, required: true} }
func valOpt(name string, s *valSchema) valProp { return valProp{name: name, schema: s} }

// valClosed is an object with additionalProperties: false.
func valClosed(props ...valProp) *valSchema {
	return &valSchema{typ: valTObject, closed: true, props: props}
}

// valOpen is an object that tolerates unknown keys.
func valOpen(props ...valProp) *valSchema {
	return &valSchema{typ: valTObject, props: props}
}

// valMap is an object whose keys must match one pattern (closed) or whose
// matching keys are checked (open).
func valMap(closed bool, match func(string) bool, desc string, s *valSchema) *valSchema {
	return &valSchema{typ: valTObject, closed: closed, patterns: []valPattern{{match: match, desc: desc, schema: s}}}
}

func valArrayOf(s *valSchema) *valSchema { return &valSchema{typ: valTArray, items: s} }

// valSchemaVersion is the schema of "schema_version": a number whose enum
// is the one version.
func valSchemaVersion(version int) *valSchema {
	return &valSchema{typ: valTNumber, enumVersion: version}
}

// valHeader returns the properties every blob schema starts with.
func valHeader(version int, hashFunction bool) []valProp {
	p := []valProp{
		valReq("name", valName()),
		valOpt("product", valName()),
		valReq("schema_version", valSchemaVersion(version)),
	}
	if hashFunction {
		p = append(p, valReq("hashFunction", valStr()))
	}
	return p
}

// ---------------------------------------------------------------------------
// The schemas.

var valTypes = map[int]*valType{}

func init() {
	for _, v := range []int{1, 2, 3, 4, 5, 6, 8, 9} {
		s := valAppReleaseSchema(v)
		t := &valType{version: v, urls: valAppReleaseURLs}
		t.check = func(c *valCtx, root *valNode) []string { return c.check(s, root, "") }
		if v == 9 {
			t.extra = valCheckUpdateLine
		}
		valTypes[v] = t
	}

	desupport := valClosed(append(valHeader(50, false),
		valReq("detailsUrl", valStr()), // format: uri (unchecked)
		valReq("displayVersion", valStr()),
	)...)
	valTypes[50] = &valType{version: 50, check: func(c *valCtx, root *valNode) []string { return c.check(desupport, root, "") }}

	gmp := valGMPSchema()
	valTypes[1000] = &valType{version: 1000, check: func(c *valCtx, root *valNode) []string { return c.check(gmp, root, "") },
		urls: valGMPURLs, extra: valCheckGMPHashes}

	valTypes[4000] = &valType{version: 4000, check: valSuperBlobCheck()}
	valTypes[5000] = &valType{version: 5000, check: valSystemAddonsCheck(), urls: valSystemAddonsURLs}

	guardian := valClosed(
		valReq("name", valName()),
		valReq("product", valName()),
		valReq("schema_version", valSchemaVersion(10000)),
		valReq("version", valStr()),
		valOpt("required", valBoolean()),
		valReq("hashFunction", valStr()),
		valReq("platforms", valMap(true, valPatNonEmptyKey, "^.+$", &valSchema{
			typ: valTObject, closed: true, apFirst: true,
			props: []valProp{
				valReq("fileUrl", valStr()),
				valReq("hashValue", valStr()),
			},
		})),
	)
	guardian.required = []string{"name", "product", "schema_version", "platforms", "version", "hashFunction"}
	valTypes[10000] = &valType{version: 10000, check: func(c *valCtx, root *valNode) []string { return c.check(guardian, root, "") },
		urls: valGuardianURLs}
}

// valAppReleaseSchema builds the schema of app release blobs V1–V9
// (apprelease-vN.yml; public.md §6.4.1–§6.4.5).
func valAppReleaseSchema(v int) *valSchema {
	between := func(lo, hi int) bool { return lo <= v && v <= hi }
	str := valStr

	top := valHeader(v, true)
	if v == 1 {
		top = append(top, valOpt("extv", str()), valOpt("appv", str()))
	} else {
		top = append(top, valOpt("appVersion", str()))
		if between(2, 5) {
			top = append(top, valOpt("platformVersion", str()))
		}
		top = append(top, valOpt("displayVersion", str()))
	}
	if v <= 8 {
		top = append(top, valOpt("detailsUrl", str()))
	}
	if v <= 5 {
		top = append(top, valOpt("licenseUrl", str()))
	}
	if v == 1 {
		top = append(top, valOpt("fakePartials", valBoolean()), valOpt("oldVersionSpecialCases", valBoolean()))
	}
	if between(2, 8) {
		top = append(top, valOpt("actions", str()))
		if v <= 5 {
			top = append(top, valOpt("billboardURL", str()))
		}
		top = append(top,
			valOpt("openURL", str()),
			valOpt("notificationURL", str()),
			valOpt("alertURL", str()),
			valOpt("showPrompt", valBoolean()),
			valOpt("showNeverForVersion", valBoolean()),
		)
	}
	if v == 5 || v == 6 || v == 8 {
		top = append(top, valOpt("promptWaitTime", valNum()))
	}
	if v >= 8 {
		top = append(top,
			valOpt("binTransMerkleRoot", str()),
			valOpt("binTransCertificate", str()),
			valOpt("binTransSCTList", str()),
		)
	}
	if v == 9 {
		top = append(top, valOpt("updateLine", valUpdateLineSchema()))
	}

	// fileUrls, ftpFilenames, bouncerProducts.
	switch {
	case v <= 2:
		kinds := valMap(true, valPatOneOf("partial", "complete"), "^(partial|complete)$", str())
		top = append(top,
			valOpt("fileUrls", valMap(true, valPatAnyKey, "^.*$", str())), // values: format uri (unchecked)
			valOpt("ftpFilenames", kinds),
			valOpt("bouncerProducts", kinds),
		)
	case v == 3:
		byFrom := valMap(true, valPatAnyKey, "^.*$", str())
		kinds := valOpen(valOpt("partials", byFrom), valOpt("completes", byFrom))
		top = append(top,
			valOpt("fileUrls", valMap(true, valPatAnyKey, "^.*$", str())),
			valOpt("ftpFilenames", kinds),
			valOpt("bouncerProducts", kinds),
		)
	default:
		byFrom := valMap(true, valPatNonEmptyKey, "^.+$", str())
		byKind := valMap(true, valPatOneOf("partials", "completes"), "^(partials|completes)$", byFrom)
		top = append(top, valOpt("fileUrls", valMap(true, valPatNonEmptyKey, "^.+$", byKind)))
	}

	// Locales.
	var locale []valProp
	if v != 1 && v != 9 {
		locale = append(locale, valOpt("isOSUpdate", valBoolean()))
	}
	locale = append(locale, valOpt("buildID", valSizeLike()))
	if v == 1 {
		locale = append(locale, valOpt("extv", str()), valOpt("appv", str()))
	} else {
		locale = append(locale, valOpt("appVersion", str()))
		if between(2, 5) {
			locale = append(locale, valOpt("platformVersion", str()))
		}
		locale = append(locale, valOpt("displayVersion", str()))
	}
	if v <= 2 {
		patch := func(complete bool) *valSchema {
			from := str()
			if complete {
				from.enum = []string{"*"}
			}
			return valClosed(
				valReq("filesize", valSizeLike()),
				valReq("from", from),
				valReq("hashValue", str()),
				valOpt("fileUrl", str()), // format: uri (unchecked)
			)
		}
		locale = append(locale, valOpt("partial", patch(false)), valOpt("complete", patch(true)))
	} else {
		patch := []valProp{valReq("filesize", valSizeLike())}
		if v == 8 {
			patch = append(patch, valReq("binTransInclusionProof", str()))
		} else if v == 9 {
			patch = append(patch, valOpt("binTransInclusionProof", str()))
		}
		patch = append(patch,
			valReq("from", str()),
			valReq("hashValue", str()),
			valOpt("fileUrl", str()), // format: uri (unchecked)
		)
		list := valArrayOf(valClosed(patch...))
		locale = append(locale, valOpt("partials", list), valOpt("completes", list))
	}

	platform := valClosed(
		valOpt("buildID", valSizeLike()),
		valOpt("OS_BOUNCER", str()),
		valOpt("OS_FTP", str()),
		valOpt("locales", valMap(true, valPatNonEmptyKey, "^.+$", valClosed(locale...))),
	)
	platform.aliasable = true
	top = append(top, valOpt("platforms", valMap(true, valPatNonEmptyKey, "^.+$", platform)))

	return valClosed(top...)
}

// valUpdateLineSchema is V9's updateLine (public.md §6.4.5).
func valUpdateLineSchema() *valSchema {
	strs := valArrayOf(valStr())
	versions := valArrayOf(&valSchema{typ: valTString, format: valCheckVersionFormat, formatName: "version"})
	buildIDs := valArrayOf(&valSchema{typ: valTString, format: valCheckBuildIDFormat, formatName: "buildID"})
	mustTrue := func() *valSchema { return &valSchema{typ: valTBool, mustBeTrue: true} }
	return valArrayOf(valClosed(
		valOpt("for", valClosed(
			valOpt("locales", strs),
			valOpt("channels", strs),
			valOpt("versions", versions),
			valOpt("buildIDs", buildIDs),
		)),
		valOpt("fields", valClosed(
			valOpt("type", &valSchema{typ: valTString, enum: []string{"minor", "major"}}),
			valOpt("detailsURL", valStr()),
			valOpt("actions", valStr()),
			valOpt("openURL", valStr()),
			valOpt("notificationURL", valStr()),
			valOpt("alertURL", valStr()),
			valOpt("showPrompt", valBoolean()),
			valOpt("showNeverForVersion", valBoolean()),
			valOpt("promptWaitTime", valNum()),
			valOpt("disableBITS", mustTrue()),
			valOpt("disableBackgroundUpdates", mustTrue()),
		)),
	))
}

// valGMPSchema is gmp.yml (public.md §6.4.8).
func valGMPSchema() *valSchema {
	platform := valClosed(
		valReq("filesize", valNum()),
		valReq("hashValue", valStr()),
		valReq("fileUrl", valStr()),                // format: uri (unchecked)
		valOpt("mirrorUrls", valArrayOf(valStr())), // items: format uri (unchecked)
	)
	platform.aliasable = true
	platform.apFirst = true
	vendor := valClosed(
		valReq("version", valStr()),
		// No additionalProperties here: keys that do not match ^.+$ (the
		// empty key) are not checked at all, as in Balrog.
		valOpt("platforms", valMap(false, valPatNonEmptyKey, "^.+$", platform)),
	)
	return valClosed(append(valHeader(1000, true),
		valReq("vendors", valMap(false, valPatNonEmptyKey, "^.+$", vendor)),
	)...)
}

// valExclusive checks a schema that is a top-level oneOf of branches told
// apart by one required key each (superblob.yml, systemaddons.yml). Balrog's
// messages for a failed oneOf name no field; here the branch whose key is
// present is checked and reported on, and a blob with none or several of the
// keys gets an error naming them.
//
// For jsonschema the blob fails the oneOf as a whole: one message with the
// repr of the blob, after nothing else (the root is an object here, so the
// schema's "type: object" passes).
func valExclusive(what string, keys []string, branches []*valSchema) func(c *valCtx, root *valNode) []string {
	return func(c *valCtx, root *valNode) []string {
		var present []int
		for i, k := range keys {
			if _, ok := root.obj[k]; ok {
				present = append(present, i)
			}
		}
		if len(present) == 1 {
			if len(c.check(branches[present[0]], root, "")) > 0 {
				return []string{valOneOfMsg(root)}
			}
			return nil
		}
		quoted := make([]string, len(keys))
		for i, k := range keys {
			quoted[i] = strconv.Quote(k)
		}
		if len(present) == 0 {
			c.add("", "a %s blob needs one of %s", what, strings.Join(quoted, " or "))
		} else {
			c.add("", "a %s blob has either %s, not both", what, strings.Join(quoted, " or "))
		}
		// Check the rest against the first branch, tolerating the keys that
		// tell the branches apart.
		relaxed := *branches[0]
		relaxed.props = nil
		for _, p := range branches[0].props {
			if p.name == keys[0] {
				p.required = false
			}
			relaxed.props = append(relaxed.props, p)
		}
		for _, k := range keys[1:] {
			relaxed.props = append(relaxed.props, valOpt(k, &valSchema{}))
		}
		c.check(&relaxed, root, "")
		return []string{valOneOfMsg(root)}
	}
}

// valSuperBlobCheck is superblob.yml (public.md §6.4.6): either "products"
// or "blobs", a list of 1–100 character strings.
func valSuperBlobCheck() func(*valCtx, *valNode) []string {
	names := valArrayOf(valName())
	return valExclusive("SuperBlob", []string{"products", "blobs"}, []*valSchema{
		valClosed(append(valHeader(4000, false), valReq("products", names))...),
		valClosed(append(valHeader(4000, false), valReq("blobs", names))...),
	})
}

// valSystemAddonsCheck is systemaddons.yml (public.md §6.4.9): either
// "uninstall" (boolean) or "addons"; hashFunction is optional.
func valSystemAddonsCheck() func(*valCtx, *valNode) []string {
	platform := valClosed(
		valReq("filesize", valNum()),
		valReq("hashValue", valStr()),
		valReq("fileUrl", valStr()), // format: uri (unchecked)
	)
	platform.aliasable = true
	platform.apFirst = true
	addon := valClosed(
		valReq("version", valStr()),
		valOpt("platforms", valMap(false, valPatNonEmptyKey, "^.+$", platform)),
	)
	header := func() []valProp {
		return append(valHeader(5000, false), valOpt("hashFunction", valStr()))
	}
	return valExclusive("SystemAddons", []string{"uninstall", "addons"}, []*valSchema{
		valClosed(append(header(), valReq("uninstall", valBoolean()))...),
		valClosed(append(header(), valReq("addons", valMap(false, valPatNonEmptyKey, "^.+$", addon)))...),
	})
}
