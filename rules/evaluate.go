package rules

import (
	"cmp"
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
)

// Decision is the outcome of rule evaluation (public.md §4.2 steps 1–8).
// Loading the release, should-serve, pins and superblob fan-out are left to
// the caller.
type Decision struct {
	// ShutOff is true when an emergency shutoff stopped the evaluation
	// (Rule is nil then).
	ShutOff bool
	// Rule is the selected rule, nil when none matched. It points into the
	// Index and must not be modified.
	Rule *Rule
	// Mapping names the release to serve; "" means serve nothing (no rule,
	// null or empty mapping, or throttled without fallback).
	Mapping string
	// Fallback reports that Mapping is the rule's fallbackMapping.
	Fallback bool
	// UpdateType is the selected rule's update_type ("" without a rule).
	UpdateType string
}

// RuleIDHeader is the Rule-ID header value: the rule id, or "unknown".
func (d Decision) RuleIDHeader() string {
	if d.Rule == nil {
		return "unknown"
	}
	return strconv.Itoa(d.Rule.RuleID)
}

// RuleDataVersionHeader is the Rule-Data-Version header value: the rule's
// data_version, or "unknown".
func (d Decision) RuleDataVersionHeader() string {
	if d.Rule == nil {
		return "unknown"
	}
	return strconv.Itoa(d.Rule.DataVersion)
}

// Evaluate runs steps 1–8 of §4.2 for q. dice returns a uniformly random
// integer in [0, 99] and is called at most once, only when a selected rule
// has a backgroundRate below 100 and q.Force is ForceNone; nil uses
// math/rand/v2. The error is a *BadInputError when a version matcher that a
// candidate rule reaches cannot parse the query version or its operand (400,
// Q2), or ErrLooseVersionMixed / ErrLooseVersionEmpty when a LooseVersion
// comparison fails (the reference answers 500).
func (ix *Index) Evaluate(q *Query, dice func() int) (Decision, error) {
	if ix == nil || q == nil {
		return Decision{}, errNilEvaluate
	}
	if ix.ShutOff(q.Product, q.Channel) {
		return Decision{ShutOff: true}, nil
	}
	fb := FallbackChannel(q.Channel)
	var arr [maxBuckets]*bucket
	bs := ix.all.buckets(arr[:0], q, fb)
	if len(bs) == 0 {
		// No rule of the query's product and channel: none can match,
		// and none reaches a matcher that could raise.
		return Decision{}, nil
	}
	qv := queryVersion{raw: q.Version, loose: UsesLooseVersion(q.Product)}
	var best *compiledRule
	var err error
	if qv.fastPath() {
		best, err = ix.firstMatch(bs, q, fb, &qv)
	} else {
		best, err = scanAll(bs, q, fb, &qv)
	}
	if err != nil || best == nil {
		return Decision{}, err
	}
	r := best.rule
	d := Decision{Rule: r, UpdateType: r.UpdateType}
	if r.Mapping == nil || *r.Mapping == "" {
		return d, nil
	}
	mapping := *r.Mapping
	if q.Force != ForceMain && best.rate < 100 {
		if q.Force == ForceFallback || roll(dice) >= best.rate {
			if r.FallbackMapping == nil || *r.FallbackMapping == "" {
				return d, nil
			}
			mapping, d.Fallback = *r.FallbackMapping, true
		}
	}
	d.Mapping = mapping
	return d, nil
}

// errNilEvaluate reports a programming error: Evaluate on a nil Index or
// with a nil Query.
var errNilEvaluate = errors.New("rules: Evaluate needs an Index and a Query")

func roll(dice func() int) int {
	if dice == nil {
		return rand.IntN(100)
	}
	return dice()
}

// maxBuckets bounds the buckets one ruleSet holds for a query: two product
// keys (the query's and null) × (null channel, channel, fallback channel,
// and two glob buckets).
const maxBuckets = 10

// buckets appends the buckets of s whose rules may match q's product and
// channel c or its fallback fb.
func (s *ruleSet) buckets(dst []*bucket, q *Query, fb string) []*bucket {
	if s == nil {
		return dst
	}
	if len(s.byProduct) > 0 {
		dst = s.byProduct[q.Product].buckets(dst, q.Channel, fb)
	}
	return s.anyProd.buckets(dst, q.Channel, fb)
}

// buckets appends the buckets of ci whose rules may match channel c or its
// fallback fb; ci may be nil.
func (ci *channelIndex) buckets(dst []*bucket, c, fb string) []*bucket {
	if ci == nil {
		return dst
	}
	add := func(b *bucket) {
		if b != nil {
			dst = append(dst, b)
		}
	}
	add(ci.any)
	if len(ci.exact) > 0 {
		add(ci.exact[c])
		if fb != c {
			add(ci.exact[fb])
		}
	}
	if len(ci.glob) > 0 {
		if len(c) >= 2 {
			add(ci.glob[c[:2]])
		}
		if len(fb) >= 2 && (len(c) < 2 || fb[:2] != c[:2]) {
			add(ci.glob[fb[:2]])
		}
	}
	return dst
}

// fastPath reports whether only the raisers of the query's version class
// can raise a version error: the query version parses, and a LooseVersion
// has integers only. Then every other rule fails or matches without error,
// and firstMatch may skip rules that cannot match.
func (qv *queryVersion) fastPath() bool {
	return qv.parse() == nil && (!qv.loose || qv.lv.numeric())
}

