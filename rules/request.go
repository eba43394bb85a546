package rules

import (
	"strings"
)

// MatchKind classifies a request path for the update service (public.md
// §2.1).
type MatchKind int8

const (
	// NotUpdatePath means the path is no update route and does not start
	// with "/update": the HTTP layer serves its other routes or 404 (E2).
	NotUpdatePath MatchKind = iota
	// OtherUpdatePath means the decoded path starts with "/update" but
	// matches no update route: 200 with the empty update document (E1) and
	// no Rule-ID headers. Query parameters are not validated.
	OtherUpdatePath
	// UpdateRoute means one of U1–U6, U3e, J1, J2 matched; Match.Query is
	// set unless query validation failed.
	UpdateRoute
	// RedirectSlashes means the path matches an update route only after
	// runs of '/' are merged; the reference (werkzeug) answers 308 with a
	// Location built from Match.Path. The conformance corpus does not
	// cover it.
	RedirectSlashes
)

// Match is the result of ParseUpdateRequest.
type Match struct {
	Kind MatchKind
	// Path is the decoded path the reference routes on (for
	// RedirectSlashes: the path with merged slashes).
	Path string
	// RouteName is "U1"…"U6", "U3e", "J1" or "J2" for UpdateRoute.
	RouteName string
	// Query is the update query for UpdateRoute when err is nil.
	Query *Query
}

// QueryValidationError is a strict query-string validation failure
// (undeclared parameter, empty pin): HTTP 400 application/problem+json (E4).
type QueryValidationError struct {
	Detail string
}

func (e *QueryValidationError) Error() string { return e.Detail }

// field names one path segment of a route template.
type field int8

const (
	fProduct field = iota
	fVersion
	fBuildID
	fBuildTarget
	fLocale
	fChannel
	fOSVersion
	fSysCaps
	fDistribution
	fDistVersion
	fPlatformVersion
	fIMEI
)

// Allowed query parameters, as bits.
const (
	pAvast = 1 << iota
	pForce
	pMig64
	pPin
)

// routeSpec is one update route of the table in §2.1.
type routeSpec struct {
	name    string
	route   Route
	version int
	fields  []field
	allowed uint8
}

var (
	base6     = []field{fProduct, fVersion, fBuildID, fBuildTarget, fLocale, fChannel}
	routeU1   = routeSpec{"U1", RouteXML, 1, base6, pAvast | pForce | pMig64 | pPin}
	routeU2   = routeSpec{"U2", RouteXML, 2, append(base6[:6:6], fOSVersion), pAvast | pForce | pMig64}
	routeU3   = routeSpec{"U3", RouteXML, 3, append(base6[:6:6], fOSVersion, fDistribution, fDistVersion), pAvast | pForce | pMig64 | pPin}
	routeU3e  = routeSpec{"U3e", RouteXML, 3, routeU3.fields, routeU3.allowed}
	routeU4   = routeSpec{"U4", RouteXML, 4, append(base6[:6:6], fOSVersion, fDistribution, fDistVersion, fPlatformVersion), pAvast | pForce | pMig64 | pPin}
	routeU5   = routeSpec{"U5", RouteXML, 5, append(base6[:6:6], fOSVersion, fDistribution, fDistVersion, fIMEI), pAvast | pForce | pMig64 | pPin}
	routeU6   = routeSpec{"U6", RouteXML, 6, append(base6[:6:6], fOSVersion, fSysCaps, fDistribution, fDistVersion), pAvast | pForce | pMig64 | pPin}
	routeJ1   = routeSpec{"J1", RouteJSON, 1, []field{fProduct, fVersion, fBuildTarget, fChannel}, pForce}
	routeJ2   = routeSpec{"J2", RouteJSON, 2, []field{fProduct, fVersion, fBuildTarget, fChannel, fOSVersion}, pForce}
	xmlRoutes = [...]*routeSpec{1: &routeU1, 2: &routeU2, 3: &routeU3, 4: &routeU4, 5: &routeU5, 6: &routeU6}
)

// maxSegments bounds the segments of the longest route: update, 6, eleven
// fields, update.xml.
const maxSegments = 14

