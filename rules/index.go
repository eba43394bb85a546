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
	rate        int // backgroundRate, null → 100 (Q10)
	// mozRaise: a version operand does not parse as a MozillaVersion;
	// looseRaise: one does not parse as a LooseVersion or has text.
	mozRaise, looseRaise bool

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
	// split is set when the bucket has more than splitMin rules: then
	// open holds, by rank, those that constrain no partitioned column,
	// and parts[i] the others, under each value of the first partitioned
	// column i they constrain. A query looks at open and at the rules
	// filed under its own values only.
	split bool
	open  []*compiledRule
	parts [len(partitions)]map[string][]*compiledRule
}

// splitMin is the number of rules of one bucket above which it is split by
// the partitioned columns; a query looks at the rules of smaller buckets
// without the partitions' lookups (a lookup costs about as much as
// checking a rule or two).
const splitMin = 4

// channelIndex holds the rules of one product (or of the null product),
// bucketed by how their channel matches.
type channelIndex struct {
	exact map[string]*bucket // by exact channel value
	glob  map[string]*bucket // by the first two bytes of the glob prefix
	any   *bucket            // null channel
}

// ruleSet holds rules by product and channel key.
type ruleSet struct {
	byProduct map[string]*channelIndex
	anyProd   *channelIndex
}

// partitions lists the partitioned columns. Each one's matcher is an
// equality test against one or a comma-separated list of values (§4.4.6),
// so a rule filed under a value that the query does not have fails that
// column, whatever its other columns do.
var partitions = [...]struct {
	// values returns the distinct values the rule accepts, or nil when
	// the rule does not constrain the column.
	values func(cr *compiledRule) []string
	// value returns the query's value of the column as the matcher
	// compares it.
	value func(q *Query) string
}{
	{func(cr *compiledRule) []string { return csvValues(cr.hasDistrib, cr.distrib) }, func(q *Query) string { return strOr(q.Distribution) }},
	{func(cr *compiledRule) []string {
		if t := cr.rule.BuildTarget; t != nil {
			return []string{*t}
		}
		return nil
	}, func(q *Query) string { return q.BuildTarget }},
	{func(cr *compiledRule) []string { return csvValues(cr.hasLocale, cr.locale) }, func(q *Query) string { return strOr(q.Locale) }},
}

// csvValues returns the distinct pieces of a comma-separated column, nil
// when the column is null.
func csvValues(has bool, pieces []string) []string {
	if !has {
		return nil
	}
	var out []string
	for _, p := range pieces {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// pinKey identifies a pinnable_releases row.
type pinKey struct{ product, channel, version string }

// shutoffKey identifies an emergency_shutoffs row.
type shutoffKey struct{ product, channel string }

// Index is an immutable, concurrency-safe view of the rules, emergency
// shutoffs and pins, indexed so that evaluating a query only looks at rules
// that can match its product and channel and, among the many rules of one
// product and channel, those that require a distribution, build target or
// locale (the first of these they constrain) only when the query has it.
// The cost of an evaluation therefore does not grow with rules that require
// other values there, such as the rules of partner distributions.
type Index struct {
	rules []Rule
	// compiled holds every rule compiled, in rules' order (also those no
	// bucket holds); Explain walks it.
	compiled []*compiledRule
	// all holds every rule that can match some query, by product and
	// channel.
	all ruleSet
	// mozRaisers and looseRaisers hold the rules that can raise a version
	// error for a query version that parses (as a MozillaVersion, or as a
	// LooseVersion of integers only): an operand that does not parse, or,
	// for LooseVersion, that has text (comparing text with an integer
	// fails).
	mozRaisers, looseRaisers ruleSet
	shutoffs                 map[shutoffKey]*Shutoff
	pins                     map[pinKey]*Pin
}

// NewIndex builds an Index. The slices are copied (shallowly: the values
// that Rule's pointer fields point to must not be modified afterwards).
// Rules with a channel glob shorter than three characters are dropped (they
// never match, Q11).
func NewIndex(rules []Rule, shutoffs []Shutoff, pins []Pin) *Index {
	ix := &Index{
		rules:    append([]Rule(nil), rules...),
		compiled: make([]*compiledRule, len(rules)),
		shutoffs: make(map[shutoffKey]*Shutoff, len(shutoffs)),
		pins:     make(map[pinKey]*Pin, len(pins)),
	}
	slices.SortStableFunc(ix.rules, func(a, b Rule) int { return cmp.Compare(a.RuleID, b.RuleID) })
	for i := range ix.rules {
		cr := compileRule(&ix.rules[i], i)
		ix.compiled[i] = cr
		if cr.chanKind == chanNever {
			continue
		}
		ix.all.add(cr)
		if cr.mozRaise {
			ix.mozRaisers.add(cr)
		}
		if cr.looseRaise {
			ix.looseRaisers.add(cr)
		}
	}
	ix.all.finish()
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

// finish sorts every bucket of s by rank and splits the large ones.
func (s *ruleSet) finish() {
	for _, ci := range s.byProduct {
		ci.finish()
	}
	if s.anyProd != nil {
		s.anyProd.finish()
	}
}

// finish sorts every bucket of ci by rank and splits the large ones.
func (ci *channelIndex) finish() {
	ci.any.finish()
	for _, b := range ci.exact {
		b.finish()
	}
	for _, b := range ci.glob {
		b.finish()
	}
}

// finish sorts b by rank and, when it has more than splitMin rules, files
// them by the partitioned columns.
func (b *bucket) finish() {
	if b == nil {
		return
	}
	slices.SortFunc(b.rules, func(x, y *compiledRule) int {
		if ranksBefore(x, y) {
			return -1
		}
		if ranksBefore(y, x) {
			return 1
		}
		return 0
	})
	if len(b.rules) <= splitMin {
		return
	}
	b.split = true
next:
	for _, cr := range b.rules {
		for i, p := range partitions {
			vals := p.values(cr)
			if vals == nil {
				continue
			}
			if b.parts[i] == nil {
				b.parts[i] = make(map[string][]*compiledRule)
			}
			for _, v := range vals {
				b.parts[i][v] = append(b.parts[i][v], cr)
			}
			continue next
		}
		b.open = append(b.open, cr)
	}
}

// add files cr under its product and channel key.
func (s *ruleSet) add(cr *compiledRule) {
	var ci *channelIndex
	if p := cr.rule.Product; p != nil {
		if s.byProduct == nil {
			s.byProduct = make(map[string]*channelIndex)
		}
		ci = s.byProduct[*p]
		if ci == nil {
			ci = &channelIndex{}
			s.byProduct[*p] = ci
		}
	} else {
		if s.anyProd == nil {
			s.anyProd = &channelIndex{}
		}
		ci = s.anyProd
	}
	ci.add(cr)
}

// add files cr under its channel key.
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
			if p.op != opInvalid {
				cr.mozRaise = cr.mozRaise || p.mozErr != nil
				cr.looseRaise = cr.looseRaise || p.looseErr != nil || !p.loose.numeric()
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
