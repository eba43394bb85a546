package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/balrog-go/balrog/migrations"
	"github.com/balrog-go/balrog/store"
)

func (e env) exportCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "export DIR",
		Short: "Write the releases, rules, shutoffs, pins and assertions to a scenario directory that import reads",
		Long: `Write the database's releases, rules, emergency shutoffs, pins and rule assertions
into DIR in the scenario format of shared/conformance/README.md (releases/<name>.json,
rules.json, shutoffs.json, pins.json, and assertions.json), read in one transaction,
so that 'balrog import DIR' loads
the same objects into another database. DIR must be new or empty. Server configuration
(config.json) is not written.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if err := prepareExportDir(dir); err != nil {
				return err
			}
			// Never migrate what is exported: a mistyped SQLite path
			// would export an empty new database.
			db, err := e.openCommandDB(cmd, false)
			if err != nil {
				return err
			}
			defer db.Close()
			if state, err := db.SchemaState(cmd.Context()); err != nil {
				return err
			} else if n := len(state.Pending[migrations.Pre]); n > 0 {
				return fmt.Errorf("export: %s lacks %d pre-deploy schema step(s); is it a balrog database? %w", db.String(), n, store.ErrPendingMigrations)
			}
			releases := 0
			ds, err := db.Export(cmd.Context(), func(r store.Release) error {
				releases++
				return writeReleaseFile(dir, r)
			})
			if err != nil {
				return err
			}
			for _, s := range exportSections(ds) {
				if err := writeJSONFile(filepath.Join(dir, s.file), s.rows); err != nil {
					return err
				}
			}
			fmt.Fprintf(e.stdout, "exported %d releases, %d rules, %d emergency shutoffs, %d pins, %d assertions from %s to %s\n",
				releases, len(ds.Rules), len(ds.Shutoffs), len(ds.Pins), len(ds.Assertions), db.String(), dir)
			return nil
		},
	}
}

// exportSection is one JSON array file of an export.
type exportSection struct {
	file string
	rows any
}

// exportSections lists the files of an export besides releases/, one per
// kind of object readScenario reads. A new kind is a field of store.Dataset
// filled by gormstore's Export, a line here and its reader in readScenario.
func exportSections(ds store.Dataset) []exportSection {
	return []exportSection{
		{"rules.json", nonNil(ds.Rules)},
		{"shutoffs.json", nonNil(ds.Shutoffs)},
		{"pins.json", nonNil(ds.Pins)},
		{"assertions.json", nonNil(ds.Assertions)},
	}
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// prepareExportDir creates dir, or accepts it when it is empty: an export
// never mixes with the files of an older one.
func prepareExportDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return fmt.Errorf("export: %w", err)
	case len(entries) > 0:
		return fmt.Errorf("export: %s is not empty", dir)
	}
	if err := os.MkdirAll(filepath.Join(dir, "releases"), 0o755); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// writeReleaseFile writes releases/<name>.json with the blob exactly as
// stored (re-indented, never re-escaped).
func writeReleaseFile(dir string, r store.Release) error {
	if r.Name == "" || r.Name == "." || r.Name == ".." || strings.ContainsAny(r.Name, `/\`) {
		return fmt.Errorf("release name %q cannot be a file name", r.Name)
	}
	ro, dv := r.ReadOnly, r.DataVersion
	name, product := r.Name, r.Product
	f := releaseFile{Name: &name, Product: &product, ReadOnly: &ro, Data: json.RawMessage(r.Data), DataVersion: &dv}
	return writeJSONFile(filepath.Join(dir, "releases", r.Name+".json"), f)
}

// writeJSONFile writes v indented, without HTML escaping, so a blob's text
// survives the round trip through import.
func writeJSONFile(path string, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}
