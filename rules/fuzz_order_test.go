package rules

import (
	"strings"
	"testing"
)

// FuzzVersionOrder checks that version comparison is an order: for three
// parsed non-glob Mozilla versions, and for three loose versions that compare
// without error, Compare is antisymmetric and transitive. The seed corpus is
// testdata/fuzz/FuzzVersionOrder.
func FuzzVersionOrder(f *testing.F) {
	for _, s := range [][3]string{
		{"1.0", "1.0.0", "1.0a1"},
		{"56.0b3", "56.0", "56.0.1"},
		{"3.6.3plugin1", "3.6.3", "3.6.4"},
		{"1.5.0.12", "1.5.0.9", "1.5"},
		{"70.0a1", "70.0b1", "70.0rc1"},
		{"\u0665.0", "5.0", "05.0"},
		{"1.0.0.0", "0.9.9.9", "1.0.0.1"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, a, b, c string) {
		var mv [3]MozillaVersion
		ok := true
		for i, s := range [3]string{a, b, c} {
			v, err := ParseMozillaVersion(s)
			if err != nil || v.IsGlob() {
				ok = false
				break
			}
			mv[i] = v
		}
		if ok {
			checkOrder(t, "Mozilla", [3]string{a, b, c}, func(i, j int) (int, bool) { return mv[i].Compare(mv[j]), true })
		}
		var lv [3]LooseVersion
		for i, s := range [3]string{a, b, c} {
			v, err := ParseLooseVersion(s)
			if err != nil {
				return
			}
			lv[i] = v
		}
		checkOrder(t, "loose", [3]string{a, b, c}, func(i, j int) (int, bool) {
			r, err := lv[i].Compare(lv[j])
			return r, err == nil
		})
	})
}

// checkOrder asserts antisymmetry of every pair and transitivity of every
// ordered triple of the three values; cmp reports false when a pair cannot
// be compared, which exempts the pair.
func checkOrder(t *testing.T, kind string, s [3]string, cmp func(i, j int) (int, bool)) {
	t.Helper()
	var r [3][3]int
	var known [3][3]bool
	for i := range 3 {
		for j := range 3 {
			r[i][j], known[i][j] = cmp(i, j)
		}
	}
	for i := range 3 {
		for j := range 3 {
			if known[i][j] != known[j][i] || (known[i][j] && r[i][j] != -r[j][i]) {
				t.Fatalf("%s Compare(%q, %q) = %d but reverse = %d", kind, s[i], s[j], r[i][j], r[j][i])
			}
		}
		if known[i][i] && r[i][i] != 0 {
			t.Fatalf("%s Compare(%q, itself) = %d", kind, s[i], r[i][i])
		}
	}
	for i := range 3 {
		for j := range 3 {
			for k := range 3 {
				if !known[i][j] || !known[j][k] || !known[i][k] {
					continue
				}
				if r[i][j] <= 0 && r[j][k] <= 0 && r[i][k] > 0 {
					t.Fatalf("%s order not transitive: %q <= %q <= %q but %q > %q", kind, s[i], s[j], s[k], s[i], s[k])
				}
			}
		}
	}
}

// FuzzBuildIDCompare checks the buildID matcher (string comparison against
// an operator piece): a piece and its complement never both match, and
// exactly one of them matches when the operator parses. The seed corpus is
// testdata/fuzz/FuzzBuildIDCompare.
func FuzzBuildIDCompare(f *testing.F) {
	for _, s := range [][2]string{
		{"20190311211048", "<20190311211048"},
		{"20190311211048", ">=2019"},
		{"2019031121104", "<=20190311211048"},
		{"", ">1"},
		{"\u0665", ">\u0665"},
		{"2019", "2019*"},
		{"x", "<.x junk"},
	} {
		f.Add(s[0], s[1])
	}
	complement := map[cmpOp]string{opLT: ">=", opGE: "<", opGT: "<=", opLE: ">"}
	f.Fuzz(func(t *testing.T, value, piece string) {
		op, operand := getOp(piece)
		got := stringCompare(value, op, operand)
		if op == opInvalid {
			if got {
				t.Fatalf("invalid piece %q matched %q", piece, value)
			}
			return
		}
		if op == opEq && got != (value == operand) {
			t.Fatalf("equality piece %q: match(%q) = %v", piece, value, got)
		}
		other, ok := complement[op]
		if !ok {
			return
		}
		cop, coperand := getOp(other + operand)
		if cop == opInvalid || coperand != operand {
			t.Fatalf("complement of %q does not parse: %d %q", piece, cop, coperand)
		}
		if stringCompare(value, cop, coperand) == got {
			t.Fatalf("%q and its complement agree (%v) on %q", piece, got, value)
		}
		ok1 := stringCompare(value, opLT, operand)
		ok2 := stringCompare(value, opGT, operand)
		if ok1 && ok2 {
			t.Fatalf("%q is both below and above %q", value, operand)
		}
	})
}

// FuzzDecodePath checks that the fast path of DecodePath (no dot segments)
// decodes exactly like uwsgi's full state machine, and that no decoded path
// of a slash-rooted request climbs above the root. The seed corpus is
// testdata/fuzz/FuzzDecodePath.
func FuzzDecodePath(f *testing.F) {
	for _, s := range []string{
		"/update/3/Firefox/52.0esrpre/1/Darwin_ppc/x86%20de/release-cck-x/o/d/dv/update.xml",
		"/update/1/%PRODUCT%/%VERSION%/%BUILD_ID%/%BUILD_TARGET%/%LOCALE%/%CHANNEL%/update.xml",
		"/json/1/Guardian/abc/WINNT_x86_64/release/update.json",
		"/update/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
		"/update/../../etc/passwd",
		"/a/%%/b%2/c%#d",
		"/a//b/./c/..",
		"a/b%2Fc",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got := DecodePath(raw)
		if raw != "" && raw[0] == '/' && !strings.Contains(raw, "/.") {
			if want := decodePathSegments(raw); got != want {
				t.Fatalf("DecodePath(%q) = %q, state machine gives %q", raw, got, want)
			}
		}
		if raw != "" && raw[0] == '/' && got != "" && got[0] != '/' {
			t.Fatalf("DecodePath(%q) = %q lost its root", raw, got)
		}
	})
}