// splitSegments splits a path that starts with '/' into its segments
// without allocating; ok is false when there are more than maxSegments.
func splitSegments(path string, segs *[maxSegments]string) (n int, ok bool) {
	if path == "" || path[0] != '/' {
		return 0, false
	}
	rest := path[1:]
	for {
		if n == maxSegments {
			return 0, false
		}
		i := strings.IndexByte(rest, '/')
		if i < 0 {
			segs[n] = rest
			return n + 1, true
		}
		segs[n] = rest[:i]
		n++
		rest = rest[i+1:]
	}
}

// matchRoute finds the update route of the segments, if any.
func matchRoute(segs []string) *routeSpec {
	if len(segs) < 3 {
		return nil
	}
	var r *routeSpec
	var last string
	switch segs[0] {
	case "update":
		if len(segs[1]) != 1 || segs[1][0] < '1' || segs[1][0] > '6' {
			return nil
		}
		r, last = xmlRoutes[segs[1][0]-'0'], "update.xml"
		if r == &routeU3 && len(segs) > 3 && strings.HasSuffix(segs[3], "esrpre") && len(segs[3]) > len("esrpre") {
			r = &routeU3e
		}
	case "json":
		switch segs[1] {
		case "1":
			r = &routeJ1
		case "2":
			r = &routeJ2
		default:
			return nil
		}
		last = "update.json"
	default:
		return nil
	}
	if len(segs) != len(r.fields)+3 || segs[len(segs)-1] != last {
		return nil
	}
	for _, s := range segs[2 : len(segs)-1] {
		if s == "" {
			return nil
		}
	}
	return r
}

// ParseUpdateRequest classifies a request and, for an update route, builds
// its update query (public.md §2.1–§3). rawPath is the request path exactly
// as received (still percent-encoded, without the query string), rawQuery
// the raw query string without '?', userAgent the User-Agent header ("" when
// absent). The error is a *QueryValidationError for strict query validation
// failures; Match.Kind is UpdateRoute then.
func ParseUpdateRequest(rawPath, rawQuery, userAgent string) (Match, error) {
	path := routingPath(pyDecodeReplace(DecodePath(rawPath)))
	var arr [maxSegments]string
	n, ok := splitSegments(path, &arr)
	var r *routeSpec
	if ok {
		r = matchRoute(arr[:n])
	}
	if r == nil {
		return classifyUnmatched(path), nil
	}
	m := Match{Kind: UpdateRoute, Path: path, RouteName: r.name}
	var p queryParams
	if err := p.parse(rawQuery, r.allowed); err != nil {
		return m, err
	}
	segs := arr[2 : n-1]
	if r.route == RouteJSON {
		m.Query = buildJSONQuery(r, segs, &p)
	} else {
		m.Query = buildXMLQuery(r, arr[:n], &p, userAgent)
	}
	return m, nil
}

// classifyUnmatched decides between the "/update…" fallback, a redirect to
// the slash-merged path and an unknown path.
func classifyUnmatched(path string) Match {
	if strings.Contains(path, "//") {
		merged := mergeSlashes(path)
		var arr [maxSegments]string
		if n, ok := splitSegments(merged, &arr); ok && matchRoute(arr[:n]) != nil {
			return Match{Kind: RedirectSlashes, Path: merged}
		}
	}
	if strings.HasPrefix(path, "/update") {
		return Match{Kind: OtherUpdatePath, Path: path}
	}
	return Match{Kind: NotUpdatePath, Path: path}
}

// routingPath is werkzeug's view of the decoded path: leading slashes
// collapse into one.
func routingPath(path string) string {
	if len(path) > 1 && path[0] == '/' && path[1] != '/' {
		return path
	}
	return "/" + strings.TrimLeft(path, "/")
}

// mergeSlashes is werkzeug's re.sub("/{2,}?", "/", path): every
// non-overlapping pair of slashes becomes one ("///" → "//").
func mergeSlashes(path string) string {
	var b strings.Builder
	b.Grow(len(path))
	for i := 0; i < len(path); i++ {
		if path[i] == '/' && i+1 < len(path) && path[i+1] == '/' {
			i++
		}
		b.WriteByte(path[i])
	}
	return b.String()
}
