package app

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/balrog-go/balrog/metrics"
	"github.com/balrog-go/balrog/store/gormstore"
)

func (e env) cleanupCommand() *cobra.Command {
	var olderThan string
	var dryRun bool
	var batchSize int
	cmd := &cobra.Command{
		Use:   "cleanup --older-than=DURATION [--dry-run] [--batch-size=N]",
		Short: "Delete unreferenced old releases and old history rows",
		Long: `Delete, in batches of --batch-size rows (each batch its own short transaction):

  - v1 releases that no rule (mapping, fallbackMapping), pending scheduled change
    (rules, releases, pinnable releases), pin, superblob or rule assertion names, and
    whose last change (releases_history) is older than --older-than; each deletion is
    recorded in releases_history as changed_by=cleanup;
  - rows of every history table older than --older-than, keeping the newest revision
    of every object that still exists.

--older-than takes Go durations (720h) or days (90d). --dry-run prints the same
report and deletes nothing. On a terminal, progress is shown as it goes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			age, err := parseAge(olderThan)
			if err != nil {
				return fmt.Errorf("--older-than: %w", err)
			}
			if batchSize <= 0 {
				return fmt.Errorf("--batch-size: %d must be positive", batchSize)
			}
			db, err := e.openCommandDB(cmd, true)
			if err != nil {
				return err
			}
			defer db.Close()
			cutoff := time.Now().Add(-age)
			verb := "deleted"
			if dryRun {
				verb = "would delete"
			}
			prog := newProgress(e.stdout, isTerminal(e.stdout))
			rep, err := db.Cleanup(cmd.Context(), gormstore.CleanupOptions{
				CutoffMillis: cutoff.UnixMilli(),
				BatchSize:    batchSize,
				DryRun:       dryRun,
				ChangedBy:    "cleanup",
				Release:      func(name string) { prog.println(verb + " release " + name) },
				Progress:     prog.update,
			})
			prog.clear()
			tables := make([]string, 0, len(rep.History))
			history := 0
			for t, n := range rep.History {
				tables = append(tables, t)
				history += n
			}
			sort.Strings(tables)
			for _, t := range tables {
				fmt.Fprintf(e.stdout, "%s %d rows of %s\n", verb, rep.History[t], t)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "cleanup of %s (cutoff %s): %s %d releases and %d history rows in %d batches\n",
				db.String(), cutoff.UTC().Format(time.RFC3339), verb, len(rep.Releases), history, rep.Batches)
			return nil
		},
	}
	cmd.Flags().StringVar(&olderThan, "older-than", "", "age of what may be deleted: a Go duration (720h) or days (90d); required")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "report what would be deleted; delete nothing")
	cmd.Flags().IntVar(&batchSize, "batch-size", 500, "rows deleted per transaction")
	_ = cmd.MarkFlagRequired("older-than")
	return cmd
}

// parseAge reads a positive Go duration or a number of days ("90d").
func parseAge(s string) (time.Duration, error) {
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration (e.g. 90d, 720h)", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("%q is not a duration (e.g. 90d, 720h)", s)
		}
	}
	if d <= 0 {
		return 0, fmt.Errorf("%s must be positive", s)
	}
	return d, nil
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progress shows a one-line status that report lines scroll past; off
// the terminal it shows nothing.
type progress struct {
	w       io.Writer
	tty     bool
	showing bool
}

func newProgress(w io.Writer, tty bool) *progress { return &progress{w: w, tty: tty} }

// update replaces the status line.
func (p *progress) update(table string, done int) {
	if !p.tty {
		return
	}
	fmt.Fprintf(p.w, "\r\033[K%s: %d rows so far", table, done)
	p.showing = true
}

// println prints a report line above the status line.
func (p *progress) println(line string) {
	p.clear()
	fmt.Fprintln(p.w, line)
}

// clear removes the status line.
func (p *progress) clear() {
	if p.showing {
		fmt.Fprint(p.w, "\r\033[K")
		p.showing = false
	}
}

// openCommandDB loads the configuration of a command and opens its
// database, schema-checked as for serving (see openDatabase).
func (e env) openCommandDB(cmd *cobra.Command, serving bool) (*gormstore.DB, error) {
	cfg, p, err := e.setup(cmd)
	if err != nil {
		return nil, err
	}
	return openDatabase(cmd.Context(), cfg, p.log, metrics.Discard{}, serving)
}
