package gormstore

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/balrog-go/balrog/migrations"
	"github.com/balrog-go/balrog/rules"
	"github.com/balrog-go/balrog/store"
	"github.com/balrog-go/balrog/store/storetest"
)

// TestTxOutcomeWhenDatabaseGoes: a transaction whose statement fails on a
// lost database is not made and says so (ErrUnavailable); one whose
// database goes away before its commit could be answered says the outcome
// is unknown (ErrCommitUnknown), and after recovery it is whole or absent.
func TestTxOutcomeWhenDatabaseGoes(t *testing.T) {
	m := storetest.PrivateMariaDB(t)
	ctx := context.Background()
	db, err := Open(ctx, m.CreateDatabase("balrog"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx, migrations.Pre); err != nil {
		t.Fatal(err)
	}
	st := NewAdminStore(db)
	alias := "gone"
	product, channel := "Firefox", "fault"
	rule := rules.Rule{Alias: &alias, Product: &product, Channel: &channel, Priority: new(int), BackgroundRate: new(int), UpdateType: "minor"}

	// The database goes before the statement.
	err = st.Tx(ctx, "tester", func(tx *AdminTx) error {
		m.Stop()
		_, err := tx.InsertRule(rule)
		return err
	})
	if !errors.Is(err, store.ErrUnavailable) || errors.Is(err, store.ErrCommitUnknown) {
		t.Errorf("statement on a stopped database: %v, want ErrUnavailable only", err)
	}
	m.Start()

	// The database goes between the statements and the commit.
	err = st.Tx(ctx, "tester", func(tx *AdminTx) error {
		if _, err := tx.InsertRule(rule); err != nil {
			return err
		}
		m.Stop()
		return nil
	})
	if !errors.Is(err, store.ErrCommitUnknown) || !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("commit on a stopped database: %v, want ErrCommitUnknown and ErrUnavailable", err)
	}
	m.Start()
	var rulesN, history int
	if err := db.SQL().QueryRow("SELECT COUNT(*) FROM rules WHERE alias = ?", alias).Scan(&rulesN); err != nil {
		t.Fatal(err)
	}
	if err := db.SQL().QueryRow("SELECT COUNT(*) FROM rules_history h JOIN rules r ON r.rule_id = h.rule_id WHERE r.alias = ?", alias).Scan(&history); err != nil {
		t.Fatal(err)
	}
	if rulesN != 0 || history != 0 {
		t.Errorf("after a commit the database never answered: %d rules, %d history rows; want none (the server never got COMMIT)", rulesN, history)
	}
}

func TestUnavailableClassifies(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{mysql.ErrInvalidConn, true},
		{&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, true},
		{&mysql.MySQLError{Number: 1213, Message: "Deadlock found"}, true},
		{&mysql.MySQLError{Number: 1053, Message: "Server shutdown in progress"}, true},
		{&mysql.MySQLError{Number: 1406, Message: "Data too long"}, false},
		{&mysql.MySQLError{Number: 1064, Message: "syntax error"}, false},
	}
	for _, tt := range tests {
		if got := errors.Is(unavailable("write", tt.err), store.ErrUnavailable); got != tt.want {
			t.Errorf("%v: ErrUnavailable %v, want %v", tt.err, got, tt.want)
		}
	}
}

// TestDriverMessagesLogged: the MySQL driver's own messages (here, a pooled
// connection found dead after the server restarted) go to Options.Log.
func TestDriverMessagesLogged(t *testing.T) {
	m := storetest.PrivateMariaDB(t)
	ctx := context.Background()
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	db, err := Open(ctx, m.CreateDatabase("balrog"), Options{Log: log})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	m.Stop()
	m.Start()
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("ping after the restart: %v", err)
	}
	if !strings.Contains(buf.String(), "level=WARN msg=\"mysql driver: ") {
		t.Errorf("no driver message in the log:\n%s", buf.String())
	}
}
