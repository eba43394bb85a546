package gormstore

import (
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		url      string
		dialect  Dialect
		dsnHas   string
		display  string
		wantFail bool
	}{
		{url: "sqlite:///balrog.db", dialect: SQLite, dsnHas: "file:balrog.db?", display: "sqlite:///balrog.db"},
		{url: "sqlite:////var/lib/balrog.db", dialect: SQLite, dsnHas: "file:/var/lib/balrog.db?", display: "sqlite:////var/lib/balrog.db"},
		{url: "mysql://root@127.0.0.1/test", dialect: MySQL, dsnHas: "root@tcp(127.0.0.1:3306)/test?", display: "mysql://root@127.0.0.1/test"},
		{url: "mysql://u:secret@db:3307/balrog", dialect: MySQL, dsnHas: "u:secret@tcp(db:3307)/balrog?", display: "mysql://u:xxxxx@db:3307/balrog"},
		{url: "mysql+mysqldb://u:p@db/balrog", dialect: MySQL, dsnHas: "tcp(db:3306)/balrog"},
		{url: "postgres://x/y", wantFail: true},
		{url: "balrog.db", wantFail: true},
		{url: "sqlite://relative.db", wantFail: true},
		{url: "sqlite:///:memory:", wantFail: true},
		{url: "mysql://u@host", wantFail: true},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			got, err := ParseURL(tt.url)
			if tt.wantFail {
				if err == nil {
					t.Fatalf("ParseURL(%q) = %+v, want error", tt.url, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseURL(%q): %v", tt.url, err)
			}
			if got.Dialect != tt.dialect {
				t.Errorf("dialect = %q, want %q", got.Dialect, tt.dialect)
			}
			if !strings.Contains(got.DSN, tt.dsnHas) {
				t.Errorf("DSN = %q, want it to contain %q", got.DSN, tt.dsnHas)
			}
			if tt.display != "" && got.Display != tt.display {
				t.Errorf("Display = %q, want %q", got.Display, tt.display)
			}
			if strings.Contains(got.Display, "secret") {
				t.Errorf("Display %q leaks the password", got.Display)
			}
		})
	}
}
