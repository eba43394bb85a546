package app

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balrog-go/balrog/store/storetest"
)

func get(t *testing.T, u string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestServeEmbeddedDefault(t *testing.T) {
	d := storetest.SQLite(t)
	s := startServe(t, d.URL)
	for _, role := range []string{"public", "admin", "agent"} {
		base := "http://" + s.addr(role)
		if code, body, _ := get(t, base+"/__lbheartbeat__"); code != 200 || body != "OK!" {
			t.Errorf("%s lbheartbeat: %d %q", role, code, body)
		}
		if code, body, _ := get(t, base+"/__heartbeat__"); code != 200 {
			t.Errorf("%s heartbeat: %d %q", role, code, body)
		}
		code, body, hdr := get(t, base+"/__version__")
		var v BuildInfo
		if code != 200 || hdr.Get("Content-Type") != "application/json" || json.Unmarshal([]byte(body), &v) != nil || v.Version == "" || v.Commit == "" || v.Source == "" {
			t.Errorf("%s version: %d %q", role, code, body)
		}
	}
	// The admin heartbeat is Balrog's watchdog counter: it counts up.
	_, first, _ := get(t, "http://"+s.addr("admin")+"/__heartbeat__")
	_, second, _ := get(t, "http://"+s.addr("admin")+"/__heartbeat__")
	if first == second {
		t.Errorf("admin heartbeat did not advance the watchdog: %q then %q", first, second)
	}
	if code := s.stop(t); code != 0 {
		t.Errorf("serve exited %d after SIGTERM, want 0", code)
	}
}

func TestServeRefusesPendingPre(t *testing.T) {
	d := storetest.MySQL(t)
	r := runCmd(t, nil, "serve", "--db", d.URL, "--public-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--agent-addr", "127.0.0.1:0")
	if r.code == 0 || !strings.Contains(r.stderr, "balrog migrate pre") {
		t.Fatalf("serve on an unmigrated MySQL database: code %d, stderr %q", r.code, r.stderr)
	}
	if r := runCmd(t, nil, "migrate", "pre", "--db", d.URL); r.code != 0 {
		t.Fatalf("migrate pre: %s", r.stderr)
	}
	// post is still pending: serving is fine.
	s := startServe(t, d.URL, "--role", "public")
	if code, _, _ := get(t, "http://"+s.addr("public")+"/__heartbeat__"); code != 200 {
		t.Errorf("heartbeat %d after migrate pre", code)
	}
	if code := s.stop(t); code != 0 {
		t.Errorf("exit %d", code)
	}
	status := runCmd(t, nil, "migrate", "status", "--db", d.URL)
	if status.code != 0 || !strings.Contains(status.stdout, "post 00001 00001_drop_migrate_version") || !strings.Contains(status.stdout, "1 pending") {
		t.Errorf("migrate status: %d\n%s%s", status.code, status.stdout, status.stderr)
	}
}

// proxy forwards TCP to a target until it is cut, so a test can take the
// database away from a running server.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	cut    bool
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	go p.serve()
	t.Cleanup(p.Cut)
	return p
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		if p.cut {
			p.mu.Unlock()
			c.Close()
			up.Close()
			return
		}
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go func() { io.Copy(up, c); up.Close() }()
		go func() { io.Copy(c, up); c.Close() }()
	}
}

// Cut stops accepting and closes every forwarded connection.
func (p *proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	p.ln.Close()
	for _, c := range p.conns {
		c.Close()
	}
}

func TestHeartbeatFailsWhenDatabaseGoes(t *testing.T) {
	d := storetest.MySQL(t)
	if r := runCmd(t, nil, "migrate", "pre", "--db", d.URL); r.code != 0 {
		t.Fatalf("migrate pre: %s", r.stderr)
	}
	scenario := filepath.Join(sharedDir(t), "conformance", "scenarios", "firefox-modern")
	if r := runCmd(t, nil, "import", "--skip-validation", "--db", d.URL, scenario); r.code != 0 {
		t.Fatalf("import: %s", r.stderr)
	}
	u, _ := url.Parse(d.URL)
	px := newProxy(t, u.Host)
	u.Host = px.ln.Addr().String()
	s := startServe(t, u.String(), "--config", filepath.Join(scenario, "config.json"))
	for _, role := range []string{"public", "admin", "agent"} {
		if code, body, _ := get(t, "http://"+s.addr(role)+"/__heartbeat__"); code != 200 {
			t.Fatalf("%s heartbeat before the outage: %d %s", role, code, body)
		}
	}
	update := "http://" + s.addr("public") + "/update/6/Firefox/66.0/20190311211048/WINNT_x86-msvc/en-US/release/Windows_NT%2010.0.0.0/ISET:SSE4_2,MEM:16384/default/default/update.xml"
	code, before, _ := get(t, update)
	if code != 200 || !strings.Contains(before, "<update ") {
		t.Fatalf("update before the outage: %d %s", code, before)
	}
	px.Cut()
	// The public role keeps answering what it has loaded.
	for range 20 {
		if code, during, _ := get(t, update); code != 200 || during != before {
			t.Fatalf("update during the outage: %d %s", code, during)
		}
	}
	for _, role := range []string{"public", "admin", "agent"} {
		code, body, hdr := get(t, "http://"+s.addr(role)+"/__heartbeat__")
		var reason struct {
			Status string            `json:"status"`
			Checks map[string]string `json:"checks"`
		}
		if code != http.StatusServiceUnavailable || hdr.Get("Content-Type") != "application/json" ||
			json.Unmarshal([]byte(body), &reason) != nil || reason.Checks["database"] == "" {
			t.Errorf("%s heartbeat during the outage: %d %q", role, code, body)
		}
		if strings.Contains(body, "password") {
			t.Errorf("%s heartbeat body leaks credentials: %s", role, body)
		}
		// The process itself is up.
		if code, _, _ := get(t, "http://"+s.addr(role)+"/__lbheartbeat__"); code != 200 {
			t.Errorf("%s lbheartbeat during the outage: %d", role, code)
		}
	}
}

func TestDevAuthRefusedOffLoopback(t *testing.T) {
	d := storetest.SQLite(t)
	r := runCmd(t, nil, "serve", "--role", "admin", "--auth", "dev", "--db", d.URL, "--admin-addr", "0.0.0.0:0")
	if r.code == 0 || !strings.Contains(r.stderr, "loopback") {
		t.Fatalf("--auth=dev on 0.0.0.0: code %d, stderr %q", r.code, r.stderr)
	}
}
