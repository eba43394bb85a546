package app

import (
	"fmt"
	"testing"

	"github.com/balrog-go/balrog/store/storetest"
)

// BenchmarkRuleUpdateWithAssertions measures a rule update through the
// admin API when the product has 0, 10 or 100 assertions, each evaluated
// against the transaction's view before the commit.
func BenchmarkRuleUpdateWithAssertions(b *testing.B) {
	for _, n := range []int{0, 10, 100} {
		b.Run(fmt.Sprintf("assertions=%d", n), func(b *testing.B) {
			d := storetest.SQLite(b)
			_, h := storyAdmin(b, storyDatabase(b, d))
			for i := 0; i < n; i++ {
				url, want := storyNightlyURL, storyNightly
				if i%2 == 1 {
					url, want = storyBetaURL, storyBeta
				}
				if code, body := h("POST", "/assertions", `{"product": "Firefox", "url": "`+url+`", "expected_release": "`+want+`"}`); code != 201 {
					b.Fatalf("create assertion: %d %s", code, body)
				}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				body := fmt.Sprintf(`{"data_version": %d, "priority": %d}`, i+1, 100+i%2)
				if code, got := h("PUT", "/rules/1", body); code != 200 {
					b.Fatalf("update: %d %s", code, got)
				}
			}
		})
	}
}
