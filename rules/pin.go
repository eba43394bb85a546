package rules

// PinVersion is a parsed enterprise version pin (public.md §5.5): "102."
// pins a major version, "102.1." a major and minor version.
type PinVersion struct {
	major, minor string // canonical decimal strings
	hasMinor     bool
}

// ParsePin parses s, which must match `^(\d+)\.((\d+)\.)?$`. The error is a
// *BadInputError "Version Pin String '<s>' is invalid.".
func ParsePin(s string) (PinVersion, error) {
	var p PinVersion
	t := stripFinalNewline(s)
	var ok bool
	i := 0
	if p.major, i, ok = readNum(t, 0); ok && i < len(t) && t[i] == '.' {
		i++
		if i == len(t) {
			return p, nil
		}
		if p.minor, i, ok = readNum(t, i); ok && i == len(t)-1 && t[i] == '.' {
			p.hasMinor = true
			return p, nil
		}
	}
	return PinVersion{}, &BadInputError{Message: "Version Pin String '" + s + "' is invalid."}
}

// String returns the canonical pin: each integer followed by a dot ("02." →
// "2.", "102.01." → "102.1."). The pin table is keyed by this form.
func (p PinVersion) String() string {
	if p.major == "" {
		return ""
	}
	if p.hasMinor {
		return p.major + "." + p.minor + "."
	}
	return p.major + "."
}

// IsNewer reports whether the release version v is newer than the pin: the
// first one or two numeric parts of v, pre-release ignored, are greater than
// the pin's. A glob v is never newer (the reference cannot compare it).
func (p PinVersion) IsNewer(v MozillaVersion) bool {
	if v.glob != "" || v.n < 2 || p.major == "" {
		return false
	}
	if c := cmpNum(v.nums[0], p.major); c != 0 || !p.hasMinor {
		return c > 0
	}
	return cmpNum(v.nums[1], p.minor) > 0
}
