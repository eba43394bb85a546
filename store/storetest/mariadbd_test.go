package storetest

import (
	"testing"
)

// TestPrivateMariaDBRestarts kills the private server and starts it again on
// the same port and data directory: committed rows survive, and queries fail
// while it is down.
func TestPrivateMariaDBRestarts(t *testing.T) {
	m := PrivateMariaDB(t)
	m.CreateDatabase("restart")
	db := m.Open("restart")
	if _, err := db.Exec("CREATE TABLE t (id INT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	m.Stop()
	if err := db.Ping(); err == nil {
		t.Fatal("ping succeeded while mariadbd was stopped")
	}
	m.Start()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM t").Scan(&n); err != nil || n != 1 {
		t.Fatalf("after restart: %d rows, %v", n, err)
	}
}
