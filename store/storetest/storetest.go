// Package storetest gives tests fresh databases: an SQLite file always, and a
// MariaDB/MySQL database when BALROG_TEST_MYSQL names a server, e.g.
// mysql://root@127.0.0.1:3306/ (CI always sets it).
package storetest

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// EnvMySQL names the environment variable that enables the MySQL tests.
const EnvMySQL = "BALROG_TEST_MYSQL"

// Database is a fresh, empty database for one test.
type Database struct {
	// Name is "sqlite" or "mysql", for subtest names.
	Name string
	// URL is the SQLAlchemy-style URL that the store opens.
	URL string
}

// Databases returns a fresh SQLite database and, when configured, a fresh
// MySQL database, each removed when the test ends.
func Databases(t testing.TB) []Database {
	t.Helper()
	dbs := []Database{SQLite(t)}
	if os.Getenv(EnvMySQL) != "" {
		dbs = append(dbs, MySQL(t))
	}
	return dbs
}

// SQLite returns the URL of a new SQLite file in the test's temp directory.
func SQLite(t testing.TB) Database {
	t.Helper()
	path := filepath.Join(t.TempDir(), "balrog.db")
	return Database{Name: "sqlite", URL: "sqlite:///" + path}
}

// MySQL creates a uniquely named database on the server named by
// BALROG_TEST_MYSQL and drops it when the test ends. It skips the test when
// the variable is unset.
func MySQL(t testing.TB) Database {
	t.Helper()
	server := os.Getenv(EnvMySQL)
	if server == "" {
		t.Skip(EnvMySQL + " is not set; MySQL tests skipped")
	}
	u, err := url.Parse(server)
	if err != nil || u.Host == "" {
		t.Fatalf("%s=%q: want mysql://USER[:PASS]@HOST[:PORT]/", EnvMySQL, server)
	}
	admin, err := sql.Open("mysql", dsn(u, ""))
	if err != nil {
		t.Fatalf("open MySQL server: %v", err)
	}
	defer admin.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "balrog_test_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4"); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		drop, err := sql.Open("mysql", dsn(u, ""))
		if err != nil {
			return
		}
		defer drop.Close()
		_, _ = drop.Exec("DROP DATABASE IF EXISTS `" + name + "`")
	})
	dbURL := *u
	dbURL.Path = "/" + name
	return Database{Name: "mysql", URL: dbURL.String()}
}

// dsn is the go-sql-driver DSN of the server in u, on database db.
func dsn(u *url.URL, db string) string {
	cfg := mysql.NewConfig()
	cfg.Net = "tcp"
	cfg.Addr = u.Host
	if !strings.Contains(u.Host, ":") {
		cfg.Addr = u.Host + ":3306"
	}
	if u.User != nil {
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
	}
	cfg.DBName = db
	return cfg.FormatDSN()
}
