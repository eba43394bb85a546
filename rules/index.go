package rules

import (
	"cmp"
	"slices"
	"strings"
)

// compiledRule is a rule with its matchers prepared for evaluation.
type compiledRule struct {
	rule *Rule
	// seq is the rule's position in ascending rule_id order; candidates are
	// evaluated in this order, as the reference's database returns them.
	seq int

	hasPriority bool
	priority    int
	rate        int  // backgroundRate, null → 100 (Q10)
	mayRaise    bool // a version operand does not parse as MozillaVersion

	chanKind   channelKind
	chanValue  string // exact value, or glob prefix without '*'
	version    []versionPiece
	buildIDOp  cmpOp
	buildIDArg string
	memory     *memoryMatcher
	osVersion  [][]string
	instrSet   []string
	distrib    []string
	locale     []string
	hasInstr   bool
	hasDistrib bool
	hasLocale  bool
	hasBuildID bool
	hasVersion bool
	hasOSVer   bool
}

// bucket groups the rules of one product key that share a channel key
// (one exact channel, one glob prefix start, or the null channel).
type bucket struct {
	// rules is sorted by rank: priority descending (null last), then
	// rule_id ascending, so the first matching rule is the selected one.
	rules []*compiledRule
	// raisers lists, in rule_id order, the rules that can raise a version
	// error for a valid MozillaVersion query version (an operand that does
	// not parse).
	raisers []*compiledRule
}

// channelIndex holds the rules of one product (or of the null product),
// bucketed by how their channel matches.
type channelIndex struct {
	exact map[string]*bucket // by exact channel value
	glob  map[string]*bucket // by the first two bytes of the glob prefix
	any   *bucket            // null channel
}

// pinKey identifies a pinnable_releases row.
type pinKey struct{ product, channel, version string }

// shutoffKey identifies an emergency_shutoffs row.
type shutoffKey struct{ product, channel string }

// Index is an immutable, concurrency-safe view of the rules, emergency
// shutoffs and pins, indexed by product and channel so that evaluating a
// query only looks at rules that can match its product and channel.
type Index struct {
	rules []Rule
	// compiled holds every rule compiled, in rules' order (also those no
	// bucket holds); Explain walks it.
	compiled  []*compiledRule
	byProduct map[string]*channelIndex
	anyProd   *channelIndex
	shutoffs  map[shutoffKey]*Shutoff
	pins      map[pinKey]*Pin
}

// NewIndex builds an Index. The slices are copied (shallowly: the values
// that Rule's pointer fields point to must not be modified afterwards). Rules with a channel glob shorter than three characters are dropped
// (they never match, Q11).
func NewIndex(rules []Rule, shutoffs []Shutoff, pins []Pin) *Index {
	ix := &Index{
		rules:     append([]Rule(nil), rules...),
		compiled:  make([]*compiledRule, len(rules)),
		byProduct: make(map[string]*channelIndex),
		shutoffs:  make(map[shutoffKey]*Shutoff, len(shutoffs)),
		pins:      make(map[pinKey]*Pin, len(pins)),
	}
	slices.SortStableFunc(ix.rules, func(a, b Rule) int { return cmp.Compare(a.RuleID, b.RuleID) })
	for i := range ix.rules {
		cr := compileRule(&ix.rules[i], i)
		ix.compiled[i] = cr
		if cr.chanKind == chanNever {
			continue
		}
		var ci *channelIndex
		if p := ix.rules[i].Product; p != nil {
			ci = ix.byProduct[*p]
			if ci == nil {
				ci = &channelIndex{}
				ix.byProduct[*p] = ci
			}
		} else {
			if ix.anyProd == nil {
				ix.anyProd = &channelIndex{}
			}
			ci = ix.anyProd
		}
		ci.add(cr)
	}
	for _, ci := range ix.byProduct {
		ci.sortRanks()
	}
	if ix.anyProd != nil {
		ix.anyProd.sortRanks()
	}
	for i := range shutoffs {
		s := shutoffs[i]
		ix.shutoffs[shutoffKey{s.Product, s.Channel}] = &s
	}
	for i := range pins {
		p := pins[i]
		ix.pins[pinKey{p.Product, p.Channel, p.Version}] = &p
	}
	return ix
}

func (ci *channelIndex) add(cr *compiledRule) {
	var b *bucket
	switch cr.chanKind {
	case chanAny:
		if ci.any == nil {
			ci.any = &bucket{}
		}
		b = ci.any
	case chanExact:
		b = bucketOf(&ci.exact, cr.chanValue)
	case chanGlob:
		b = bucketOf(&ci.glob, cr.chanValue[:2])
	default:
		return
	}
	b.rules = append(b.rules, cr)
	if cr.mayRaise {
		b.raisers = append(b.raisers, cr)
	}
}

