package store

// ScheduledChange is one row of a <base>_scheduled_changes table with its
// conditions row.
type ScheduledChange struct {
	ScID        int
	ScheduledBy string
	Complete    bool
	ChangeType  string
	// DataVersion is the scheduled change's own version (sc_data_version).
	DataVersion int
	// Base holds the base_* columns without their prefix, data_version
	// included: string, int64, bool or nil values.
	Base map[string]any
	// Conditions holds the conditions columns: "when" and, for rules, the
	// telemetry_* columns.
	Conditions map[string]any
}

// ScheduledChangeRevision is one non-marker history row of a scheduled
// change, merged with the conditions history row of the same version.
type ScheduledChangeRevision struct {
	Change
	ScheduledChange
}

// Signoff is one signoff of a scheduled change.
type Signoff struct {
	Username string
	Role     string
}
