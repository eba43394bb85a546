// Package migrations holds the schema steps, embedded into the binary, in two
// phases: pre (additive, applied before a deploy while the previous release
// still serves) and post (destructive, applied once every instance runs the
// new release). The files are written in MySQL's dialect; the store's goose
// runner translates them for SQLite, so both dialects share one source.
package migrations

import (
	"embed"
	"io/fs"
)

//go:embed pre/*.sql post/*.sql
var files embed.FS

// Phase names a migration set.
type Phase string

const (
	// Pre is the additive phase, safe for the running release.
	Pre Phase = "pre"
	// Post is the destructive phase, applied after the deploy.
	Post Phase = "post"
)

// Phases lists the phases in the order they are applied.
var Phases = []Phase{Pre, Post}

// FS returns the migration files of one phase.
func FS(p Phase) fs.FS {
	sub, err := fs.Sub(files, string(p))
	if err != nil {
		// fs.Sub fails only on an invalid path, which a Phase constant is not.
		panic(err)
	}
	return sub
}

// VersionTable is the goose version table of a phase.
func VersionTable(p Phase) string {
	return "goose_db_version_" + string(p)
}