// bucketOf returns the bucket of key k in *m, creating both as needed.
func bucketOf(m *map[string]*bucket, k string) *bucket {
	if *m == nil {
		*m = make(map[string]*bucket)
	}
	b := (*m)[k]
	if b == nil {
		b = &bucket{}
		(*m)[k] = b
	}
	return b
}

// sortRanks orders every bucket of ci by rank.
func (ci *channelIndex) sortRanks() {
	sortBucket := func(b *bucket) {
		if b != nil {
			slices.SortStableFunc(b.rules, func(x, y *compiledRule) int {
				if ranksBefore(x, y) {
					return -1
				}
				if ranksBefore(y, x) {
					return 1
				}
				return 0
			})
		}
	}
	sortBucket(ci.any)
	for _, b := range ci.exact {
		sortBucket(b)
	}
	for _, b := range ci.glob {
		sortBucket(b)
	}
}

// ranksBefore reports whether a is preferred to b: higher priority first,
// a null priority last, and the smaller rule_id among equals (§4.2 step 5,
// Q10).
func ranksBefore(a, b *compiledRule) bool {
	switch {
	case a.hasPriority != b.hasPriority:
		return a.hasPriority
	case a.hasPriority && a.priority != b.priority:
		return a.priority > b.priority
	}
	return a.seq < b.seq
}

func compileRule(r *Rule, seq int) *compiledRule {
	cr := &compiledRule{rule: r, seq: seq, rate: 100}
	if r.Priority != nil {
		cr.hasPriority, cr.priority = true, *r.Priority
	}
	if r.BackgroundRate != nil {
		cr.rate = *r.BackgroundRate
	}
	if c := r.Channel; c != nil {
		switch {
		case !strings.HasSuffix(*c, "*"):
			cr.chanKind, cr.chanValue = chanExact, *c
		case len(*c) < 3:
			cr.chanKind = chanNever
		default:
			cr.chanKind, cr.chanValue = chanGlob, (*c)[:len(*c)-1]
		}
	}
	if r.Version != nil {
		cr.hasVersion, cr.version = true, compileVersion(*r.Version)
		for _, p := range cr.version {
			if p.op != opInvalid && p.mozErr != nil {
				cr.mayRaise = true
			}
		}
	}
	if r.BuildID != nil {
		cr.hasBuildID = true
		cr.buildIDOp, cr.buildIDArg = getOp(*r.BuildID)
	}
	if r.Memory != nil {
		m := compileMemory(*r.Memory)
		cr.memory = &m
	}
	if r.OSVersion != nil {
		cr.hasOSVer, cr.osVersion = true, compileOSVersion(*r.OSVersion)
	}
	if r.InstructionSet != nil {
		cr.hasInstr, cr.instrSet = true, strings.Split(*r.InstructionSet, ",")
	}
	if r.Distribution != nil {
		cr.hasDistrib, cr.distrib = true, strings.Split(*r.Distribution, ",")
	}
	if r.Locale != nil {
		cr.hasLocale, cr.locale = true, strings.Split(*r.Locale, ",")
	}
	return cr
}

// Rules returns the indexed rules in ascending rule_id order. The slice is
// shared and must not be modified.
func (ix *Index) Rules() []Rule { return ix.rules }

// ShutOff reports whether updates for product on channel are switched off:
// a shutoff row exists for the channel or for its fallback channel (§4.2
// step 1, Q23).
func (ix *Index) ShutOff(product, channel string) bool {
	return ix.shutoffRow(product, channel) != nil
}

// shutoffRow returns the shutoff row that switches product on channel off:
// the channel's own, else its fallback channel's; nil when none.
func (ix *Index) shutoffRow(product, channel string) *Shutoff {
	if s, ok := ix.shutoffs[shutoffKey{product, channel}]; ok {
		return s
	}
	return ix.shutoffs[shutoffKey{product, FallbackChannel(channel)}]
}

// LookupPin finds the pinnable release for a query's product and channel
// and a parsed pin: the row (product, FallbackChannel(channel),
// pin.String()) (§4.2 step 11).
func (ix *Index) LookupPin(product, channel string, pin PinVersion) (Pin, bool) {
	p, ok := ix.pins[pinKey{product, FallbackChannel(channel), pin.String()}]
	if !ok {
		return Pin{}, false
	}
	return *p, true
}
