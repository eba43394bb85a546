package gormstore

import (
	"context"
	"testing"

	"gorm.io/gorm"

	"github.com/balrog-go/balrog/rules"
	"github.com/balrog-go/balrog/store"
	"github.com/balrog-go/balrog/store/storetest"
)

// TestReadSnapshotIsOnePointInTime checks that ReadSnapshot reads one
// state: a release and a rule change written by another connection between
// its reads (right after it reads the rules) are in neither its rules nor
// its releases, and its marker is the marker of what it read.
func TestReadSnapshotIsOnePointInTime(t *testing.T) {
	for _, d := range storetest.Databases(t) {
		t.Run(d.Name, func(t *testing.T) {
			ctx := context.Background()
			db := openMigrated(t, d)
			product, channel, mapping := "Firefox", "release", "R-A"
			ds := store.Dataset{
				Releases: []store.Release{{Name: "R-A", Product: "Firefox", Data: blobOf("R-A")}},
				Rules: []rules.Rule{{RuleID: 1, Priority: new(100), BackgroundRate: new(100), UpdateType: "minor",
					Product: &product, Channel: &channel, Mapping: &mapping, DataVersion: 1}},
			}
			if err := db.Import(ctx, ds, "test"); err != nil {
				t.Fatal(err)
			}
			before, err := db.ChangeMarker(ctx)
			if err != nil {
				t.Fatal(err)
			}
			wrote := false
			err = db.gorm.Callback().Query().After("gorm:query").Register("test:write_between", func(g *gorm.DB) {
				if wrote || g.Statement.Table != "rules" {
					return
				}
				wrote = true
				exec(t, db, "INSERT INTO releases (name, product, data, data_version) VALUES ('R-B', 'Firefox', ?, 1)", string(blobOf("R-B")))
				exec(t, db, "UPDATE rules SET mapping = 'R-B', data_version = 2 WHERE rule_id = 1")
			})
			if err != nil {
				t.Fatal(err)
			}
			snap, err := db.ReadSnapshot(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !wrote {
				t.Fatal("the write between the reads did not run")
			}
			if len(snap.Rules) != 1 || *snap.Rules[0].Mapping != "R-A" || len(snap.Releases) != 1 || snap.Marker != before {
				t.Errorf("snapshot saw the later write: rules %+v, releases %+v, marker %s (before it %s)", snap.Rules, snap.Releases, snap.Marker, before)
			}

			after, err := db.ChangeMarker(ctx)
			if err != nil {
				t.Fatal(err)
			}
			snap, err = db.ReadSnapshot(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if after == before || snap.Marker != after || *snap.Rules[0].Mapping != "R-B" || len(snap.Releases) != 2 {
				t.Errorf("next snapshot: mapping %s, %d releases, marker %s (database's %s, before %s)", *snap.Rules[0].Mapping, len(snap.Releases), snap.Marker, after, before)
			}
		})
	}
}
