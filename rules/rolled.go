package rules

// Rolled reports whether deciding d for q took a roll of the dice (a
// throttled rule without force), so that an equal query may be decided
// otherwise next time. It mirrors the condition under which Evaluate calls
// its dice.
func (d Decision) Rolled(q *Query) bool {
	r := d.Rule
	if r == nil || q == nil || q.Force != ForceNone || r.Mapping == nil || *r.Mapping == "" {
		return false
	}
	return r.BackgroundRate != nil && *r.BackgroundRate < 100
}
