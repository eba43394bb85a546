package gormstore

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Dialect names the SQL dialect of a database.
type Dialect string

const (
	// MySQL is MySQL or MariaDB.
	MySQL Dialect = "mysql"
	// SQLite is the embedded SQLite file.
	SQLite Dialect = "sqlite"
)

// Target is a parsed database URL.
type Target struct {
	Dialect Dialect
	// DSN is what the driver opens: a go-sql-driver/mysql DSN or a SQLite
	// file path with its pragmas.
	DSN string
	// Display is the URL with any password masked, for logs and errors.
	Display string
}

// ParseURL reads a SQLAlchemy-style database URL: mysql://USER:PASS@HOST[:PORT]/DB
// (mysql+DRIVER:// is accepted too) or sqlite:///relative.db / sqlite:////absolute.db.
func ParseURL(raw string) (Target, error) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return Target{}, fmt.Errorf("database URL %q: want mysql://USER:PASS@HOST[:PORT]/DB or sqlite:///PATH", raw)
	}
	base, _, _ := strings.Cut(scheme, "+")
	switch base {
	case "sqlite":
		return parseSQLite(rest)
	case "mysql", "mariadb":
		return parseMySQL(raw)
	default:
		return Target{}, fmt.Errorf("database URL: unsupported scheme %q (want mysql or sqlite)", scheme)
	}
}

func parseSQLite(rest string) (Target, error) {
	// SQLAlchemy: sqlite:///rel.db → "rel.db"; sqlite:////abs.db → "/abs.db".
	if !strings.HasPrefix(rest, "/") {
		return Target{}, fmt.Errorf("database URL sqlite://%s: want sqlite:///relative/path.db or sqlite:////absolute/path.db", rest)
	}
	path, query, _ := strings.Cut(rest[1:], "?")
	if path == "" || path == ":memory:" {
		return Target{}, fmt.Errorf("database URL sqlite://%s: a file path is required (an in-memory database is not shared between connections)", rest)
	}
	params := url.Values{}
	params.Add("_pragma", "busy_timeout(10000)")
	params.Add("_pragma", "journal_mode(WAL)")
	params.Add("_pragma", "synchronous(NORMAL)")
	params.Set("_txlock", "immediate")
	if query != "" {
		extra, err := url.ParseQuery(query)
		if err != nil {
			return Target{}, fmt.Errorf("database URL sqlite: bad query %q: %w", query, err)
		}
		for k, vs := range extra {
			params[k] = append(params[k], vs...)
		}
	}
	return Target{
		Dialect: SQLite,
		DSN:     "file:" + path + "?" + params.Encode(),
		Display: "sqlite:///" + path,
	}, nil
}

func parseMySQL(raw string) (Target, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Target{}, fmt.Errorf("database URL: %w", err)
	}
	db := strings.TrimPrefix(u.Path, "/")
	if db == "" || strings.Contains(db, "/") {
		return Target{}, fmt.Errorf("database URL %s: want exactly one database name after the host", u.Redacted())
	}
	host := u.Host
	if host == "" {
		return Target{}, fmt.Errorf("database URL %s: a host is required", u.Redacted())
	}
	if _, _, err := net.SplitHostPort(host); err != nil {
		host = net.JoinHostPort(strings.Trim(host, "[]"), "3306")
	}
	var cred string
	if u.User != nil {
		cred = u.User.Username()
		if p, ok := u.User.Password(); ok {
			cred += ":" + p
		}
		cred += "@"
	}
	params := url.Values{}
	params.Set("clientFoundRows", "true")
	params.Set("charset", "utf8mb4")
	params.Set("maxAllowedPacket", "0") // ask the server; large release blobs need it
	for k, vs := range u.Query() {
		params[k] = vs
	}
	return Target{
		Dialect: MySQL,
		DSN:     fmt.Sprintf("%stcp(%s)/%s?%s", cred, host, db, params.Encode()),
		Display: u.Redacted(),
	}, nil
}
