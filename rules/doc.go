// Package rules turns update requests into update queries and decides which
// rule, and which release mapping, answers them. It reproduces the public
// Balrog service byte for byte (public.md §2–§5): pure Go, no I/O.
//
// The parts, one per file:
//
//   - request.go, queryparams.go, querybuild.go, urldecode.go:
//     ParseUpdateRequest classifies a raw request path (update route,
//     unknown "/update…" path, redirect, or not ours), validates the query
//     string strictly and builds the Query with the reference's decoding,
//     ASCII folding and fix-ups.
//   - version.go, loose.go, pin.go, numeric.go: MozillaVersion (with glob
//     versions), LooseVersion (Guardian, FirefoxVPN) and PinVersion, with
//     the reference's parsing and ordering.
//   - operators.go, matchers.go: the column matchers of §4.4, compiled once.
//   - index.go, evaluate.go: Index, an immutable view of rules, emergency
//     shutoffs and pins, indexed by product and channel and by the
//     distribution, build target or locale a rule requires; Evaluate runs
//     §4.2 steps 1–8.
//
// Typical use by the HTTP layer:
//
//	rawPath, rawQuery, _ := strings.Cut(r.RequestURI, "?")
//	m, err := rules.ParseUpdateRequest(rawPath, rawQuery, r.Header.Get("User-Agent"))
//	// m.Kind: UpdateRoute, OtherUpdatePath (E1 without Rule-ID),
//	// RedirectSlashes (308) or NotUpdatePath (other routes / 404);
//	// err: *QueryValidationError (400 problem+json).
//	d, err := ix.Evaluate(m.Query, nil)
//	// err: *BadInputError (400 text/plain) or another error (500);
//	// d.Mapping "" means no release; headers from d.RuleIDHeader() and
//	// d.RuleDataVersionHeader().
//
// Loading the release, should-serve, pin resolution (ParsePin,
// Index.LookupPin) and superblob fan-out (copy the Query, change Product,
// Evaluate again) are the caller's.
package rules
