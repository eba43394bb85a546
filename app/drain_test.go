package app

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/balrog-go/balrog/store/gormstore"
	"github.com/balrog-go/balrog/store/storetest"
)

// envMainArgs makes the test binary run Main with these arguments
// (separated by \x1f) instead of the tests: the drain test starts the real
// process this way and signals it.
const envMainArgs = "BALROG_TEST_MAIN_ARGS"

func TestMain(m *testing.M) {
	if args := os.Getenv(envMainArgs); args != "" {
		os.Exit(Main(strings.Split(args, "\x1f")))
	}
	os.Exit(m.Run())
}

// mainProcess is the balrog command line running as its own process.
type mainProcess struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	exited chan struct{} // closed when it has exited; err is then set
	err    error
}

// startMain runs the balrog command line in a new process (this test
// binary, through TestMain); it is killed when the test ends.
func startMain(t *testing.T, args ...string) *mainProcess {
	t.Helper()
	p := &mainProcess{cmd: exec.Command(os.Args[0]), stderr: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), envMainArgs+"="+strings.Join(args, "\x1f"))
	p.cmd.Stdout, p.cmd.Stderr = io.Discard, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
	})
	return p
}

// freeAddr returns a loopback address with a port nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestSIGTERMDrains runs `balrog serve` as its own process under load from
// keep-alive clients, sends SIGTERM in the middle, and counts failed
// requests: every request started before the signal, and a request whose
// headers were half sent when it came, must be answered; after the signal a
// client may only find the listener closed (connection refused), and then
// stops. The process exits 0.
func TestSIGTERMDrains(t *testing.T) {
	dbURL := storetest.SQLite(t).URL
	scenario := filepath.Join(sharedDir(t), "conformance", "scenarios", "firefox-modern")
	for _, args := range [][]string{{"migrate", "pre", "--db", dbURL}, {"import", "--skip-validation", "--db", dbURL, scenario}, {"create-admin", "balrogadmin", "--db", dbURL}} {
		if r := runCmd(t, nil, args...); r.code != 0 {
			t.Fatalf("%v: %s", args, r.stderr)
		}
	}
	publicAddr, adminAddr := freeAddr(t), freeAddr(t)
	proc := startMain(t, "serve", "--role", "public,admin", "--db", dbURL,
		"--auth", "dev", "--admin-rate-limit", "0", "--log-format", "text",
		"--config", filepath.Join(scenario, "config.json"),
		"--public-addr", publicAddr, "--admin-addr", adminAddr)
	eventually(t, "serve listens", func() bool {
		resp, err := http.Get("http://" + adminAddr + "/__lbheartbeat__")
		if err != nil {
			return false
		}
		resp.Body.Close()
		resp, err = http.Get("http://" + publicAddr + "/__lbheartbeat__")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return true
	})

	targets := []string{
		"http://" + publicAddr + "/update/6/Firefox/66.0/20190311211048/WINNT_x86-msvc/en-US/release/Windows_NT%2010.0.0.0/ISET:SSE4_2,MEM:16384/default/default/update.xml",
		"http://" + publicAddr + "/api/v1/releases/Firefox-66.0-build1",
		"http://" + adminAddr + "/rules",
	}
	var (
		signalled         atomic.Bool
		okBefore, okAfter atomic.Int64
		refused           atomic.Int64
		mu                sync.Mutex
		failures          []string
		wg                sync.WaitGroup
	)
	const clients = 8
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			defer client.CloseIdleConnections()
			u := targets[i%len(targets)]
			for {
				before := !signalled.Load()
				req, _ := http.NewRequest("GET", u, nil)
				req.Header.Set("X-Balrog-Dev-User", "balrogadmin")
				resp, err := client.Do(req)
				// A refused connect never reached the server: the
				// listener is closed, the client stops. So does a reset
				// after the signal: the draining server closed an idle
				// keep-alive connection as this request arrived on it,
				// unread (the race every keep-alive client has with a
				// closing server; an answered request is never cut).
				if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) && signalled.Load() {
					refused.Add(1)
					return
				}
				if err == nil {
					_, err = io.ReadAll(resp.Body)
					resp.Body.Close()
					if err == nil && resp.StatusCode != 200 {
						err = errors.New(resp.Status)
					}
				}
				if err != nil {
					mu.Lock()
					failures = append(failures, err.Error())
					mu.Unlock()
					return
				}
				if before {
					okBefore.Add(1)
				} else {
					okAfter.Add(1)
				}
			}
		}()
	}
	eventually(t, "load runs", func() bool { return okBefore.Load() >= 2000 })

	// A request in flight across the signal: an admin write whose handler
	// is reading a body that is only half sent when the signal comes.
	// (net/http drops a request whose headers are still incomplete when the
	// drain starts; one whose handler runs is finished.)
	half, err := net.Dial("tcp", adminAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer half.Close()
	body := `{"priority": 1, "backgroundRate": 100, "update_type": "minor", "product": "Firefox", "channel": "drain", "mapping": "Firefox-66.0-build1"}`
	if _, err := fmt.Fprintf(half, "POST /rules HTTP/1.1\r\nHost: x\r\nX-Balrog-Dev-User: balrogadmin\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:20]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // let the handler start reading the body

	signalled.Store(true)
	if err := proc.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// The listener closes at once; the half-sent request still gets its
	// answer.
	eventually(t, "listener closed", func() bool {
		c, err := net.Dial("tcp", publicAddr)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	if _, err := io.WriteString(half, body[20:]); err != nil {
		t.Fatalf("finishing the half-sent request: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(half), nil)
	var ruleID string
	if err != nil {
		t.Errorf("admin write across SIGTERM: %v", err)
	} else {
		b, _ := io.ReadAll(resp.Body)
		ruleID = strings.TrimSpace(string(b))
		if resp.StatusCode != 200 {
			t.Errorf("admin write across SIGTERM: %d %s", resp.StatusCode, b)
		}
	}
	wg.Wait()
	select {
	case <-proc.exited:
		if proc.err != nil {
			t.Errorf("serve exited with %v after SIGTERM, want 0:\n%s", proc.err, proc.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not exit within 30s of SIGTERM")
	}
	for _, f := range failures {
		t.Errorf("failed request: %s", f)
	}
	if ruleID != "" {
		db, err := gormstore.Open(context.Background(), dbURL, gormstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var n int
		if err := db.SQL().QueryRow("SELECT COUNT(*) FROM rules WHERE rule_id = ? AND channel = 'drain'", ruleID).Scan(&n); err != nil || n != 1 {
			t.Errorf("rule %s written across SIGTERM: %d rows (%v), want 1", ruleID, n, err)
		}
	}
	t.Logf("SIGTERM under load from %d keep-alive clients: %d requests answered before the signal, %d after, %d clients then refused or closed, %d failed",
		clients, okBefore.Load(), okAfter.Load(), refused.Load(), len(failures))
}
