package app

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/balrog-go/balrog/store/storetest"
)

// TestStatsdMetrics runs the public role with --statsd-addr pointing at a
// UDP listener in the test and checks the DogStatsD lines it receives.
func TestStatsdMetrics(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	scenario := filepath.Join(sharedDir(t), "conformance", "scenarios", "firefox-modern")
	d := storetest.SQLite(t)
	if r := runCmd(t, nil, "import", "--skip-validation", "--db", d.URL, scenario); r.code != 0 {
		t.Fatalf("import: %s", r.stderr)
	}
	s := startServe(t, d.URL, "--role", "public,admin", "--auth", "dev", "--config", filepath.Join(scenario, "config.json"), "--statsd-addr", pc.LocalAddr().String(), "--refresh-interval", "100ms")
	base := "http://" + s.addr("public")
	get(t, base+"/update/6/Firefox/66.0/20190311211048/WINNT_x86-msvc/en-US/release/Windows_NT%2010.0.0.0/ISET:SSE4_2,MEM:16384/default/default/update.xml")
	get(t, base+"/update/6/Firefox/66.0/20190311211048/WINNT_x86-msvc/en-US/release/Windows_NT%2010.0.0.0/ISET:SSE4_2,MEM:16384/default/default/update.xml?foo=1")
	get(t, base+"/robots.txt")
	get(t, "http://"+s.addr("admin")+"/rules")
	time.Sleep(300 * time.Millisecond) // a refresh tick reports the snapshot gauges
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve exited %d", code)
	}
	var lines []string
	buf := make([]byte, 64<<10)
	for {
		pc.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			break
		}
		lines = append(lines, strings.Split(strings.TrimSpace(string(buf[:n])), "\n")...)
	}
	all := strings.Join(lines, "\n")
	for _, want := range []string{
		"balrog.public.response.update.200:1|c|#",
		"balrog.public.response.update.400:1|c|#",
		"balrog.public.response.unknown.200:1|c|#",
		"balrog.public.client.parse_query:",
		"balrog.public.client.evaluate_rules:",
		"balrog.public.snapshot.age_seconds:",
		"balrog.public.blob_cache.entries:",
		"balrog.admin.requests:1|c|#",
		"balrog.admin.request_duration:",
	} {
		found := false
		for _, l := range lines {
			if strings.HasPrefix(l, want) {
				found = true
				role := "role:public"
				if strings.HasPrefix(want, "balrog.admin.") {
					role = "role:admin"
					if !strings.Contains(l, "route:/rules") || !strings.Contains(l, "status_class:2xx") || !strings.Contains(l, "method:GET") {
						t.Errorf("%s lacks its route, method or status_class tag: %s", want, l)
					}
				}
				if !strings.Contains(l, role) || !strings.Contains(l, "version:") {
					t.Errorf("%s lacks the role and version tags: %s", want, l)
				}
			}
		}
		if !found {
			t.Errorf("no %q in what DogStatsD received:\n%s", want, all)
		}
	}
	for _, l := range lines {
		if strings.Contains(l, "/update/") || strings.Contains(l, "Firefox") {
			t.Errorf("a raw URL or query value reached a metric: %s", l)
		}
	}
}
