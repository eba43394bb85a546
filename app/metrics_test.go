package app

import (
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balrog-go/balrog/store/storetest"
)

// statsdListener collects the DogStatsD lines sent to a UDP socket.
type statsdListener struct {
	pc    net.PacketConn
	mu    sync.Mutex
	lines []string
	done  chan struct{}
}

func listenStatsd(t *testing.T) *statsdListener {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &statsdListener{pc: pc, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		buf := make([]byte, 64<<10)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			l.mu.Lock()
			l.lines = append(l.lines, strings.Split(strings.TrimSpace(string(buf[:n])), "\n")...)
			l.mu.Unlock()
		}
	}()
	t.Cleanup(func() { pc.Close(); <-l.done })
	return l
}

func (l *statsdListener) addr() string { return l.pc.LocalAddr().String() }

// metric is one DogStatsD line without its value: name, type and tags in
// order.
type metric struct {
	name, typ string
	tags      []string
}

func (m metric) String() string { return m.name + "|" + m.typ + "|#" + strings.Join(m.tags, ",") }

// received parses the lines so far.
func (l *statsdListener) received(t *testing.T) []metric {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []metric
	for _, line := range l.lines {
		name, rest, ok := strings.Cut(line, ":")
		parts := strings.Split(rest, "|")
		if !ok || len(parts) < 2 {
			t.Fatalf("not a DogStatsD line: %q", line)
		}
		m := metric{name: name, typ: parts[1]}
		for _, p := range parts[2:] {
			if tags, ok := strings.CutPrefix(p, "#"); ok {
				m.tags = strings.Split(tags, ",")
				slices.Sort(m.tags)
			}
		}
		out = append(out, m)
	}
	return out
}

