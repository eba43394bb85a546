package storetest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Paths of the MariaDB programs a private server needs.
const (
	mariadbdPath  = "/usr/sbin/mariadbd"
	installDBPath = "/usr/bin/mariadb-install-db"
)

// MariaDB is a private mariadbd a test starts on its own port and data
// directory, so that it can take the database away (Stop) and bring it back
// (Start) while the code under test runs.
type MariaDB struct {
	t    testing.TB
	dir  string
	port int

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// PrivateMariaDB initialises a data directory in the test's temp directory
// and starts mariadbd on a free loopback port; the server is killed when the
// test ends. It skips the test when BALROG_TEST_MYSQL is unset or the
// MariaDB programs are not installed.
func PrivateMariaDB(t testing.TB) *MariaDB {
	t.Helper()
	if os.Getenv(EnvMySQL) == "" {
		t.Skip(EnvMySQL + " is not set; MySQL tests skipped")
	}
	for _, p := range []string{mariadbdPath, installDBPath} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s is not installed; private MariaDB tests skipped", p)
		}
	}
	dir := t.TempDir()
	install := exec.Command(installDBPath, "--no-defaults", "--datadir="+filepath.Join(dir, "data"),
		"--user=root", "--auth-root-authentication-method=normal", "--skip-test-db")
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	m := &MariaDB{t: t, dir: dir, port: port}
	t.Cleanup(m.Stop)
	m.Start()
	return m
}

// Start runs mariadbd on the server's port and data directory and waits
// until it answers queries.
func (m *MariaDB) Start() {
	m.t.Helper()
	m.mu.Lock()
	if m.cmd != nil {
		m.mu.Unlock()
		m.t.Fatal("mariadbd is already running")
	}
	logFile, err := os.OpenFile(filepath.Join(m.dir, "mariadbd.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		m.mu.Unlock()
		m.t.Fatal(err)
	}
	cmd := exec.Command(mariadbdPath, "--no-defaults",
		"--datadir="+filepath.Join(m.dir, "data"),
		"--port="+strconv.Itoa(m.port), "--bind-address=127.0.0.1",
		"--socket="+filepath.Join(m.dir, "mariadbd.sock"),
		"--pid-file="+filepath.Join(m.dir, "mariadbd.pid"),
		"--user=root",
		"--innodb-buffer-pool-size=32M", "--max-connections=200")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		m.mu.Unlock()
		logFile.Close()
		m.t.Fatalf("start mariadbd: %v", err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(done)
	}()
	m.cmd, m.done = cmd, done
	m.mu.Unlock()
	if err := m.waitReady(done); err != nil {
		log, _ := os.ReadFile(filepath.Join(m.dir, "mariadbd.log"))
		m.Stop()
		m.t.Fatalf("mariadbd on port %d: %v\n%s", m.port, err, log)
	}
}

// waitReady polls the server until a query succeeds, the process exits or
// a minute passes.
func (m *MariaDB) waitReady(done <-chan struct{}) error {
	db, err := sql.Open("mysql", m.dsn(""))
	if err != nil {
		return err
	}
	defer db.Close()
	deadline := time.Now().Add(time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := db.PingContext(ctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-done:
			return errors.New("mariadbd exited before it answered")
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer within a minute: %w", err)
		}
	}
}

// Stop kills mariadbd (SIGKILL, as a crash or a lost host) and waits until it
// has exited. Stopping a stopped server does nothing.
func (m *MariaDB) Stop() {
	m.mu.Lock()
	cmd, done := m.cmd, m.done
	m.cmd = nil
	m.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-done
}

// Port is the server's TCP port.
func (m *MariaDB) Port() int { return m.port }

// CreateDatabase creates an empty database and returns the URL the store
// opens for it.
func (m *MariaDB) CreateDatabase(name string) string {
	m.t.Helper()
	db, err := sql.Open("mysql", m.dsn(""))
	if err != nil {
		m.t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4"); err != nil {
		m.t.Fatalf("create database %s: %v", name, err)
	}
	return fmt.Sprintf("mysql://root@127.0.0.1:%d/%s", m.port, name)
}

// Open returns a connection pool on database name, closed when the test
// ends.
func (m *MariaDB) Open(name string) *sql.DB {
	m.t.Helper()
	db, err := sql.Open("mysql", m.dsn(name))
	if err != nil {
		m.t.Fatal(err)
	}
	m.t.Cleanup(func() { db.Close() })
	return db
}

func (m *MariaDB) dsn(db string) string {
	cfg := mysql.NewConfig()
	cfg.Net = "tcp"
	cfg.Addr = "127.0.0.1:" + strconv.Itoa(m.port)
	cfg.User = "root"
	cfg.DBName = db
	cfg.Timeout = 2 * time.Second
	return cfg.FormatDSN()
}