// firstMatch evaluates a query whose version passes fastPath against the
// buckets of its product and channel (of Index.all). The raisers
// are evaluated first in rule_id order (the reference raises the first
// error in that order); then the rules that can match, of each bucket
// either all or, when it is split, the open ones and those filed under the
// query's value of each partition, are merged by rank and the first that
// matches is the selected one.
func (ix *Index) firstMatch(buckets []*bucket, q *Query, fb string, qv *queryVersion) (*compiledRule, error) {
	raisers := &ix.mozRaisers
	if qv.loose {
		raisers = &ix.looseRaisers
	}
	var arr [maxBuckets]*bucket
	if bs := raisers.buckets(arr[:0], q, fb); len(bs) > 0 {
		if err := raiseFirst(bs, q, fb, qv); err != nil {
			return nil, err
		}
	}
	var larr [2 * maxBuckets][]*compiledRule
	lists := larr[:0]
	for _, b := range buckets {
		if !b.split {
			lists = append(lists, b.rules)
			continue
		}
		lists = append(lists, b.open)
		for i, m := range b.parts {
			if len(m) > 0 {
				lists = append(lists, m[partitions[i].value(q)])
			}
		}
	}
	for {
		li := -1
		for i, l := range lists {
			if len(l) > 0 && (li < 0 || ranksBefore(l[0], lists[li][0])) {
				li = i
			}
		}
		if li < 0 {
			return nil, nil
		}
		cr := lists[li][0]
		lists[li] = lists[li][1:]
		ok, err := cr.matches(q, fb, qv)
		if err != nil {
			return nil, err
		}
		if ok {
			return cr, nil
		}
	}
}

// raiseFirst evaluates the raisers of buckets bs in rule_id order and
// returns the first error.
func raiseFirst(bs []*bucket, q *Query, fb string, qv *queryVersion) error {
	var arr [16]*compiledRule
	rs := arr[:0]
	for _, b := range bs {
		rs = append(rs, b.rules...)
	}
	sortBySeq(rs)
	for _, cr := range rs {
		if _, err := cr.matches(q, fb, qv); err != nil {
			return err
		}
	}
	return nil
}

// scanAll evaluates every candidate in rule_id order, exactly as the
// reference does; it is used when version comparisons can fail for any rule
// (a query version that does not parse, or a LooseVersion with text).
func scanAll(buckets []*bucket, q *Query, fb string, qv *queryVersion) (*compiledRule, error) {
	var arr [64]*compiledRule
	cands := arr[:0]
	for _, b := range buckets {
		cands = append(cands, b.rules...)
	}
	sortBySeq(cands)
	var best *compiledRule
	for _, cr := range cands {
		ok, err := cr.matches(q, fb, qv)
		if err != nil {
			return nil, err
		}
		if ok && (best == nil || ranksBefore(cr, best)) {
			best = cr
		}
	}
	return best, nil
}

// sortBySeq sorts rules by ascending rule_id order.
func sortBySeq(rs []*compiledRule) {
	slices.SortFunc(rs, func(a, b *compiledRule) int { return cmp.Compare(a.seq, b.seq) })
}

// matches applies the storage-layer filter and then the matchers of §4.2
// step 3 in the reference's order, stopping at the first failure.
func (cr *compiledRule) matches(q *Query, fb string, qv *queryVersion) (bool, error) {
	col, err := cr.mismatch(q, fb, qv)
	return col == colNone && err == nil, err
}

// mismatch is matches reporting the first column that failed (colNone when
// the rule matches); Explain turns it into a reason.
func (cr *compiledRule) mismatch(q *Query, fb string, qv *queryVersion) (column, error) {
	r := cr.rule
	if r.BuildTarget != nil && *r.BuildTarget != q.BuildTarget {
		return colBuildTarget, nil
	}
	if r.HeaderArchitecture != nil && (q.HeaderArchitecture == "" || *r.HeaderArchitecture != q.HeaderArchitecture) {
		return colHeaderArchitecture, nil
	}
	if r.DistVersion != nil && (q.DistVersion == nil || *r.DistVersion != *q.DistVersion) {
		return colDistVersion, nil
	}
	switch cr.chanKind {
	case chanExact:
		if cr.chanValue != q.Channel && cr.chanValue != fb {
			return colChannel, nil
		}
	case chanGlob:
		if !globMatch(cr.chanValue, q.Channel) && !globMatch(cr.chanValue, fb) {
			return colChannel, nil
		}
	case chanNever:
		return colChannel, nil
	}
	if cr.hasVersion {
		if ok, err := matchVersion(cr.version, qv); !ok || err != nil {
			return colVersion, err
		}
	}
	if cr.hasBuildID && !stringCompare(strOr(q.BuildID), cr.buildIDOp, cr.buildIDArg) {
		return colBuildID, nil
	}
	if cr.memory != nil && !cr.memory.match(q.Memory) {
		return colMemory, nil
	}
	if cr.hasOSVer && !matchOSVersion(cr.osVersion, strOr(q.OSVersion)) {
		return colOSVersion, nil
	}
	if cr.hasInstr {
		// On U6 a null instructionSet is present and equals no piece;
		// elsewhere the field is absent and defaults to "".
		v, null := strOr(q.InstructionSet), q.HasSystemCapabilities && q.InstructionSet == nil
		if null || !matchCSV(cr.instrSet, v) {
			return colInstructionSet, nil
		}
	}
	if cr.hasDistrib && !matchCSV(cr.distrib, strOr(q.Distribution)) {
		return colDistribution, nil
	}
	if cr.hasLocale && !matchCSV(cr.locale, strOr(q.Locale)) {
		return colLocale, nil
	}
	if !matchBool(r.Mig64, q.Mig64) {
		return colMig64, nil
	}
	if !matchBool(r.Jaws, q.Jaws) {
		return colJaws, nil
	}
	return colNone, nil
}

// strOr returns *p, or "" (the matchers' default) when p is nil.
func strOr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
