package store

import "errors"

// ErrExists means an insert collided with a row that already exists.
var ErrExists = errors.New("already exists")

// Permission is one row of the permissions table. Options is the JSON text
// of the options object, or nil.
type Permission struct {
	Permission  string
	Username    string
	Options     *string
	DataVersion int
}

// UserRole is one row of the user_roles table.
type UserRole struct {
	Username    string
	Role        string
	DataVersion int
}

// Change identifies one history row: who wrote it, when, and its change_id.
type Change struct {
	ChangeID  int
	ChangedBy string
	Timestamp int64
}

// PermissionRevision is one non-marker permissions_history row.
type PermissionRevision struct {
	Change
	Permission Permission
}

// HistoryFilter narrows a history listing. Nil fields do not filter.
// Timestamps are inclusive milliseconds.
type HistoryFilter struct {
	Product, Channel           *string
	ChangedBy                  *string
	ChangeID, DataVersion      *int
	TimestampFrom, TimestampTo *int64
	Limit, Offset              int
}

// RequiredSignoff is one row of product_req_signoffs (Channel set) or of
// permissions_req_signoffs (Channel empty).
type RequiredSignoff struct {
	Product          string
	Channel          string
	Role             string
	SignoffsRequired int
	DataVersion      int
}
