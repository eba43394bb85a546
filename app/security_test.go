package app

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/balrog-go/balrog/store/storetest"
)

// TestSecurityHeaders: public and admin answers, successes and errors,
// carry HSTS (also when the request came through a TLS-terminating load
// balancer, X-Forwarded-Proto: https), nosniff and a CSP that forbids
// framing. The admin API also sends X-Frame-Options: DENY; the public role
// sends exactly Balrog's headers (public.md §2.5, compared by the
// conformance corpus), where framing is refused by CSP frame-ancestors.
func TestSecurityHeaders(t *testing.T) {
	s := startServe(t, storetest.SQLite(t).URL, "--auth", "dev", "--admin-rate-limit", "1", "--admin-rate-burst", "30")
	const csp = "default-src 'none'; frame-ancestors 'none'"
	common := map[string]string{
		"Strict-Transport-Security": "max-age=31536000;",
		"X-Content-Type-Options":    "nosniff",
		"Content-Security-Policy":   csp,
	}
	tests := []struct {
		role, method, path string
		status             int
		frameOptions       string
	}{
		{"public", "GET", "/update/6/Firefox/66.0/20190311211048/WINNT_x86-msvc/en-US/release/Windows_NT%2010.0.0.0/ISET:SSE4_2,MEM:16384/default/default/update.xml", 200, ""},
		{"public", "GET", "/api/v1/rules", 200, ""},
		{"public", "GET", "/api/v1/releases/nope", 404, ""},
		{"public", "GET", "/nope", 404, ""},
		{"public", "GET", "/update/" + strings.Repeat("x", maxURLBytes), 414, ""},
		{"admin", "GET", "/rules", 200, "DENY"},
		{"admin", "GET", "/nope", 404, "DENY"},
		{"admin", "PATCH", "/rules", 405, "DENY"},
		{"admin", "POST", "/rules", 400, "DENY"},
	}
	for _, tt := range tests {
		for _, proto := range []string{"https", ""} {
			t.Run(fmt.Sprintf("%s %s %.40s %s", tt.role, tt.method, tt.path, proto), func(t *testing.T) {
				req, _ := http.NewRequest(tt.method, "http://"+s.addr(tt.role)+tt.path, strings.NewReader("{}"))
				req.Header.Set("X-Balrog-Dev-User", "balrogadmin")
				if proto != "" {
					req.Header.Set("X-Forwarded-Proto", proto)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tt.status {
					t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
				}
				for k, v := range common {
					if got := resp.Header.Get(k); got != v {
						t.Errorf("%s = %q, want %q", k, got, v)
					}
				}
				if got := resp.Header.Get("X-Frame-Options"); got != tt.frameOptions {
					t.Errorf("X-Frame-Options = %q, want %q", got, tt.frameOptions)
				}
			})
		}
	}
	// A rate-limited answer carries them too.
	var last *http.Response
	for range 40 {
		resp, err := http.Get("http://" + s.addr("admin") + "/rules")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		last = resp
		if resp.StatusCode == http.StatusTooManyRequests {
			break
		}
	}
	if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("X-Frame-Options") != "DENY" || last.Header.Get("Content-Security-Policy") != csp {
		t.Errorf("429: %d %v", last.StatusCode, last.Header)
	}
}

func TestRequireLoopback(t *testing.T) {
	tests := []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:9000", true},
		{"127.1.2.3:9000", true},
		{"[::1]:9000", true},
		{"localhost:9000", true},
		{"0.0.0.0:9000", false},
		{"[::]:9000", false},
		{":9000", false},
		{"10.0.0.5:9000", false},
		{"balrog.example.com:9000", false},
	}
	for _, tt := range tests {
		err := requireLoopback(tt.addr)
		if (err == nil) != tt.ok {
			t.Errorf("requireLoopback(%q) = %v, want ok %v", tt.addr, err, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "--auth=dev is refused") {
			t.Errorf("requireLoopback(%q): unclear error %v", tt.addr, err)
		}
	}
}

// secretsAbsent fails the test if out contains any of the secrets.
func secretsAbsent(t *testing.T, what, out string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("%s contains the secret %q:\n%s", what, s, out)
		}
	}
}

