package rules

import (
	"sort"
	"strings"
)

// queryParams holds the declared query parameters of an update route after
// werkzeug-style decoding; the last occurrence of a repeated parameter wins
// (public.md §2.2).
type queryParams struct {
	avast, force, mig64, pin string
	has                      uint8 // pAvast | pForce | pMig64 | pPin
}

// paramBit returns the bit of a declared parameter name, 0 for any other.
func paramBit(name string) uint8 {
	switch name {
	case "avast":
		return pAvast
	case "force":
		return pForce
	case "mig64":
		return pMig64
	case "pin":
		return pPin
	}
	return 0
}

// parse splits rawQuery on '&' (empty pairs are skipped, a pair without '='
// has the empty value), decodes names and values, and validates them against
// the allowed parameters: any other name, or an empty pin, is a
// *QueryValidationError.
func (p *queryParams) parse(rawQuery string, allowed uint8) error {
	var extra []string
	for rest := rawQuery; rest != ""; {
		var pair string
		if i := strings.IndexByte(rest, '&'); i >= 0 {
			pair, rest = rest[:i], rest[i+1:]
		} else {
			pair, rest = rest, ""
		}
		if pair == "" {
			continue
		}
		rawName, rawValue, _ := strings.Cut(pair, "=")
		name := unquotePlus(rawName)
		bit := paramBit(name) & allowed
		if bit == 0 {
			extra = append(extra, name)
			continue
		}
		value := unquotePlus(rawValue)
		p.has |= bit
		switch bit {
		case pAvast:
			p.avast = value
		case pForce:
			p.force = value
		case pMig64:
			p.mig64 = value
		case pPin:
			p.pin = value
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		extra = dedupSorted(extra)
		return &QueryValidationError{Detail: "Extra query parameter(s) " + strings.Join(extra, ", ") + " not in spec"}
	}
	if p.has&pPin != 0 && p.pin == "" {
		return &QueryValidationError{Detail: "'' is too short"}
	}
	return nil
}

func dedupSorted(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// forceOf maps the (fixed-up) force value: "1" → ForceMain, "-1" →
// ForceFallback, anything else → ForceNone (§3.1 step 7).
func forceOf(v string, present bool) Force {
	if !present {
		return ForceNone
	}
	switch v {
	case "1":
		return ForceMain
	case "-1":
		return ForceFallback
	}
	return ForceNone
}
