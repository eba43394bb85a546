package gormstore

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"gorm.io/gorm"

	"github.com/balrog-go/balrog/store"
)

// AdminStore runs the admin API's writes: one transaction per request, with
// the history rows of every change (schema.md §2.2) attributed to the acting
// user, and history timestamps that strictly increase within the process so
// that listings ordered by timestamp are stable.
type AdminStore struct {
	db *DB

	mu   sync.Mutex
	last int64
}

// NewAdminStore returns the admin store of db.
func NewAdminStore(db *DB) *AdminStore { return &AdminStore{db: db} }

// stamp returns a history timestamp in milliseconds, at least two more than
// the previous one, so that an insert's marker row (stamp-1) also sorts
// after every earlier row.
func (s *AdminStore) stamp() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.db.nowMillis()
	if now < s.last+2 {
		now = s.last + 2
	}
	s.last = now
	return now
}

// AdminTx is one admin transaction, acting as User.
type AdminTx struct {
	tx    *gorm.DB
	store *AdminStore
	// User is written to changed_by of every history row.
	User string
	// served collects what the writes may change in public answers; it is
	// shared by the As copies of the transaction.
	served *servedSet
}

// Tx runs fn in one transaction acting as user. The transaction commits when
// fn returns nil and rolls back otherwise; fn's error is returned unchanged
// (so callers can match their own error types), database failures wrapped
// with store.ErrUnavailable.
//
// When the commit itself fails (the database went away while committing),
// nobody can tell whether the transaction was made: the error is then
// store.ErrCommitUnknown as well.
func (s *AdminStore) Tx(ctx context.Context, user string, fn func(*AdminTx) error) error {
	var fnErr error
	ran := false
	err := s.db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		ran = true
		fnErr = fn(&AdminTx{tx: tx, store: s, User: user, served: &servedSet{}})
		return fnErr
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil && ran {
		return fmt.Errorf("admin transaction: commit: %w: %w: %w", store.ErrCommitUnknown, store.ErrUnavailable, err)
	}
	if err != nil {
		return unavailable("admin transaction", err)
	}
	return nil
}

// meta returns the history columns of a full row written now.
func (t *AdminTx) meta() historyMeta {
	return historyMeta{ChangedBy: t.User, Timestamp: t.store.stamp()}
}

// insertMetas returns the history columns of an insert's marker row and of
// its full row (one millisecond later).
func (t *AdminTx) insertMetas() (marker, full historyMeta) {
	full = t.meta()
	marker = historyMeta{ChangedBy: t.User, Timestamp: full.Timestamp - 1}
	return marker, full
}

// dbErr wraps a database failure; a missing row becomes store.ErrNotFound.
func dbErr(what string, err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return unavailable(what, err)
}

// guarded reports store.ErrOutdated when a version-guarded UPDATE or DELETE
// matched no row.
func guarded(what string, res *gorm.DB) error {
	if res.Error != nil {
		return unavailable(what, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("%s: %w", what, store.ErrOutdated)
	}
	return nil
}

// create inserts rows, wrapping failures.
func (t *AdminTx) create(what string, v any) error {
	if err := t.tx.Create(v).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return fmt.Errorf("%s: %w", what, store.ErrExists)
		}
		return unavailable(what, err)
	}
	return nil
}

// As returns the same transaction acting as user: the writes a scheduled
// change's enactment or merge makes are attributed to its scheduler.
func (t *AdminTx) As(user string) *AdminTx {
	return &AdminTx{tx: t.tx, store: t.store, User: user, served: t.served}
}

// View returns the database as this transaction sees it, for reads that
// must include its uncommitted writes (checking a change before it commits).
// It is valid until the transaction ends.
func (t *AdminTx) View() *DB {
	d := *t.store.db
	d.gorm = t.tx
	return &d
}