// waitFor polls until a metric named name arrives.
func (l *statsdListener) waitFor(t *testing.T, name string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !slices.ContainsFunc(l.received(t), func(m metric) bool { return m.name == name }) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 20s", name)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestStatsdMetrics runs every role with --statsd-addr pointing at a UDP
// listener in the test, drives public and admin requests and an agent
// enactment, and checks the names, types and tags of what arrives.
func TestStatsdMetrics(t *testing.T) {
	l := listenStatsd(t)
	scenario := filepath.Join(sharedDir(t), "conformance", "scenarios", "firefox-modern")
	d := storetest.SQLite(t)
	if r := runCmd(t, nil, "migrate", "pre", "--db", d.URL, "--statsd-addr", l.addr()); r.code != 0 {
		t.Fatalf("migrate: %s", r.stderr)
	}
	if r := runCmd(t, nil, "import", "--skip-validation", "--db", d.URL, scenario); r.code != 0 {
		t.Fatalf("import: %s", r.stderr)
	}
	if r := runCmd(t, nil, "create-admin", "ops@example.com", "--db", d.URL); r.code != 0 {
		t.Fatalf("create-admin: %s", r.stderr)
	}
	s := startServe(t, d.URL, "--role", "all", "--auth", "dev", "--config", filepath.Join(scenario, "config.json"),
		"--statsd-addr", l.addr(), "--refresh-interval", "100ms", "--agent-interval", "100ms")
	base := "http://" + s.addr("public")
	const update = "/update/6/Firefox/66.0/20190311211048/WINNT_x86-msvc/en-US/release/Windows_NT%2010.0.0.0/ISET:SSE4_2,MEM:16384/default/default/update.xml"
	get(t, base+update)
	get(t, base+update) // from the response cache
	get(t, base+update+"?foo=1")
	get(t, base+"/robots.txt")
	get(t, base+"/__lbheartbeat__") // not counted

	admin := "http://" + s.addr("admin")
	call := func(method, path, user, body string) int {
		t.Helper()
		return adminStatus(t, method, admin+path, user, "", body)
	}
	get(t, admin+"/rules")
	rule := `{"product": "ObsTest", "channel": "release", "mapping": "CDM-16", "update_type": "minor", "priority": 1, "backgroundRate": 100}`
	if code := call("POST", "/rules", "ops@example.com", rule); code != 200 {
		t.Fatalf("create rule: %d", code)
	}
	if code := call("POST", "/rules", "", rule); code != 401 && code != 403 {
		t.Fatalf("anonymous create rule: %d", code)
	}
	if code := call("PUT", "/users/ops@example.com/roles/relman", "ops@example.com", `{}`); code != 200 && code != 201 {
		t.Fatalf("grant role: %d", code)
	}
	when := time.Now().Add(1500 * time.Millisecond).UnixMilli()
	if code := call("POST", "/scheduled_changes/rules", "ops@example.com", fmt.Sprintf(`{"change_type": "insert", "when": %d,
		"product": "ObsTest", "channel": "beta", "mapping": "CDM-17", "update_type": "minor", "priority": 2, "backgroundRate": 100}`, when)); code != 200 {
		t.Fatalf("schedule: %d", code)
	}
	if code := call("POST", "/scheduled_changes/rules/1/signoffs", "ops@example.com", `{"role": "relman"}`); code != 200 {
		t.Fatalf("signoff: %d", code)
	}
	l.waitFor(t, "balrog.agent.enacted")
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve exited %d", code)
	}
	time.Sleep(200 * time.Millisecond) // the last flush crosses the loopback

	got := l.received(t)
	have := map[string]bool{}
	for _, m := range got {
		have[m.String()] = true
		if !strings.HasPrefix(m.name, "balrog.") || !slices.ContainsFunc(m.tags, func(s string) bool { return strings.HasPrefix(s, "role:") }) ||
			!slices.Contains(m.tags, "version:"+Build().Version) {
			t.Errorf("%s lacks the namespace, role or version tag", m)
		}
		for _, tag := range m.tags {
			if strings.Contains(tag, "Firefox") || strings.Contains(tag, "foo") || strings.Contains(tag, "ops@") {
				t.Errorf("a raw URL or request value reached a tag: %s", m)
			}
		}
	}
	v := "version:" + Build().Version
	for _, want := range []string{
		"balrog.public.requests|c|#role:public,route:U6,status_class:2xx," + v,
		"balrog.public.requests|c|#role:public,route:U6,status_class:4xx," + v,
		"balrog.public.requests|c|#role:public,route:/robots.txt,status_class:2xx," + v,
		"balrog.public.request_duration|ms|#role:public,route:U6,status_class:2xx," + v,
		"balrog.public.update_outcomes|c|#outcome:served,role:public," + v,
		"balrog.public.response.update.200|c|#role:public," + v,
		"balrog.public.response.update.400|c|#role:public," + v,
		"balrog.public.response.unknown.200|c|#role:public," + v,
		"balrog.public.client.parse_query|ms|#role:public," + v,
		"balrog.public.client.evaluate_rules|ms|#role:public," + v,
		"balrog.public.client.make_response|ms|#role:public," + v,
		"balrog.public.blob_cache.misses|c|#role:public," + v,
		"balrog.public.blob_cache.entries|g|#role:public," + v,
		"balrog.public.blob_cache.offheap_bytes|g|#role:public," + v,
		"balrog.public.snapshot.age_seconds|g|#role:public," + v,
		"balrog.admin.requests|c|#method:GET,role:admin,route:/rules,status_class:2xx," + v,
		"balrog.admin.requests|c|#method:POST,role:admin,route:/rules,status_class:2xx," + v,
		"balrog.admin.request_duration|ms|#method:GET,role:admin,route:/rules,status_class:2xx," + v,
		"balrog.admin.writes|c|#object:rule,outcome:ok,role:admin," + v,
		"balrog.admin.writes|c|#object:rule,outcome:denied,role:admin," + v,
		"balrog.admin.writes|c|#object:role,outcome:ok,role:admin," + v,
		"balrog.admin.writes|c|#object:scheduled_change,outcome:ok,role:admin," + v,
		"balrog.admin.writes|c|#object:signoff,outcome:ok,role:admin," + v,
		"balrog.admin.signoffs|c|#action:made,role:admin," + v,
		"balrog.agent.enacted|c|#role:agent," + v,
		"balrog.db.query_duration|ms|#op:create,role:all,table:rules," + v,
		"balrog.db.query_duration|ms|#op:query,role:all,table:rules," + v,
		"balrog.db.migrations_applied|c|#phase:pre,role:migrate," + v,
	} {
		if !have[want] {
			var all []string
			for k := range have {
				all = append(all, k)
			}
			slices.Sort(all)
			t.Errorf("no %s in what DogStatsD received:\n%s", want, strings.Join(all, "\n"))
		}
	}
}

// adminStatus sends an admin API request and returns the status, logging
// the body of a refusal.
func adminStatus(t *testing.T, method, url, user, token, body string) int {
	t.Helper()
	code, b := adminRequest(t, method, url, user, token, body)
	if code >= 400 {
		t.Logf("%s %s: %d %s", method, url, code, b)
	}
	return code
}
