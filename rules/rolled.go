package rules

// Rolled reports whether deciding d for q took a roll of the dice whose
// result could have been otherwise (a rule throttled between 0 and 100 %,
// without force), so that an equal query may be decided otherwise next
// time. It mirrors the condition under which Evaluate calls its dice; at a
// rate of 0 every roll falls back.
func (d Decision) Rolled(q *Query) bool {
	r := d.Rule
	if r == nil || q == nil || q.Force != ForceNone || r.Mapping == nil || *r.Mapping == "" {
		return false
	}
	return r.BackgroundRate != nil && *r.BackgroundRate > 0 && *r.BackgroundRate < 100
}
