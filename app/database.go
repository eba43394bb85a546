package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/balrog-go/balrog/metrics"
	"github.com/balrog-go/balrog/migrations"
	"github.com/balrog-go/balrog/store"
	"github.com/balrog-go/balrog/store/gormstore"
)

// openDatabase opens the configured database. For serving it also checks the
// schema: the embedded SQLite default is migrated in place (a first-time user
// needs no extra step); any other database must have this binary's pre steps
// applied, and may have newer ones.
func openDatabase(ctx context.Context, cfg Config, log *slog.Logger, m metrics.Sink, serving bool) (*gormstore.DB, error) {
	db, err := gormstore.Open(ctx, cfg.DB, gormstore.Options{Metrics: m, Log: log})
	if err != nil {
		return nil, err
	}
	if !serving {
		return db, nil
	}
	if db.Dialect() == gormstore.SQLite {
		for _, phase := range migrations.Phases {
			applied, err := db.Migrate(ctx, phase)
			if err != nil {
				db.Close()
				return nil, err
			}
			if len(applied) > 0 {
				log.Info("applied schema steps", "phase", string(phase), "count", len(applied), "db", db.String())
			}
		}
		return db, nil
	}
	state, err := db.SchemaState(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	if pending := state.Pending[migrations.Pre]; len(pending) > 0 {
		db.Close()
		names := make([]string, 0, len(pending))
		for _, s := range pending {
			names = append(names, s.Name)
		}
		return nil, fmt.Errorf("database %s lacks %d pre-deploy schema step(s) (%s); run `balrog migrate pre` first: %w",
			db.String(), len(pending), strings.Join(names, ", "), store.ErrPendingMigrations)
	}
	if unknown := state.Unknown[migrations.Pre]; len(unknown) > 0 {
		log.Warn("the database has schema steps newer than this release; serving anyway", "versions", fmt.Sprint(unknown))
	}
	return db, nil
}

// exitCode maps an error to the process exit status.
func exitCode(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, store.ErrPendingMigrations):
		return 3
	default:
		return 1
	}
}
