package app

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/balrog-go/balrog/admin"
	"github.com/balrog-go/balrog/store/gormstore"
)

// checkCommand is `balrog check`: every rule assertion evaluated against
// the current database by the public role's own code.
func (e env) checkCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Evaluate every rule assertion against the database; exit 1 when one fails",
		Long: `Answer each assertion's update URL exactly as the public role would from the current
database and compare the release served with the expected one (or no update). Prints one
line per assertion, then a summary; the exit status is 1 when any assertion fails.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			db, evaluator, err := e.openEvaluator(cmd, true)
			if err != nil {
				return err
			}
			defer db.Close()
			var results []admin.AssertionResult
			err = gormstore.NewAdminStore(db).Tx(cmd.Context(), "check", func(tx *gormstore.AdminTx) error {
				list, err := tx.Assertions(nil, true)
				if err != nil {
					return err
				}
				results, err = admin.EvaluateAssertions(cmd.Context(), evaluator, tx.View(), list)
				return err
			})
			if err != nil {
				return err
			}
			failed := 0
			for _, r := range results {
				mark := "ok  "
				if !r.OK() {
					mark = "FAIL"
					failed++
				}
				fmt.Fprintf(e.stdout, "%s %s\n", mark, r)
			}
			fmt.Fprintf(e.stdout, "%d assertions, %d failed\n", len(results), failed)
			if failed > 0 {
				return fmt.Errorf("check: %d of %d assertions failed", failed, len(results))
			}
			return nil
		},
	}
}
