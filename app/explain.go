package app

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
)

// explainCommand is `balrog explain URL`: the answer the public role gives
// URL from the configured database, and why, as the JSON of the admin
// API's POST /evaluate.
func (e env) explainCommand() *cobra.Command {
	var force string
	cmd := &cobra.Command{
		Use:   "explain URL",
		Short: "Explain how the public role answers an update URL (rules, throttle, release, response)",
		Long: `Print, as JSON, how the public role answers URL (/update/... or /json/..., or a full
http(s) URL) from the database of --db: the parsed query, every rule of the product in
evaluation order with the first column that failed and why, the chosen rule and
tie-break, the throttle decision, the release after fallback, pins and shutoffs, its
should-serve decision, and the exact response. --force=true answers as with force=1
(throttle bypassed), --force=false as with no force parameter (the dice are rolled).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var f *bool
			switch force {
			case "":
			case "true", "false":
				v := force == "true"
				f = &v
			default:
				return fmt.Errorf("--force: %q is not true or false", force)
			}
			db, evaluator, err := e.openEvaluator(cmd, false)
			if err != nil {
				return err
			}
			defer db.Close()
			raw, err := evaluator.Explain(cmd.Context(), db, args[0], f)
			if err != nil {
				return err
			}
			var out bytes.Buffer
			if err := json.Indent(&out, raw, "", "  "); err != nil {
				return err
			}
			out.WriteByte('\n')
			_, err = out.WriteTo(e.stdout)
			return err
		},
	}
	cmd.Flags().StringVar(&force, "force", "", "true: as with force=1; false: as with no force parameter; empty: as the URL says")
	return cmd
}
