package gormstore

import (
	"fmt"

	"github.com/balrog-go/balrog/store"
)

// assertionRow is an assertions row.
type assertionRow struct {
	AssertionID     int     `gorm:"column:assertion_id;primaryKey"`
	Product         string  `gorm:"column:product"`
	URL             string  `gorm:"column:url"`
	ExpectedRelease *string `gorm:"column:expected_release"`
	Comment         *string `gorm:"column:comment"`
	DataVersion     int     `gorm:"column:data_version"`
}

func (assertionRow) TableName() string { return "assertions" }

func (r assertionRow) assertion() store.Assertion {
	return store.Assertion{AssertionID: r.AssertionID, Product: r.Product, URL: r.URL,
		ExpectedRelease: r.ExpectedRelease, Comment: r.Comment, DataVersion: r.DataVersion}
}

// assertionHistoryRow is an assertions_history row; a marker row (before an
// insert, after a delete) carries only assertion_id.
type assertionHistoryRow struct {
	History         historyMeta `gorm:"embedded"`
	AssertionID     int         `gorm:"column:assertion_id"`
	Product         *string     `gorm:"column:product"`
	URL             *string     `gorm:"column:url"`
	ExpectedRelease *string     `gorm:"column:expected_release"`
	Comment         *string     `gorm:"column:comment"`
	DataVersion     *int        `gorm:"column:data_version"`
}

func (assertionHistoryRow) TableName() string { return "assertions_history" }

func assertionHistoryOf(meta historyMeta, a store.Assertion) assertionHistoryRow {
	product, url, dv := a.Product, a.URL, a.DataVersion
	return assertionHistoryRow{History: meta, AssertionID: a.AssertionID, Product: &product, URL: &url,
		ExpectedRelease: a.ExpectedRelease, Comment: a.Comment, DataVersion: &dv}
}

// assertionOverrideRow is an assertion_overrides row.
type assertionOverrideRow struct {
	OverrideID      int     `gorm:"column:override_id;primaryKey;autoIncrement"`
	ChangedBy       string  `gorm:"column:changed_by"`
	Timestamp       int64   `gorm:"column:timestamp"`
	Request         string  `gorm:"column:request"`
	AssertionID     int     `gorm:"column:assertion_id"`
	Product         string  `gorm:"column:product"`
	URL             string  `gorm:"column:url"`
	ExpectedRelease *string `gorm:"column:expected_release"`
	ActualRelease   *string `gorm:"column:actual_release"`
}

func (assertionOverrideRow) TableName() string { return "assertion_overrides" }

// Assertion reads one assertion.
func (t *AdminTx) Assertion(id int) (store.Assertion, error) {
	var row assertionRow
	if err := t.tx.Where("assertion_id = ?", id).Take(&row).Error; err != nil {
		return store.Assertion{}, dbErr(fmt.Sprintf("assertion %d", id), err)
	}
	return row.assertion(), nil
}

// Assertions lists assertions by id: all of them when all is set, else
// those of products.
func (t *AdminTx) Assertions(products []string, all bool) ([]store.Assertion, error) {
	q := t.tx.Order("assertion_id")
	if !all {
		if len(products) == 0 {
			return nil, nil
		}
		q = q.Where("product IN ?", products)
	}
	var rows []assertionRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, unavailable("list assertions", err)
	}
	out := make([]store.Assertion, len(rows))
	for i, r := range rows {
		out[i] = r.assertion()
	}
	return out, nil
}

// InsertAssertion creates an assertion (data_version 1) with its history
// rows and returns its id.
func (t *AdminTx) InsertAssertion(a store.Assertion) (int, error) {
	row := assertionRow{Product: a.Product, URL: a.URL, ExpectedRelease: a.ExpectedRelease, Comment: a.Comment, DataVersion: 1}
	if err := t.create("insert assertion", &row); err != nil {
		return 0, err
	}
	marker, full := t.insertMetas()
	hist := []assertionHistoryRow{{History: marker, AssertionID: row.AssertionID}, assertionHistoryOf(full, row.assertion())}
	if err := t.create("insert assertion history", &hist); err != nil {
		return 0, err
	}
	return row.AssertionID, nil
}

