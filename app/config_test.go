package app

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func flags(t *testing.T, args ...string) *pflag.FlagSet {
	t.Helper()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return fs
}

func TestConfigDefaults(t *testing.T) {
	c, err := LoadConfig(flags(t), environ(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.DB != "sqlite:///balrog.db" || c.PublicAddr != "127.0.0.1:9010" || c.AdminAddr != "127.0.0.1:9000" ||
		c.AgentAddr != "127.0.0.1:9020" || c.Auth != "oidc" || c.AgentInterval != 30*time.Second || c.LogFormat != "json" || c.StatsdAddr != "" {
		t.Errorf("defaults = %+v", c)
	}
}

func TestConfigPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "balrog.yaml")
	body := `db: sqlite:///from-file.db
public_addr: 127.0.0.1:1001
admin_addr: 127.0.0.1:1002
agent_interval: 1m
special_force_hosts: ["http://download.mozilla.org"]
system_accounts: [balrogagent]
m2m_accounts:
  8MQB51S7XgaswbpyprqcQjfOweiGm3h5: balrogagent
domain_allowlist:
  download.mozilla.org: [Firefox]
  www.google.com:
    '/dl/[\w]+\.crx3': [Widevine]
`
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"BALROG_CONFIG":      file,
		"DBURI":              "sqlite:///from-dburi.db",
		"BALROG_ADMIN_ADDR":  "127.0.0.1:2002",
		"BALROG_PUBLIC_ADDR": "127.0.0.1:2001",
	}
	c, err := LoadConfig(flags(t, "--public-addr", "127.0.0.1:3001"), environ(env))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"db (env DBURI over file)", c.DB, "sqlite:///from-dburi.db"},
		{"public-addr (flag over env)", c.PublicAddr, "127.0.0.1:3001"},
		{"admin-addr (env over file)", c.AdminAddr, "127.0.0.1:2002"},
		{"agent-interval (file over default)", c.AgentInterval.String(), "1m0s"},
		{"auth (default)", c.Auth, "oidc"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %q, want %q", ch.name, ch.got, ch.want)
		}
	}
	if c.M2MAccounts["8MQB51S7XgaswbpyprqcQjfOweiGm3h5"] != "balrogagent" {
		t.Errorf("m2m_accounts not read: %v", c.M2MAccounts)
	}
	if len(c.SpecialForceHosts) != 1 || len(c.SystemAccounts) != 1 || len(c.DomainAllowlist) != 2 {
		t.Errorf("non-scalar settings not read: %+v", c)
	} else if c.DomainAllowlist[0].Host != "download.mozilla.org" || len(c.DomainAllowlist[1].Paths) != 1 {
		t.Errorf("allowlist read out of order or without its paths: %+v", c.DomainAllowlist)
	}
	// BALROG_DB wins over Balrog's DBURI.
	env["BALROG_DB"] = "sqlite:///from-balrog-db.db"
	c, err = LoadConfig(flags(t), environ(env))
	if err != nil || c.DB != "sqlite:///from-balrog-db.db" {
		t.Errorf("BALROG_DB: %q, %v", c.DB, err)
	}
}

func TestConfigErrorsNameTheSetting(t *testing.T) {
	dir := t.TempDir()
	n := 0
	write := func(body string) string {
		n++
		p := filepath.Join(dir, fmt.Sprintf("c%d.yaml", n))
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"bad auth flag", []string{"--auth", "ldap"}, nil, "setting auth"},
		{"bad interval env", nil, map[string]string{"BALROG_AGENT_INTERVAL": "soon"}, "BALROG_AGENT_INTERVAL"},
		{"bad address", []string{"--public-addr", "nowhere"}, nil, "setting public-addr"},
		{"bad log format", []string{"--log-format", "xml"}, nil, "setting log-format"},
		{"sample above 1", []string{"--request-log-sample", "1.5"}, nil, "--request-log-sample"},
		{"sample not a number env", nil, map[string]string{"BALROG_REQUEST_LOG_SAMPLE": "half"}, "BALROG_REQUEST_LOG_SAMPLE"},
		{"memory limit unit", []string{"--memory-limit", "384 furlongs"}, nil, "--memory-limit"},
		{"memory limit negative", []string{"--memory-limit", "-1GiB"}, nil, "--memory-limit"},
		{"unknown file key", []string{"--config", write("colour: blue\n")}, nil, `unknown setting "colour"`},
		{"allowlist shape", []string{"--config", write("domain_allowlist:\n  a.org: 3\n")}, nil, "domain_allowlist"},
		{"bad regex", []string{"--config", write("domain_allowlist:\n  a.org:\n    '(unclosed': [X]\n")}, nil, "domain_allowlist"},
		{"bad file interval", []string{"--config", write("agent_interval: fast\n")}, nil, "agent_interval"},
		{"missing file", []string{"--config", filepath.Join(dir, "none.yaml")}, nil, "config file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadConfig(flags(t, tt.args...), environ(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestExampleConfigsLoad(t *testing.T) {
	files, _ := filepath.Glob("../configs/*.yaml")
	if len(files) < 3 {
		t.Fatalf("want local, stage and production examples, found %v", files)
	}
	for _, f := range files {
		c, err := LoadConfig(flags(t, "--config", f), environ(nil))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if len(c.DomainAllowlist) == 0 || len(c.SpecialForceHosts) == 0 || len(c.SystemAccounts) == 0 {
			t.Errorf("%s lacks the allowlist, force hosts or system accounts", f)
		}
	}
}

func TestDevAuthOnlyOnLoopback(t *testing.T) {
	for addr, ok := range map[string]bool{"127.0.0.1:9000": true, "[::1]:9000": true, "localhost:9000": true, "0.0.0.0:9000": false, "10.1.2.3:9000": false, ":9000": false} {
		if err := requireLoopback(addr); (err == nil) != ok {
			t.Errorf("requireLoopback(%s) = %v, want ok=%v", addr, err, ok)
		}
	}
}

func TestMemoryLimitSizes(t *testing.T) {
	for in, want := range map[string]int64{"": 0, "1048576": 1 << 20, "512B": 512, "384MiB": 384 << 20, "2GiB": 2 << 30, "400MB": 400e6} {
		c, err := LoadConfig(flags(t, "--memory-limit", in), environ(nil))
		if err != nil || c.MemoryLimit != want {
			t.Errorf("--memory-limit %q: %d, %v; want %d", in, c.MemoryLimit, err, want)
		}
	}
}