// TestSecretsNotLoggedAtStart: a database password in --db does not appear
// in what serve prints when the database cannot be reached.
func TestSecretsNotLoggedAtStart(t *testing.T) {
	const password = "S3cret-Db-Passw0rd"
	r := runCmd(t, nil, "serve", "--db", "mysql://balrog:"+password+"@127.0.0.1:1/balrog", "--log-level", "debug",
		"--public-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--agent-addr", "127.0.0.1:0")
	if r.code == 0 {
		t.Fatal("serve started without its database")
	}
	if !strings.Contains(r.stderr, "127.0.0.1:1") {
		t.Errorf("the error does not name the database: %s", r.stderr)
	}
	secretsAbsent(t, "serve's output", r.stdout+r.stderr, password)
}

// TestSecretsNotLoggedWhileServing runs every role at debug level against a
// database user with a password, sends admin requests with bearer tokens,
// and takes the database away so that errors are logged: neither the
// password nor a token appears in the log.
func TestSecretsNotLoggedWhileServing(t *testing.T) {
	const (
		password = "S3cret-Db-Passw0rd"
		token    = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzZWNyZXQtdG9rZW4ifQ.c2lnbmF0dXJlLXNlY3JldA"
	)
	m := storetest.PrivateMariaDB(t)
	m.CreateDatabase("balrog")
	root := m.Open("")
	for _, q := range []string{
		"CREATE USER 'balrog'@'localhost' IDENTIFIED BY '" + password + "'",
		"CREATE USER 'balrog'@'127.0.0.1' IDENTIFIED BY '" + password + "'",
		"GRANT ALL ON balrog.* TO 'balrog'@'localhost'",
		"GRANT ALL ON balrog.* TO 'balrog'@'127.0.0.1'",
	} {
		if _, err := root.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	url := fmt.Sprintf("mysql://balrog:%s@127.0.0.1:%d/balrog", password, m.Port())
	migrate := runCmd(t, nil, "migrate", "pre", "--db", url)
	if migrate.code != 0 {
		t.Fatalf("migrate pre: %s", migrate.stderr)
	}
	secretsAbsent(t, "migrate's output", migrate.stdout+migrate.stderr, password)
	s := startServe(t, url, "--log-level", "debug", "--oidc-issuer", "https://auth.example.invalid/",
		"--oidc-audience", "balrog", "--oidc-jwks-url", "http://127.0.0.1:1/jwks.json", "--refresh-interval", "100ms", "--agent-interval", "100ms")
	send := func() {
		for _, path := range []string{"/rules", "/releases", "/users/someone/permissions"} {
			req, _ := http.NewRequest("GET", "http://"+s.addr("admin")+path, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			req, _ = http.NewRequest("POST", "http://"+s.addr("admin")+"/rules", strings.NewReader(`{"product": "Firefox"}`))
			req.Header.Set("Authorization", "Bearer "+token)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
		get(t, "http://"+s.addr("public")+"/api/v1/rules")
	}
	send()
	m.Stop()
	send()
	time.Sleep(300 * time.Millisecond) // refresh and agent passes fail and log
	m.Start()
	send()
	if code := s.stop(t); code != 0 {
		t.Errorf("serve exited %d", code)
	}
	log := s.stderr.String()
	if !strings.Contains(log, "admin request") || !strings.Contains(log, "refreshing the snapshot failed") {
		t.Fatalf("the log lacks the request and outage records this test looks through:\n%s", log)
	}
	secretsAbsent(t, "the log", log, password, token, "c2lnbmF0dXJlLXNlY3JldA")
}
