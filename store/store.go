// Package store holds the records the service persists and the errors its
// database layer reports. The gorm implementation for MySQL and SQLite, with
// the goose migration runner, lives in the gormstore sub-package.
package store

import (
	"errors"

	"github.com/balrog-go/balrog/rules"
)

// Sentinel errors. Implementations wrap them with %w; the HTTP layer maps
// them to status codes in one place.
var (
	// ErrNotFound means the requested row does not exist.
	ErrNotFound = errors.New("not found")
	// ErrOutdated means a write carried a data_version that is no longer current.
	ErrOutdated = errors.New("data_version is outdated")
	// ErrUnavailable means the database did not answer.
	ErrUnavailable = errors.New("database unavailable")
	// ErrCommitUnknown means the database went away while a transaction
	// was committing: the change may or may not have been made (whole or
	// not at all). It comes with ErrUnavailable.
	ErrCommitUnknown = errors.New("commit outcome unknown")
	// ErrPendingMigrations means this binary's pre-deploy steps are not applied.
	ErrPendingMigrations = errors.New("pending pre-deploy migrations")
)

// Release is one row of the legacy releases table: a whole blob as JSON text.
type Release struct {
	Name        string
	Product     string
	ReadOnly    bool
	Data        []byte
	DataVersion int
}

// ReleaseInfo is a release without its blob, for listings and change detection.
type ReleaseInfo struct {
	Name        string
	Product     string
	ReadOnly    bool
	DataVersion int
}

// Snapshot is what the public role serves from: the change marker and
// every rule, shutoff, pin and release (without its blob), read at one
// point in time, so that no rule names a release the snapshot has not seen
// yet and the marker is the marker of exactly this state.
type Snapshot struct {
	Marker   string
	Rules    []rules.Rule
	Shutoffs []rules.Shutoff
	Pins     []rules.Pin
	Releases []ReleaseInfo
}

// Dataset is a set of objects loaded or exported together, in the scenario
// format of the conformance corpora (releases, rules, shutoffs, pins) and
// of exports, which add the rule assertions.
type Dataset struct {
	Releases   []Release
	Rules      []rules.Rule
	Shutoffs   []rules.Shutoff
	Pins       []rules.Pin
	Assertions []Assertion
}

// RuleRevision is one rules_history row of a rule that existed at that
// change (marker rows are not revisions).
type RuleRevision struct {
	Rule      rules.Rule
	ChangeID  int
	ChangedBy string
	Timestamp int64
}
