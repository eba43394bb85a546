// Package gormstore is the database implementation of the store: gorm over
// MySQL/MariaDB or an embedded SQLite file, and the goose runner that owns
// the schema.
package gormstore

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	gomysql "github.com/go-sql-driver/mysql"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/balrog-go/balrog/metrics"
	"github.com/balrog-go/balrog/store"
)

// Options tune the connection pool.
type Options struct {
	// MaxOpenConns bounds open connections (MySQL); 0 means 32.
	MaxOpenConns int
	// ConnMaxLifetime recycles connections (MySQL); 0 means 60 s, as Balrog.
	ConnMaxLifetime time.Duration
	// Metrics receives the statement latencies and errors and the schema
	// steps applied; nil sends nothing.
	Metrics metrics.Sink
	// Log receives the MySQL driver's own messages (a connection lost,
	// a bad idle connection closed) at WARN; nil leaves them on the
	// driver's default logger (stderr).
	Log *slog.Logger
}

// DB is an open database.
type DB struct {
	gorm    *gorm.DB
	sql     *sql.DB
	target  Target
	nowFunc func() time.Time
	metrics metrics.Sink
}

// Open connects to the database named by a SQLAlchemy-style URL. It does not
// touch the schema.
func Open(ctx context.Context, rawURL string, opts Options) (*DB, error) {
	target, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	var dialector gorm.Dialector
	switch target.Dialect {
	case MySQL:
		cfg := mysql.Config{DSN: target.DSN, DontSupportRenameIndex: true}
		if opts.Log != nil {
			conn, err := mysqlWithLogger(target.DSN, opts.Log)
			if err != nil {
				return nil, fmt.Errorf("open %s: %w", target.Display, err)
			}
			cfg = mysql.Config{Conn: conn, DontSupportRenameIndex: true}
		}
		dialector = mysql.New(cfg)
	case SQLite:
		dialector = sqlite.Open(target.DSN)
	}
	g, err := gorm.Open(dialector, &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		PrepareStmt:            false,
	})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w: %w", target.Display, store.ErrUnavailable, err)
	}
	m := opts.Metrics
	if m == nil {
		m = metrics.Discard{}
	}
	if err := observeQueries(g, m); err != nil {
		return nil, fmt.Errorf("open %s: query metrics: %w", target.Display, err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", target.Display, err)
	}
	switch target.Dialect {
	case MySQL:
		n := opts.MaxOpenConns
		if n <= 0 {
			n = 32
		}
		life := opts.ConnMaxLifetime
		if life <= 0 {
			life = 60 * time.Second
		}
		sqlDB.SetMaxOpenConns(n)
		sqlDB.SetMaxIdleConns(n / 2)
		sqlDB.SetConnMaxLifetime(life)
		sqlDB.SetConnMaxIdleTime(life)
	case SQLite:
		// WAL lets readers run beside the one writer; writers queue on the
		// busy timeout. A small pool keeps file handles bounded.
		sqlDB.SetMaxOpenConns(8)
		sqlDB.SetMaxIdleConns(8)
	}
	return &DB{gorm: g, sql: sqlDB, target: target, nowFunc: time.Now, metrics: m}, nil
}

// mysqlWithLogger opens a pool on dsn whose driver messages go to log.
func mysqlWithLogger(dsn string, log *slog.Logger) (*sql.DB, error) {
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	cfg.Logger = driverLog{log}
	connector, err := gomysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(connector), nil
}

// driverLog is the MySQL driver's logger, writing to slog.
type driverLog struct{ log *slog.Logger }

func (l driverLog) Print(v ...any) {
	l.log.Warn("mysql driver: " + strings.TrimSpace(fmt.Sprint(v...)))
}

// Dialect reports which database this is.
func (db *DB) Dialect() Dialect { return db.target.Dialect }

// String is the URL with any password masked.
func (db *DB) String() string { return db.target.Display }

// Close closes the connection pool.
func (db *DB) Close() error { return db.sql.Close() }

// Ping checks that the database answers a query.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.sql.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping %s: %w: %w", db.target.Display, store.ErrUnavailable, err)
	}
	return nil
}

// SQL exposes the pool to the migration runner and tests.
func (db *DB) SQL() *sql.DB { return db.sql }

// nowMillis is the history timestamp: milliseconds since the epoch.
func (db *DB) nowMillis() int64 { return db.nowFunc().UnixMilli() }
