package admin

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"
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
		{"network error outside the store (the OIDC issuer)", fmt.Errorf("verifying access token: %w", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}), 500, "Internal Server Error"},
		{"bad connection", fmt.Errorf("list rules: %w", driver.ErrBadConn), 503, "nothing was changed"},
		{"statement error", fmt.Errorf("insert rule: %w", &mysql.MySQLError{Number: 1406, Message: "Data too long"}), 500, "Internal Server Error"},
	}
	for _, tt := range tests {
		p := problemOf(tt.err, http.MethodPost)
		if p.Status != tt.status || !strings.Contains(p.Detail, tt.detail) {
			t.Errorf("%s: %d %q, want %d and %q", tt.name, p.Status, p.Detail, tt.status, tt.detail)
		}
	}
}
