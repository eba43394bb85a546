package rules

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzIndex holds rules that exercise every matcher, including unparsable
// and unknown-operator values.
func fuzzIndex() *Index {
	rs := []Rule{
		{RuleID: 1, Priority: ptr(10), Mapping: ptr("a"), Version: ptr("<56.0,3.6.*,=1"), Channel: ptr("release*")},
		{RuleID: 2, Priority: ptr(20), Mapping: ptr("b"), BuildID: ptr(">=2019"), Memory: ptr("<8.0"), Channel: ptr("*")},
		{RuleID: 3, Mapping: ptr("c"), OSVersion: ptr("Windows_NT 6.1 && (x86),"), Locale: ptr("en-US,de"), Mig64: ptr(true)},
		{RuleID: 4, Priority: ptr(5), Mapping: ptr("d"), FallbackMapping: ptr("e"), BackgroundRate: ptr(50),
			InstructionSet: ptr("SSE,MMX"), Distribution: ptr("default"), Jaws: ptr(false), Memory: ptr(">=1024")},
		{RuleID: 5, Priority: ptr(30), Product: ptr("Guardian"), Mapping: ptr("g"), Version: ptr("<1.0.0.0")},
		{RuleID: 6, Priority: ptr(1), HeaderArchitecture: ptr("PPC"), DistVersion: ptr("default"), Version: ptr("67.*")},
	}
	return NewIndex(rs, []Shutoff{{Product: "Firefox", Channel: "release-cdntest"}}, nil)
}

// addRequestSeeds adds every request of testdata/requests.txt (the
// conformance requests of TestGoldenQueries) as a seed.
func addRequestSeeds(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("testdata", "requests.txt"))
	if err != nil {
		f.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		target, ua, _ := strings.Cut(line, "\t")
		path, query, _ := strings.Cut(target, "?")
		f.Add(path, query, ua)
	}
}

func FuzzParseUpdateRequest(f *testing.F) {
	f.Add(benchPath, "force=1", "Mozilla/5.0")
	f.Add("/update/3/Firefox/52.0esrpre/1/Darwin_ppc/x86%20de/release-cck-x/o/d/dv/update.xml", "force=1%3Favast=1&mig64=1&pin=52.", "PPC")
	f.Add("/json/1/Guardian/abc/WINNT_x86_64/release/update.json", "force=-1", "")
	f.Add("/update/1/%PRODUCT%/%VERSION%/%BUILD_ID%/%BUILD_TARGET%/%LOCALE%/%CHANNEL%/update.xml", "", "")
	addRequestSeeds(f)
	ix := fuzzIndex()
	f.Fuzz(func(t *testing.T, path, query, ua string) {
		m, err := ParseUpdateRequest(path, query, ua)
		if err != nil {
			var v *QueryValidationError
			if !errors.As(err, &v) || m.Kind != UpdateRoute {
				t.Fatalf("unexpected error %v for kind %d", err, m.Kind)
			}
			return
		}
		if (m.Kind == UpdateRoute) != (m.Query != nil) {
			t.Fatalf("kind %d with query %v", m.Kind, m.Query)
		}
		if m.Query == nil {
			return
		}
		q := m.Query
		if q.Route == RouteXML {
			for _, s := range []string{q.Product, q.Version, q.Channel, q.BuildTarget, strOr(q.Locale), strOr(q.OSVersion)} {
				for i := 0; i < len(s); i++ {
					if s[i] >= utf8.RuneSelf {
						t.Fatalf("XML field %q is not folded to ASCII", s)
					}
				}
			}
		}
		_, err = ix.Evaluate(q, func() int { return 50 })
		var bad *BadInputError
		if err != nil && !errors.As(err, &bad) && !errors.Is(err, ErrLooseVersionMixed) {
			t.Fatalf("unexpected evaluation error %v", err)
		}
	})
}

func FuzzParseMozillaVersion(f *testing.F) {
	for _, s := range []string{"1.0", "3.6.3plugin1", "1.5.0.12", "80.0.*", "70.0a1", "60.0b3", "\u0665.0", "1.0\n"} {
		f.Add(s, "56.0")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		va, errA := ParseMozillaVersion(a)
		vb, errB := ParseMozillaVersion(b)
		if errA == nil {
			if va.Compare(va) != 0 || !va.Equal(va) {
				t.Fatalf("%q is not equal to itself", a)
			}
			if !va.IsGlob() {
				if vc, err := ParseMozillaVersion(va.String()); err == nil && vc.Compare(va) != 0 {
					t.Fatalf("%q: canonical %q compares differently", a, va.String())
				}
			}
		}
		if errA == nil && errB == nil && !(va.IsGlob() && vb.IsGlob()) && va.Compare(vb) != -vb.Compare(va) {
			t.Fatalf("Compare(%q, %q) is not antisymmetric", a, b)
		}
		la, errA := ParseLooseVersion(a)
		lb, errB := ParseLooseVersion(b)
		if errA == nil && errB == nil {
			c1, e1 := la.Compare(lb)
			c2, e2 := lb.Compare(la)
			if (e1 == nil) != (e2 == nil) || c1 != -c2 {
				t.Fatalf("loose Compare(%q, %q) is not antisymmetric", a, b)
			}
		}
		if p, err := ParsePin(a); err == nil {
			if p2, err := ParsePin(p.String()); err != nil || p2 != p {
				t.Fatalf("pin %q does not round-trip", a)
			}
			if errB == nil && vb.n == 3 {
				_ = p.IsNewer(vb)
			}
		}
	})
}
