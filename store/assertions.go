package store

// Assertion is one row of the assertions table: the update request target
// URL of product must be answered with ExpectedRelease (nil: no update).
// The JSON names are those of assertions.json in an export.
type Assertion struct {
	AssertionID     int     `json:"assertion_id"`
	Product         string  `json:"product"`
	URL             string  `json:"url"`
	ExpectedRelease *string `json:"expected_release"`
	Comment         *string `json:"comment"`
	DataVersion     int     `json:"data_version"`
}

// AssertionRevision is one non-marker assertions_history row.
type AssertionRevision struct {
	Change
	Assertion Assertion
}

// AssertionOverride records one broken assertion of a write an admin made
// anyway: Request names the write ("PUT /rules/5"), ActualRelease the
// release the URL is answered with after it (nil: no update).
type AssertionOverride struct {
	OverrideID    int
	ChangedBy     string
	Timestamp     int64
	Request       string
	Assertion     Assertion
	ActualRelease *string
}

// ServedChanges is what a transaction's writes may have changed in the
// public role's answers: the products whose rules, shutoffs or pins
// changed, the releases whose blobs changed, or everything (a rule without
// a product).
type ServedChanges struct {
	All      bool
	Products []string
	Releases []string
}

// Empty reports whether no write could change an answer.
func (c ServedChanges) Empty() bool {
	return !c.All && len(c.Products) == 0 && len(c.Releases) == 0
}
