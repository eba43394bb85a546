package rules

import (
	"errors"
	"testing"
)

func mustMV(t *testing.T, s string) MozillaVersion {
	t.Helper()
	v, err := ParseMozillaVersion(s)
	if err != nil {
		t.Fatalf("ParseMozillaVersion(%q): %v", s, err)
	}
	return v
}

func TestParseMozillaVersion(t *testing.T) {
	tests := []struct {
		in    string
		ok    bool
		canon string
	}{
		{"1.0", true, "1.0"},
		{"3.6", true, "3.6"},
		{"3.6.0", true, "3.6"},
		{"3.6.3plugin1", true, "3.6.3p1"},
		{"4.0b1", true, "4.0b1"},
		{"3.0rc2", true, "3.0r2"},
		{"56.0", true, "56.0"},
		{"56.0.0", true, "56.0"},
		{"80.1.0", true, "80.1"},
		{"80.0a1", true, "80.0a1"},
		{"70.0a1", true, "70.0a1"},
		{"066.0", true, "66.0"},
		{"1.5.0.12", true, "1.5.12"},
		{"2.0.0.20", true, "2.0.20"},
		{"1.5.0.4", true, "1.5.4"},
		{"1.5.0.12b3", true, "1.5.12b3"},
		{"1.0\n", true, "1.0"},
		{"99999999999999999999999.0", true, "99999999999999999999999.0"},
		{"\u0665.\u0660", true, "5.0"}, // Arabic-Indic digits are \d in Python
		{"80.*", true, "80.*"},
		{"80.0.*", true, "80.0.*"},
		{"67.*", true, "67.*"},
		{"60.0b3", false, ""},
		{"1.0.x", false, ""},
		{"3.6.*", false, ""},
		{"4.*", false, ""},
		{"80.*.*", false, ""},
		{"80.0.1.*", false, ""},
		{"3.6.17pre", false, ""},
		{"66.0.5.1", true, "66.0.1"},
		{"66.0.15.1", false, ""},
		{"1.5.00.12", false, ""},
		{"mozilla", false, ""},
		{"", false, ""},
		{"5", false, ""},
		{".5", false, ""},
		{"5.", false, ""},
		{" 5.0", false, ""},
		{"5.0 ", false, ""},
		{"5.0\n\n", false, ""},
		{"+5.0", false, ""},
		{"5.0A1", false, ""},
		{"4.0A1", true, "4.0A1"},
		{"10.0esrpre", false, ""},
		{">=4.0", false, ""},
		{"<80.*", false, ""},
	}
	for _, tt := range tests {
		v, err := ParseMozillaVersion(tt.in)
		if tt.ok != (err == nil) {
			t.Errorf("ParseMozillaVersion(%q) error = %v, want ok=%v", tt.in, err, tt.ok)
			continue
		}
		if err != nil {
			var bad *BadInputError
			if !errors.As(err, &bad) || bad.Message != "Version number "+tt.in+" is invalid." {
				t.Errorf("ParseMozillaVersion(%q) error = %#v", tt.in, err)
			}
			continue
		}
		if got := v.String(); got != tt.canon {
			t.Errorf("ParseMozillaVersion(%q).String() = %q, want %q", tt.in, got, tt.canon)
		}
	}
}

func TestMozillaVersionCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"3.6", "3.6.0", 0},
		{"56.0", "56.0.0", 0},
		{"70.0a1", "70.0", -1},
		{"4.0b2", "4.0b1", 1},
		{"3.6.3plugin1", "3.6.3", -1},
		{"1.5.0.12", "1.5.0.4", 1},
		{"4.0beta2", "4.0b2", 0}, // only the tag's first letter counts
		{"4.0rc1", "4.0b9", 1},
		{"3.6.10", "3.6.9", 1},
		{"10.0", "9.0", 1},
		{"100.0", "99.99.99", 1},
		{"0.5", "0.5.0", 0},
		{"4.0", "4.0b1", 1},
		{"3.0", "4.0b1", -1},
		{"70.0a2", "70.0a10", -1},
		// glob on either side: numeric equality is a prefix test
		{"80.*", "80.5", 0},
		{"80.5", "80.*", 0},
		{"80.0a1", "80.*", -1},
		{"80.*", "79.0", 1},
		{"80.*", "81.0", -1},
		{"80.0.*", "80.0", 0},
		{"80.0.*", "80.*", 1},
	}
	for _, tt := range tests {
		a, b := mustMV(t, tt.a), mustMV(t, tt.b)
		if got := a.Compare(b); got != tt.want {
			t.Errorf("%s.Compare(%s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestMatchesGlob(t *testing.T) {
	tests := []struct {
		query, glob string
		want        bool
	}{
		{"80.0.0", "80.0.*", true},
		{"80.0", "80.0.*", true},
		{"80.0.1", "80.0.*", true},
		{"800.0.1", "80.0.*", false},
		{"80.1.90", "80.1.*", true},
		{"80.10.0", "80.1.*", false},
		{"80.1.0", "80.*", true},
		{"80.9.89", "80.*", true},
		{"80.0a1", "80.*", true},
		{"80.0a1", "80.0.*", false},
		{"89.89.0", "80.*", false},
		{"78.8.0", "78.8.*", true},
		{"78.8.1", "78.8.*", true},
		{"78.9.0", "78.8.*", false},
		{"99.8.1", "99.8.*", true},
		{"99.9.0", "99.8.*", false},
		{"67.0", "67.*", true},
		{"67.*", "67.*", true},
		{"66.0", "67.*", false},
	}
	for _, tt := range tests {
		q, g := mustMV(t, tt.query), mustMV(t, tt.glob)
		if !g.IsGlob() {
			t.Fatalf("%s is not a glob", tt.glob)
		}
		if got := g.MatchesGlob(q); got != tt.want {
			t.Errorf("glob %s matches %s = %v, want %v", tt.glob, tt.query, got, tt.want)
		}
	}
}

func TestLooseVersion(t *testing.T) {
	parse := func(s string) LooseVersion {
		v, err := ParseLooseVersion(s)
		if err != nil {
			t.Fatalf("ParseLooseVersion(%q): %v", s, err)
		}
		return v
	}
	for in, want := range map[string]string{
		"1.0.0.0": "1.0.0.0",
		"1.0b2":   "1.0.b.2",
		"2.1-RC1": "2.1.-RC.1",
		"007":     "7",
		"a..b":    "a.b",
	} {
		if got := parse(in).String(); got != want {
			t.Errorf("ParseLooseVersion(%q) = %q, want %q", in, got, want)
		}
	}
	tests := []struct {
		a, b    string
		want    int
		wantErr bool
	}{
		{"0.99.99.99", "1.0.0.0", -1, false},
		{"1.0.0.0", "1.0.10", -1, false},
		{"1.0", "1.0.0", -1, false},
		{"0.4.0.0", "0.5.0.0", -1, false},
		{"1.0.0.0", "1.0.0.0", 0, false},
		{"2.0", "1.0b", 1, false},
		{"1.0b2", "1.0b1", 1, false},
		{"1.0b", "1.0.1", 0, true},
		{"1.a", "1.a", 0, false},
	}
	for _, tt := range tests {
		got, err := parse(tt.a).Compare(parse(tt.b))
		if (err != nil) != tt.wantErr || (err == nil && got != tt.want) {
			t.Errorf("%s.Compare(%s) = %d, %v; want %d, err=%v", tt.a, tt.b, got, err, tt.want, tt.wantErr)
		}
	}
	if _, err := ParseLooseVersion(""); err == nil {
		t.Error("ParseLooseVersion(\"\") succeeded")
	}
}

func TestParsePin(t *testing.T) {
	tests := []struct {
		in, canon string
	}{
		{"102.", "102."},
		{"102.1.", "102.1."},
		{"02.", "2."},
		{"102.01.", "102.1."},
		{"66.\n", "66."},
		{"2", ""},
		{"2.0", ""},
		{"2.0.0.", ""},
		{"a.", ""},
		{"", ""},
		{".", ""},
		{"1..", ""},
	}
	for _, tt := range tests {
		p, err := ParsePin(tt.in)
		if tt.canon == "" {
			var bad *BadInputError
			if !errors.As(err, &bad) || bad.Message != "Version Pin String '"+tt.in+"' is invalid." {
				t.Errorf("ParsePin(%q) error = %v", tt.in, err)
			}
			continue
		}
		if err != nil || p.String() != tt.canon {
			t.Errorf("ParsePin(%q) = %q, %v; want %q", tt.in, p.String(), err, tt.canon)
		}
	}
	newer := []struct {
		release, pin string
		want         bool
	}{
		{"103.0", "102.", true},
		{"102.1.0", "102.", false},
		{"102.1.0", "102.0.", true},
		{"3.0", "2.", true},
		{"2.3", "2.", false},
		{"102.0a1", "101.", true},
		{"102.1", "102.1.", false},
		{"102.2", "102.1.", true},
		{"101.9", "102.1.", false},
	}
	for _, tt := range newer {
		p, err := ParsePin(tt.pin)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.IsNewer(mustMV(t, tt.release)); got != tt.want {
			t.Errorf("pin %s IsNewer(%s) = %v, want %v", tt.pin, tt.release, got, tt.want)
		}
	}
}

func TestFallbackChannel(t *testing.T) {
	for in, want := range map[string]string{
		"release-cck-mozillaonline": "release",
		"beta-cck-a-cck-b":          "beta",
		"release":                   "release",
		"-cck-x":                    "",
		"":                          "",
	} {
		if got := FallbackChannel(in); got != want {
			t.Errorf("FallbackChannel(%q) = %q, want %q", in, got, want)
		}
	}
}
