package gormstore

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/balrog-go/balrog/migrations"
	"github.com/balrog-go/balrog/store/storetest"
)

// specTables is store/testdata/schema_tables.json: every table and column of
// schema.md §8, derived from the spec, not from the migrations.
type specTables struct {
	Tables map[string][]struct {
		Name     string `json:"name"`
		Type     string `json:"type"`
		Nullable bool   `json:"nullable"`
	} `json:"tables"`
}

func loadSpecTables(t *testing.T) specTables {
	t.Helper()
	b, err := os.ReadFile("../testdata/schema_tables.json")
	if err != nil {
		t.Fatal(err)
	}
	var s specTables
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Tables) < 70 {
		t.Fatalf("fixture lists %d tables, want the 73 of schema.md", len(s.Tables))
	}
	return s
}

func openMigrated(t testing.TB, d storetest.Database) *DB {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, d.URL, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, p := range migrations.Phases {
		if _, err := db.Migrate(ctx, p); err != nil {
			t.Fatalf("migrate %s: %v", p, err)
		}
	}
	return db
}

// columns returns a table's columns with their declared type and nullability.
func columns(t *testing.T, db *DB, table string) map[string]struct {
	Type     string
	Nullable bool
} {
	t.Helper()
	ctx := context.Background()
	out := map[string]struct {
		Type     string
		Nullable bool
	}{}
	var q string
	if db.Dialect() == MySQL {
		q = "SELECT column_name, column_type, is_nullable = 'YES' FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ?"
	} else {
		q = "SELECT name, type, \"notnull\" = 0 FROM pragma_table_info(?)"
	}
	rows, err := db.SQL().QueryContext(ctx, q, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, typ string
		var nullable bool
		if err := rows.Scan(&name, &typ, &nullable); err != nil {
			t.Fatal(err)
		}
		out[name] = struct {
			Type     string
			Nullable bool
		}{strings.ToUpper(typ), nullable}
	}
	return out
}

// sameType compares a spec type with what the database reports: MariaDB
// shows INT as int(11), BOOL as tinyint(1) and JSON as longtext.
func sameType(spec, got string, dialect Dialect) bool {
	spec = strings.ToUpper(spec)
	if dialect == SQLite {
		return got == spec || (spec == "INT" && got == "INTEGER")
	}
	switch spec {
	case "INT":
		return strings.HasPrefix(got, "INT")
	case "BIGINT":
		return strings.HasPrefix(got, "BIGINT")
	case "JSON":
		return got == "JSON" || got == "LONGTEXT"
	}
	return got == spec
}

func TestSchemaMatchesSpec(t *testing.T) {
	spec := loadSpecTables(t)
	for _, d := range storetest.Databases(t) {
		t.Run(d.Name, func(t *testing.T) {
			db := openMigrated(t, d)
			for table, cols := range spec.Tables {
				got := columns(t, db, table)
				if len(got) == 0 {
					t.Errorf("table %s is missing", table)
					continue
				}
				for _, c := range cols {
					g, ok := got[c.Name]
					if !ok {
						t.Errorf("%s.%s is missing", table, c.Name)
						continue
					}
					if !sameType(c.Type, g.Type, db.Dialect()) {
						t.Errorf("%s.%s has type %s, spec says %s", table, c.Name, g.Type, c.Type)
					}
					if g.Nullable != c.Nullable && !(db.Dialect() == SQLite && !g.Nullable) {
						t.Errorf("%s.%s nullable=%v, spec says %v", table, c.Name, g.Nullable, c.Nullable)
					}
				}
			}
			// Release history lives in the database, not in cloud storage.
			for _, table := range []string{"releases_history", "releases_json_history", "release_assets_history"} {
				if len(columns(t, db, table)) == 0 {
					t.Errorf("table %s is missing", table)
				}
			}
			var stamp string
			if err := db.SQL().QueryRow("SELECT version_num FROM alembic_version").Scan(&stamp); err != nil || stamp != "0001" {
				t.Errorf("alembic_version = %q, %v; want 0001 so Balrog's tooling accepts the database", stamp, err)
			}
		})
	}
}
