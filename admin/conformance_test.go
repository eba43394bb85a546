package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/balrog-go/balrog/admin/admintest"
	"github.com/balrog-go/balrog/admin/auth"
	"github.com/balrog-go/balrog/blobs"
	"github.com/balrog-go/balrog/migrations"
	"github.com/balrog-go/balrog/store/gormstore"
	"github.com/balrog-go/balrog/store/storetest"
)

// corpusDir holds the recorded real-Balrog admin sequences.
const corpusDir = "../../shared/conformance/admin"

// knownDeviation says why a step is answered differently, or "".
func knownDeviation(id string) string {
	if r, ok := admintest.KnownDeviations[id]; ok {
		return r
	}
	switch id {
	case "bad_input-041", "bad_input-042":
		// The Dockerflow endpoints are served by package app around this
		// handler; app's admin conformance test replays these two.
		return "Dockerflow is served by package app"
	}
	return ""
}

// newTestServer opens a fresh migrated database with the corpus's starting
// state (one admin row, no history) and returns the admin handler over it.
func newTestServer(t testing.TB, dbURL string) (http.Handler, *gormstore.DB) {
	t.Helper()
	ctx := context.Background()
	db, err := gormstore.Open(ctx, dbURL, gormstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, phase := range migrations.Phases {
		if _, err := db.Migrate(ctx, phase); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.SQL().ExecContext(ctx, "INSERT INTO permissions (permission, username, options, data_version) VALUES ('admin', 'balrogadmin', NULL, 1)"); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Auth: auth.NewDev()}
	if os.Getenv("ADMIN_CONFORMANCE_LOG") != "" {
		cfg.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	// The corpus's configuration when the corpus is here (a corpus comes
	// with its own), else the copy of it in testdata: the tests that are
	// not replays need the same allowlist.
	raw, err := os.ReadFile(filepath.Join(corpusDir, "config.json"))
	if err != nil {
		raw, err = os.ReadFile(filepath.Join("testdata", "config.json"))
	}
	if err == nil {
		var conf struct {
			Allowlist      json.RawMessage `json:"domain_allowlist"`
			SystemAccounts []string        `json:"system_accounts"`
		}
		if err := json.Unmarshal(raw, &conf); err != nil {
			t.Fatal(err)
		}
		if cfg.Allowlist, err = blobs.ParseAllowlist(conf.Allowlist); err != nil {
			t.Fatal(err)
		}
		cfg.SystemAccounts = conf.SystemAccounts
	}
	return New(gormstore.NewAdminStore(db), cfg).Handler(), db
}

func TestConformance(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*.jsonl"))
	if len(files) == 0 {
		t.Skip("admin conformance corpus not found at " + corpusDir)
	}
	for _, f := range files {
		seq := strings.TrimSuffix(filepath.Base(f), ".jsonl")
		steps, err := admintest.ReadSteps(f)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(seq, func(t *testing.T) {
			for _, d := range storetest.Databases(t) {
				t.Run(d.Name, func(t *testing.T) {
					h, _ := newTestServer(t, d.URL)
					passed, failed, known := 0, 0, 0
					for _, st := range steps {
						msg := admintest.RunStep(h, st)
						reason := knownDeviation(st.ID)
						isKnown := reason != ""
						switch {
						case msg != "" && isKnown:
							known++
							t.Logf("%s: known deviation (%s): %s", st.ID, reason, msg)
						case msg != "":
							failed++
							t.Errorf("%s: %s", st.ID, msg)
						case isKnown:
							passed++
							t.Errorf("%s passes now: remove it from the known deviations", st.ID)
						default:
							passed++
						}
					}
					fmt.Printf("admin conformance: %s/%s: %d passed, %d failed (%d known deviations)\n", seq, d.Name, passed, failed+known, known)
				})
			}
		})
	}
}
