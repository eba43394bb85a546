package rules

import (
	"strconv"
	"strings"
)

// queryStore backs every pointer field of a Query, so that building a query
// costs a single allocation.
type queryStore struct {
	q Query

	buildID, locale, osVersion, distribution, distVersion string
	instructionSet, pin, platformVersion, imei            string
	memory, avast                                         int
	jaws, mig64                                           bool
}

// buildXMLQuery applies §3.1 to the segments of a matched XML route (segs
// includes "update", the query version and "update.xml").
func buildXMLQuery(r *routeSpec, segs []string, p *queryParams, userAgent string) *Query {
	st := &queryStore{}
	q := &st.q
	q.Route = RouteXML
	q.QueryVersion = extractQueryVersion(segs, r.version)
	var sysCaps string
	for i, f := range r.fields {
		v := segs[2+i]
		if f == fSysCaps {
			sysCaps = v // parsed from the original, unfolded value
			continue
		}
		if f == fVersion && r == &routeU3e {
			v = v[:len(v)-len("esrpre")]
		}
		st.assign(f, foldASCII(v))
	}
	if q.QueryVersion == 1 {
		st.osVersion = ""
		q.OSVersion = &st.osVersion
	}

	// Step 3: the avast fix-up of force.
	force := foldASCII(p.force)
	var fixKey string
	var fixVal int64
	hasFix := false
	if p.has&pForce != 0 && strings.Contains(force, "avast") {
		before, after, found := strings.Cut(force, "?")
		if !found {
			before, after, found = strings.Cut(force, "%3F")
		}
		if found {
			force = before
			if key, rest, hasEq := strings.Cut(after, "="); hasEq {
				val, _, _ := strings.Cut(rest, "=")
				fixKey = key
				fixVal, hasFix = parsePyInt(val)
			}
		}
	}
	// Step 4: the avast fix-up of locale.
	if q.Locale != nil && strings.Contains(st.locale, "x86 ") {
		st.locale = strings.ReplaceAll(st.locale, "x86 ", "")
	}
	// Step 5: system capabilities.
	if r == &routeU6 {
		q.HasSystemCapabilities = true
		st.parseSysCaps(sysCaps)
	}
	// Step 6: headerArchitecture.
	q.HeaderArchitecture = "Intel"
	if strings.HasPrefix(q.BuildTarget, "Darwin") && strings.Contains(userAgent, "PPC") {
		q.HeaderArchitecture = "PPC"
	}
	// Steps 7–9.
	q.Force = forceOf(force, p.has&pForce != 0)
	if p.has&pMig64 != 0 {
		st.mig64 = foldASCII(p.mig64) == "1"
		q.Mig64 = &st.mig64
	}
	if p.has&pPin != 0 {
		st.pin = foldASCII(p.pin)
		q.Pin = &st.pin
	}
	if p.has&pAvast != 0 {
		if n, ok := parsePyInt(foldASCII(p.avast)); ok {
			st.avast = int(n)
			q.Avast = &st.avast
		}
	}
	if hasFix {
		st.applyAvastFix(fixKey, fixVal, r == &routeU6)
	}
	return q
}

// applyAvastFix stores the integer that the avast fix-up assigns to the
// query field named key. The reference stores a Python int under any key;
// the keys whose effect is well defined are modelled, the others (which
// mostly crash the reference) are ignored.
func (st *queryStore) applyAvastFix(key string, n int64, u6 bool) {
	q := &st.q
	switch key {
	case "avast":
		st.avast = int(n)
		q.Avast = &st.avast
	case "force":
		q.Force = ForceNone // an int never equals "1" or "-1"
	case "mig64":
		st.mig64 = false // an int is not "1"
		q.Mig64 = &st.mig64
	case "memory":
		if !u6 { // U6 overwrites it with the capabilities
			st.memory = int(n)
			q.Memory = &st.memory
		}
	case "jaws":
		if !u6 {
			q.Jaws = nil
			if n == 0 || n == 1 { // Python: True == 1, False == 0
				st.jaws = n == 1
				q.Jaws = &st.jaws
			}
		}
	case "distVersion":
		if q.DistVersion != nil { // SQL compares the int as text
			st.distVersion = strconv.FormatInt(n, 10)
		}
	}
}

// assign stores a path field.
func (st *queryStore) assign(f field, v string) {
	q := &st.q
	switch f {
	case fProduct:
		q.Product = v
	case fVersion:
		q.Version = v
	case fBuildID:
		st.buildID = v
		q.BuildID = &st.buildID
	case fBuildTarget:
		q.BuildTarget = v
	case fLocale:
		st.locale = v
		q.Locale = &st.locale
	case fChannel:
		q.Channel = v
	case fOSVersion:
		st.osVersion = v
		q.OSVersion = &st.osVersion
	case fDistribution:
		st.distribution = v
		q.Distribution = &st.distribution
	case fDistVersion:
		st.distVersion = v
		q.DistVersion = &st.distVersion
	case fPlatformVersion:
		st.platformVersion = v
		q.PlatformVersion = &st.platformVersion
	case fIMEI:
		st.imei = v
		q.IMEI = &st.imei
	}
}

// parseSysCaps derives instructionSet, memory and jaws from a U6
// systemCapabilities value (§3.1 step 5).
func (st *queryStore) parseSysCaps(s string) {
	q := &st.q
	if !strings.HasPrefix(s, "ISET:") {
		first, rest, two := strings.Cut(s, ",")
		if two && strings.IndexByte(rest, ',') >= 0 {
			return // three or more pieces: unparsable
		}
		st.instructionSet = first
		q.InstructionSet = &st.instructionSet
		if two {
			if n, ok := parsePyInt(rest); ok {
				st.memory = int(n)
				q.Memory = &st.memory
			}
		}
		return
	}
	for rest := s; ; {
		piece, more, found := strings.Cut(rest, ",")
		if key, value, ok := strings.Cut(piece, ":"); ok {
			switch key {
			case "ISET":
				st.instructionSet = value
				q.InstructionSet = &st.instructionSet
			case "MEM":
				q.Memory = nil
				if n, ok := parsePyInt(value); ok {
					st.memory = int(n)
					q.Memory = &st.memory
				}
			case "JAWS":
				q.Jaws = nil
				if n, ok := parsePyInt(value); ok {
					st.jaws = n != 0
					q.Jaws = &st.jaws
				}
			}
		}
		if !found {
			return
		}
		rest = more
	}
}

// extractQueryVersion reproduces the reference's regular expression
// `^.*/update/(\d+)/.*\.xml.*$` over the request URL: the last "update"
// segment followed by an all-digit segment that is not the final one wins;
// it is the route's number except for paths such as
// /update/3/update/1/… (product "update", version "1").
func extractQueryVersion(segs []string, routeVersion int) int {
	for i := len(segs) - 3; i >= 0; i-- {
		if segs[i] != "update" || segs[i+1] == "" {
			continue
		}
		if end, _ := scanDigits(segs[i+1], 0); end == len(segs[i+1]) {
			n, _ := parsePyInt(segs[i+1])
			return int(n)
		}
	}
	return routeVersion
}

// buildJSONQuery applies §3.2: the path fields and force only, no folding.
func buildJSONQuery(r *routeSpec, fields []string, p *queryParams) *Query {
	st := &queryStore{}
	q := &st.q
	q.Route = RouteJSON
	q.QueryVersion = r.version
	for i, f := range r.fields {
		st.assign(f, fields[i])
	}
	q.Force = forceOf(p.force, p.has&pForce != 0)
	return q
}
