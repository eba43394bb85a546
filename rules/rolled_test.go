package rules

import (
	"fmt"
	"testing"
)

// TestRolled: Rolled is true exactly when some roll of the dice would have
// decided the query otherwise, for every rate, force and mapping shape.
func TestRolled(t *testing.T) {
	ptr := func(s string) *string { return &s }
	for _, rate := range []*int{nil, intPtr(-5), intPtr(0), intPtr(1), intPtr(25), intPtr(99), intPtr(100)} {
		for _, force := range []string{"", "1", "-1"} {
			for _, mapping := range []*string{ptr("main"), ptr(""), nil} {
				for _, fallback := range []*string{ptr("fallback"), nil} {
					r := Rule{RuleID: 1, Priority: intPtr(100), BackgroundRate: rate, Mapping: mapping, FallbackMapping: fallback,
						Product: ptr("Firefox"), UpdateType: "minor", DataVersion: 1}
					ix := NewIndex([]Rule{r}, nil, nil)
					query := "force=" + force
					m, err := ParseUpdateRequest(benchPath, query, "")
					if err != nil || m.Query == nil {
						t.Fatal(err)
					}
					outcomes := map[string]bool{}
					var d Decision
					for roll := range 100 {
						if d, err = ix.Evaluate(m.Query, func() int { return roll }); err != nil {
							t.Fatal(err)
						}
						outcomes[fmt.Sprintf("%s %v", d.Mapping, d.Fallback)] = true
					}
					if got, want := d.Rolled(m.Query), len(outcomes) > 1; got != want {
						rateText := "null"
						if rate != nil {
							rateText = fmt.Sprint(*rate)
						}
						t.Errorf("rate %s, %s, mapping %v, fallback %v: Rolled %v, outcomes %v", rateText, query, mapping != nil, fallback != nil, got, outcomes)
					}
				}
			}
		}
	}
}

func intPtr(n int) *int { return &n }
