// Package app is the composition root of balrog: the commands, the
// configuration, the table of roles and the HTTP plumbing they share.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/balrog-go/balrog/metrics"
	"github.com/balrog-go/balrog/migrations"
)

// env is what a command reads from outside: its output streams and the
// environment. Tests pass their own.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	// started, when set, is called with the running process (tests).
	started func(*process)
}

// Main runs the balrog command line and returns the exit status.
func Main(args []string) int {
	e := env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return e.run(ctx, args)
}

func (e env) run(ctx context.Context, args []string) int {
	root := e.rootCommand()
	root.SetArgs(args)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	err := root.ExecuteContext(ctx)
	if err != nil {
		fmt.Fprintln(e.stderr, "balrog:", err)
	}
	return exitCode(err)
}

func (e env) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "balrog",
		Short:         "An update server compatible with Mozilla's Balrog",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	AddFlags(root.PersistentFlags())
	root.AddCommand(e.serveCommand(), e.migrateCommand(), e.importCommand(), e.exportCommand(), e.cleanupCommand(),
		e.checkCommand(), e.explainCommand(), e.createAdminCommand(), e.versionCommand())
	return root
}

// setup loads the configuration and the logger for a command.
func (e env) setup(cmd *cobra.Command) (Config, *process, error) {
	cfg, err := LoadConfig(cmd.Flags(), e.getenv)
	if err != nil {
		return cfg, nil, err
	}
	return cfg, &process{cfg: cfg, log: newLogger(cfg, e.stderr), stdout: e.stdout}, nil
}

func (e env) serveCommand() *cobra.Command {
	var role string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run one or more roles",
		Long: `Run one or more roles in one process, each HTTP role on its own listener:

  public  answers update clients (/update/..., /json/...) and the read-only /api/v1
  admin   the admin REST API (rules, releases, permissions, signoffs, scheduled changes)
  agent   enacts scheduled changes when they are due and signed off, every --agent-interval
  all     all three (the default)

Every listener serves /__lbheartbeat__, /__heartbeat__ and /__version__.
SIGTERM drains in-flight requests, then exits 0. The first role that fails
stops the process. Against MySQL, serve refuses to start until
'balrog migrate pre' has run; the embedded SQLite default is migrated in place.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			roles, err := parseRoles(role)
			if err != nil {
				return err
			}
			_, p, err := e.setup(cmd)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			services, err := p.build(ctx, roles)
			defer p.close()
			if err != nil {
				return err
			}
			if e.started != nil {
				e.started(p)
			}
			return runGroup(ctx, services)
		},
	}
	cmd.Flags().StringVar(&role, "role", "all", "public, admin, agent, a comma list of them, or all")
	return cmd
}

func (p *process) close() {
	p.closeMetrics()
	p.reporter.flush()
	if p.db != nil {
		_ = p.db.Close()
	}
}

func (e env) migrateCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate pre|post|status",
		Short: "Apply or show schema steps",
		Long: `Schema steps come in two phases:

  pre     additive steps; run before deploying a release, safe while the previous release serves
  post    destructive steps; run after every instance runs the new release (refused while a pre step is pending)
  status  lists both phases' steps, applied and pending`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"pre", "post", "status"},
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, p, err := e.setup(cmd)
			if err != nil {
				return err
			}
			m, err := p.forRole("migrate")
			if err != nil {
				return err
			}
			defer p.closeMetrics()
			db, err := openDatabase(cmd.Context(), cfg, p.log, m, false)
			if err != nil {
				return err
			}
			defer db.Close()
			switch args[0] {
			case "pre", "post":
				phase := migrations.Phase(args[0])
				applied, err := db.Migrate(cmd.Context(), phase)
				for _, s := range applied {
					fmt.Fprintf(e.stdout, "applied %s %05d %s\n", s.Phase, s.Version, s.Name)
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "%s: %d step(s) applied on %s\n", phase, len(applied), db.String())
				return nil
			case "status":
				steps, err := db.Status(cmd.Context())
				if err != nil {
					return err
				}
				pending := 0
				for _, s := range steps {
					state := "applied " + s.AppliedAt.UTC().Format("2006-01-02 15:04:05")
					if !s.Applied {
						state = "pending"
						pending++
					}
					fmt.Fprintf(e.stdout, "%-4s %05d %-60s %s\n", s.Phase, s.Version, s.Name, state)
				}
				state, err := db.SchemaState(cmd.Context())
				if err != nil {
					return err
				}
				for _, phase := range migrations.Phases {
					for _, v := range state.Unknown[phase] {
						fmt.Fprintf(e.stdout, "%-4s %05d %-60s %s\n", phase, v, "(unknown to this release)", "applied")
					}
				}
				fmt.Fprintf(e.stdout, "%d pending\n", pending)
				return nil
			}
			return fmt.Errorf("unknown migrate action %q (want pre, post or status)", args[0])
		},
	}
	return cmd
}

func (e env) importCommand() *cobra.Command {
	var skipValidation bool
	cmd := &cobra.Command{
		Use:   "import DIR",
		Short: "Load a scenario directory (releases, rules, shutoffs, pins, assertions) in one transaction",
		Long: `Load a scenario directory in the format of shared/conformance/README.md into the
database, in one transaction, recording history rows as changed_by=import. A malformed
file is refused with its name and nothing is written. config.json in the directory is
server configuration: pass it to serve with --config.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, p, err := e.setup(cmd)
			if err != nil {
				return err
			}
			ds, err := readScenario(args[0])
			if err != nil {
				return err
			}
			if err := checkBlobs(ds, cfg.DomainAllowlist, skipValidation, p.log); err != nil {
				return err
			}
			db, err := openDatabase(cmd.Context(), cfg, p.log, metrics.Discard{}, true)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.Import(cmd.Context(), ds, "import"); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "imported %d releases, %d rules, %d emergency shutoffs, %d pins, %d assertions into %s\n",
				len(ds.Releases), len(ds.Rules), len(ds.Shutoffs), len(ds.Pins), len(ds.Assertions), db.String())
			return nil
		},
	}
	cmd.Flags().BoolVar(&skipValidation, "skip-validation", false, "store blobs exactly as given, warning once per blob that fails its schema")
	return cmd
}

func (e env) createAdminCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "create-admin USER",
		Short: "Grant USER the admin permission (idempotent)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if args[0] == "" {
				return errors.New("create-admin: USER must not be empty")
			}
			cfg, p, err := e.setup(cmd)
			if err != nil {
				return err
			}
			db, err := openDatabase(cmd.Context(), cfg, p.log, metrics.Discard{}, true)
			if err != nil {
				return err
			}
			defer db.Close()
			granted, err := db.GrantAdmin(cmd.Context(), args[0], "create-admin")
			if err != nil {
				return err
			}
			if granted {
				fmt.Fprintf(e.stdout, "%s is now an admin\n", args[0])
			} else {
				fmt.Fprintf(e.stdout, "%s was already an admin\n", args[0])
			}
			return nil
		},
	}
}

func (e env) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and build",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b := Build()
			fmt.Fprintf(e.stdout, "balrog %s (commit %s, build %s)\n", b.Version, b.Commit, b.Build)
			return nil
		},
	}
}
