package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/balrog-go/balrog/store"
)

// TestProblemOfDatabaseFailures: the database being away is a 503 that says
// nothing was changed; a commit cut off is a 503 that says the outcome is
// whole or nothing; an error the server reports about a statement stays a
// 500.
func TestProblemOfDatabaseFailures(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
		detail string
	}{
		{"unavailable", fmt.Errorf("read rules: %w: %w", store.ErrUnavailable, mysql.ErrInvalidConn), 503, "nothing was changed"},
		{"commit cut off", fmt.Errorf("commit: %w: %w: %w", store.ErrCommitUnknown, store.ErrUnavailable, errors.New("EOF")), 503, "entirely or not at all"},
		{"statement error", fmt.Errorf("insert rule: %w", &mysql.MySQLError{Number: 1406, Message: "Data too long"}), 500, "Internal Server Error"},
	}
	for _, tt := range tests {
		p := problemOf(tt.err, http.MethodPost)
		if p.Status != tt.status || !strings.Contains(p.Detail, tt.detail) {
			t.Errorf("%s: %d %q, want %d and %q", tt.name, p.Status, p.Detail, tt.status, tt.detail)
		}
	}
}
