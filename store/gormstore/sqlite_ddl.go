package gormstore

import (
	"fmt"
	"io/fs"
	"regexp"
	"strings"
	"testing/fstest"
)

// The migration files are written once, in MySQL's dialect. SQLite accepts
// most of it (back-quoted names, VARCHAR(n), BIGINT, LONGTEXT, TINYINT(1),
// JSON); what it does not is rewritten here, so the two dialects cannot drift.

var (
	autoIncrementCol = regexp.MustCompile("^(\\s*)(`\\w+`) INT NOT NULL AUTO_INCREMENT(,?)$")
	primaryKeyLine   = regexp.MustCompile("^\\s*PRIMARY KEY \\((`\\w+`)\\),?$")
	uniqueKeyLine    = regexp.MustCompile("^(\\s*)UNIQUE KEY (`\\w+`) (\\(.*\\))(,?)$")
	engineSuffix     = regexp.MustCompile(`\)\s*ENGINE=\w+[^;]*;`)
	dropIndexOn      = regexp.MustCompile("(?m)^DROP INDEX (`\\w+`) ON `\\w+`;")
)

// sqliteDDL rewrites a MySQL migration file for SQLite.
func sqliteDDL(src string) string {
	lines := strings.Split(src, "\n")
	autoCol := ""
	for _, l := range lines {
		if m := autoIncrementCol.FindStringSubmatch(l); m != nil {
			autoCol = m[2]
		}
	}
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		if m := autoIncrementCol.FindStringSubmatch(l); m != nil {
			out = append(out, m[1]+m[2]+" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT"+m[3])
			continue
		}
		if m := primaryKeyLine.FindStringSubmatch(l); m != nil && m[1] == autoCol {
			// The key moved onto the column; drop the comma this line's
			// predecessor needed only for it.
			if !strings.HasSuffix(strings.TrimSpace(l), ",") && len(out) > 0 {
				out[len(out)-1] = strings.TrimSuffix(out[len(out)-1], ",")
			}
			continue
		}
		if m := uniqueKeyLine.FindStringSubmatch(l); m != nil {
			out = append(out, m[1]+"CONSTRAINT "+m[2]+" UNIQUE "+m[3]+m[4])
			continue
		}
		out = append(out, l)
	}
	joined := engineSuffix.ReplaceAllString(strings.Join(out, "\n"), ");")
	return dropIndexOn.ReplaceAllString(joined, "DROP INDEX $1;")
}

// sqliteFS returns the migration files of src rewritten for SQLite.
func sqliteFS(src fs.FS) (fs.FS, error) {
	names, err := fs.Glob(src, "*.sql")
	if err != nil {
		return nil, err
	}
	out := fstest.MapFS{}
	for _, n := range names {
		b, err := fs.ReadFile(src, n)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", n, err)
		}
		out[n] = &fstest.MapFile{Data: []byte(sqliteDDL(string(b))), Mode: 0o444}
	}
	return out, nil
}
