package app

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balrog-go/balrog/admin/auth"
)

// sharedDir is the shared/ folder beside the repository.
func sharedDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../../shared")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "conformance")); err != nil {
		t.Skipf("no shared/conformance beside the repository (%v)", err)
	}
	return dir
}

// result is what a command run printed and returned.
type result struct {
	code           int
	stdout, stderr string
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// environ returns a getenv over a fixed map: tests never see the machine's
// BALROG_* variables.
func environ(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// runCmd runs the balrog command line to completion.
func runCmd(t testing.TB, vars map[string]string, args ...string) result {
	t.Helper()
	var out, errOut syncBuffer
	e := env{stdout: &out, stderr: &errOut, getenv: environ(vars)}
	code := e.run(context.Background(), args)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// server is a `balrog serve` running in the test.
type server struct {
	proc   *process
	cancel context.CancelFunc
	done   chan struct{} // closed when serve has returned
	code   int           // serve's exit status, once done is closed
	stderr *syncBuffer
	stdout *syncBuffer
}

// addr returns the bound address of a role's listener.
func (s *server) addr(role string) string { return s.proc.listeners[role].Addr() }

// stop sends the equivalent of SIGTERM and returns the exit status.
func (s *server) stop(t *testing.T) int {
	t.Helper()
	s.cancel()
	select {
	case <-s.done:
		return s.code
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30s")
		return -1
	}
}

// startServe runs `balrog serve` on loopback port 0 and waits until it
// listens. It fails the test if serve exits first.
func startServe(t *testing.T, dbURL string, extra ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan *process, 1)
	errOut, out := &syncBuffer{}, &syncBuffer{}
	e := env{stdout: out, stderr: errOut, getenv: environ(nil), started: func(p *process) { started <- p }}
	args := append([]string{"serve", "--db", dbURL, "--log-format", "text",
		"--public-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--agent-addr", "127.0.0.1:0"}, extra...)
	s := &server{cancel: cancel, done: make(chan struct{}), stderr: errOut, stdout: out}
	go func() {
		s.code = e.run(ctx, args)
		close(s.done)
	}()
	select {
	case s.proc = <-started:
		t.Cleanup(func() {
			cancel()
			<-s.done
		})
		return s
	case <-s.done:
		cancel()
		t.Fatalf("serve exited with %d before listening:\n%s", s.code, errOut.String())
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("serve did not start within 30s")
	}
	return nil
}

func TestVersionCommand(t *testing.T) {
	r := runCmd(t, nil, "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "balrog dev (commit ") {
		t.Fatalf("version: code %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

func TestUnknownRoleRefused(t *testing.T) {
	r := runCmd(t, nil, "serve", "--role", "public,bogus", "--db", "sqlite:///"+filepath.Join(t.TempDir(), "x.db"))
	if r.code == 0 || !strings.Contains(r.stderr, `unknown role "bogus"`) {
		t.Fatalf("code %d, stderr %q", r.code, r.stderr)
	}
}

func TestRoleTable(t *testing.T) {
	p := &process{}
	table := p.modules()
	for _, role := range roleNames {
		if _, ok := table[role]; !ok {
			t.Errorf("role %s has no module", role)
		}
	}
	got := order(table, []string{"all"})
	for _, want := range []string{"db", "metrics", "public", "admin", "agent"} {
		found := false
		for _, g := range got {
			found = found || g == want
		}
		if !found {
			t.Errorf("all does not start %s (order %v)", want, got)
		}
	}
	// Dependencies come before the roles that need them.
	pos := map[string]int{}
	for i, g := range got {
		pos[g] = i
	}
	for name, m := range table {
		for _, d := range m.deps {
			if _, in := pos[name]; in && pos[d] > pos[name] {
				t.Errorf("%s starts before its dependency %s", name, d)
			}
		}
	}
	if got := order(table, []string{"public"}); strings.Join(got, ",") != "metrics,db,memory,sentry,public" {
		t.Errorf("public starts %v, want metrics, db, memory, sentry, public", got)
	}
}

// adminRequest sends one admin API request with a JSON body, as user (the
// dev header; none when empty) and with a bearer token when one is given,
// and returns the status and the body.
func adminRequest(t *testing.T, method, url, user, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if user != "" {
		req.Header.Set(auth.DevUserHeader, user)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}