// UpdateAssertion replaces assertion a.AssertionID, guarded by oldVersion,
// and returns the new data_version.
func (t *AdminTx) UpdateAssertion(a store.Assertion, oldVersion int) (int, error) {
	a.DataVersion = oldVersion + 1
	res := t.tx.Model(&assertionRow{}).Where("assertion_id = ? AND data_version = ?", a.AssertionID, oldVersion).
		Updates(map[string]any{"product": a.Product, "url": a.URL, "expected_release": a.ExpectedRelease,
			"comment": a.Comment, "data_version": a.DataVersion})
	if err := guarded(fmt.Sprintf("update assertion %d", a.AssertionID), res); err != nil {
		return 0, err
	}
	hist := assertionHistoryOf(t.meta(), a)
	return a.DataVersion, t.create("update assertion history", &hist)
}

// DeleteAssertion deletes an assertion, guarded by version, and writes the
// marker row.
func (t *AdminTx) DeleteAssertion(id, version int) error {
	res := t.tx.Where("assertion_id = ? AND data_version = ?", id, version).Delete(&assertionRow{})
	if err := guarded(fmt.Sprintf("delete assertion %d", id), res); err != nil {
		return err
	}
	hist := assertionHistoryRow{History: t.meta(), AssertionID: id}
	return t.create("delete assertion history", &hist)
}

// AssertionHistory lists an assertion's revisions (marker rows left out),
// newest first.
func (t *AdminTx) AssertionHistory(id int) ([]store.AssertionRevision, error) {
	var rows []assertionHistoryRow
	err := t.tx.Where("assertion_id = ? AND data_version IS NOT NULL", id).Order("timestamp DESC, change_id DESC").Find(&rows).Error
	if err != nil {
		return nil, unavailable("read assertion history", err)
	}
	out := make([]store.AssertionRevision, len(rows))
	for i, h := range rows {
		out[i] = store.AssertionRevision{
			Change: store.Change{ChangeID: h.History.ChangeID, ChangedBy: h.History.ChangedBy, Timestamp: h.History.Timestamp},
			Assertion: store.Assertion{AssertionID: h.AssertionID, Product: deref(h.Product), URL: deref(h.URL),
				ExpectedRelease: h.ExpectedRelease, Comment: h.Comment, DataVersion: *h.DataVersion},
		}
	}
	return out, nil
}

// InsertAssertionOverrides records the broken assertions of a write made
// anyway, attributed to the acting user, now.
func (t *AdminTx) InsertAssertionOverrides(request string, broken []store.AssertionOverride) error {
	if len(broken) == 0 {
		return nil
	}
	meta := t.meta()
	rows := make([]assertionOverrideRow, len(broken))
	for i, b := range broken {
		rows[i] = assertionOverrideRow{ChangedBy: meta.ChangedBy, Timestamp: meta.Timestamp, Request: request,
			AssertionID: b.Assertion.AssertionID, Product: b.Assertion.Product, URL: b.Assertion.URL,
			ExpectedRelease: b.Assertion.ExpectedRelease, ActualRelease: b.ActualRelease}
	}
	return t.create("insert assertion overrides", &rows)
}

// AssertionOverrides lists recorded overrides, newest first; a non-nil
// assertionID keeps only that assertion's.
func (t *AdminTx) AssertionOverrides(assertionID *int) ([]store.AssertionOverride, error) {
	q := t.tx.Order("override_id DESC")
	if assertionID != nil {
		q = q.Where("assertion_id = ?", *assertionID)
	}
	var rows []assertionOverrideRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, unavailable("read assertion overrides", err)
	}
	out := make([]store.AssertionOverride, len(rows))
	for i, r := range rows {
		out[i] = store.AssertionOverride{OverrideID: r.OverrideID, ChangedBy: r.ChangedBy, Timestamp: r.Timestamp,
			Request: r.Request, ActualRelease: r.ActualRelease,
			Assertion: store.Assertion{AssertionID: r.AssertionID, Product: r.Product, URL: r.URL, ExpectedRelease: r.ExpectedRelease}}
	}
	return out, nil
}

// deref returns *s, or "" for nil.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
