package rules_test

import (
	"fmt"
	"testing"

	"github.com/balrog-go/balrog/rules"
	"github.com/balrog-go/balrog/rules/rulestest"
)

// BenchmarkEvaluateRuleCount evaluates a mix of queries over every product
// and channel against 100 to 10 000 rules of which the same 100 decide
// every answer (rulestest.RuleCount); the others, spread over the products
// and channels, differ from every query in their distribution, build
// target or locale. The cost per query must not grow with them.
func BenchmarkEvaluateRuleCount(b *testing.B) {
	var qs []*rules.Query
	for _, u := range rulestest.URLs() {
		m, err := rules.ParseUpdateRequest(u, "", "")
		if err != nil || m.Query == nil {
			b.Fatal(u, err)
		}
		qs = append(qs, m.Query)
	}
	dice := func() int { return 50 }
	var want []int
	for _, n := range []int{100, 1000, 5000, 10000} {
		rs, _ := rulestest.RuleCount(n)
		ix := rules.NewIndex(rs, nil, nil)
		var got []int
		for _, q := range qs {
			d, err := ix.Evaluate(q, dice)
			if err != nil {
				b.Fatal(err)
			}
			id := 0
			if d.Rule != nil {
				id = d.Rule.RuleID
			}
			got = append(got, id)
		}
		if want == nil {
			want = got
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			b.Fatalf("%d rules select other rules than %d", n, rulestest.Core)
		}
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := ix.Evaluate(qs[i%len(qs)], dice); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
