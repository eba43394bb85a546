package app

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/balrog-go/balrog/store/storetest"
)

func TestConfigLimits(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		env       map[string]string
		body      int64
		rate      float64
		burst     int
		wantError string
	}{
		{"defaults", nil, nil, 32 << 20, 50, 100, ""},
		{"env MB", nil, map[string]string{"BALROG_ADMIN_MAX_BODY": "30MB", "BALROG_ADMIN_RATE_LIMIT": "0"}, 30_000_000, 0, 100, ""},
		{"flag KiB beats env", []string{"--admin-max-body", "512KiB"}, map[string]string{"BALROG_ADMIN_MAX_BODY": "30MB"}, 512 << 10, 50, 100, ""},
		{"plain bytes, fractional rate", []string{"--admin-max-body", "1048576", "--admin-rate-limit", "0.5", "--admin-rate-burst", "3"}, nil, 1 << 20, 0.5, 3, ""},
		{"bad size", []string{"--admin-max-body", "lots"}, nil, 0, 0, 0, "admin-max-body"},
		{"zero size", []string{"--admin-max-body", "0"}, nil, 0, 0, 0, "admin-max-body"},
		{"negative rate", []string{"--admin-rate-limit", "-1"}, nil, 0, 0, 0, "admin-rate-limit"},
		{"zero burst", []string{"--admin-rate-burst", "0"}, nil, 0, 0, 0, "admin-rate-burst"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadConfig(flags(t, tt.args...), environ(tt.env))
			if tt.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantError) {
					t.Fatalf("error %v, want one naming %s", err, tt.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.AdminMaxBody != tt.body || c.AdminRateLimit != tt.rate || c.AdminRateBurst != tt.burst {
				t.Errorf("max body %d, rate %v, burst %d; want %d, %v, %d", c.AdminMaxBody, c.AdminRateLimit, c.AdminRateBurst, tt.body, tt.rate, tt.burst)
			}
		})
	}
}

// rawRequest sends one request as written and returns the status line's
// code and the response.
func rawRequest(t *testing.T, addr, request string) *http.Response {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, request); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(strings.NewReader(string(body)))
	return resp
}

// TestListenerLimits: every listener refuses over-long request targets
// (414) and headers (431); the admin listener refuses bodies over
// --admin-max-body (413), each with a clear answer.
func TestListenerLimits(t *testing.T) {
	s := startServe(t, storetest.SQLite(t).URL, "--auth", "dev", "--admin-max-body", "1KiB")
	longURL := "/update/" + strings.Repeat("a", maxURLBytes)
	bigHeader := "X-Filler: " + strings.Repeat("b", maxHeaderBytes+8192) // net/http allows 4 KiB of slack + "\r\n"
	for _, role := range []string{"public", "admin", "agent"} {
		addr := s.addr(role)
		resp := rawRequest(t, addr, "GET "+longURL+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		b, _ := io.ReadAll(resp.Body)
		var p map[string]any
		if resp.StatusCode != http.StatusRequestURITooLong || json.Unmarshal(b, &p) != nil || p["title"] != "URI Too Long" ||
			resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s, %d-byte target: %d %s %v", role, len(longURL), resp.StatusCode, b, resp.Header)
		}
		// Just under the limit is served as usual.
		okURL := "/__lbheartbeat__?" + strings.Repeat("c", maxURLBytes-len("/__lbheartbeat__?"))
		if resp := rawRequest(t, addr, "GET "+okURL+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); resp.StatusCode != 200 {
			t.Errorf("%s, %d-byte target: %d, want 200", role, len(okURL), resp.StatusCode)
		}
		resp = rawRequest(t, addr, "GET /__lbheartbeat__ HTTP/1.1\r\nHost: x\r\n"+bigHeader+"Connection: close\r\n\r\n")
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("%s, %d bytes of headers: %d, want 431", role, len(bigHeader), resp.StatusCode)
		}
	}
	body := `{"priority": 1, "backgroundRate": 1, "update_type": "minor", "product": "Firefox", "mapping": "x", "comment": "` + strings.Repeat("d", 2048) + `"}`
	req, _ := http.NewRequest("POST", "http://"+s.addr("admin")+"/rules", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Balrog-Dev-User", "balrogadmin")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var p map[string]any
	if resp.StatusCode != http.StatusRequestEntityTooLarge || json.Unmarshal(b, &p) != nil || p["title"] != "Request Entity Too Large" {
		t.Errorf("admin body of %d bytes over a 1KiB limit: %d %s", len(body), resp.StatusCode, b)
	}
}

// TestListenerTimeouts: every role's listener has read-header, read, write
// and idle timeouts and the header limit; and the server enforces them: a
// client that never finishes its headers, and an idle keep-alive
// connection, are closed.
func TestListenerTimeouts(t *testing.T) {
	s := startServe(t, storetest.SQLite(t).URL)
	for role, l := range s.proc.listeners {
		srv := l.server
		if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.WriteTimeout <= 0 || srv.IdleTimeout <= 0 || srv.MaxHeaderBytes != maxHeaderBytes {
			t.Errorf("%s listener: read-header %s, read %s, write %s, idle %s, max header bytes %d",
				role, srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout, srv.MaxHeaderBytes)
		}
	}
	// The same listener, with timeouts short enough to watch, served by
	// net/http and by the front.
	for _, front := range []bool{false, true} {
		t.Run(fmt.Sprintf("front=%v", front), func(t *testing.T) { checkTimeouts(t, front) })
	}
}

func checkTimeouts(t *testing.T, front bool) {
	l, err := listen("test", "127.0.0.1:0", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}), slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	l.server.ReadHeaderTimeout = 200 * time.Millisecond
	l.server.IdleTimeout = 200 * time.Millisecond
	if front {
		l.withFront(nil)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})

	closedWithin := func(what string, conn net.Conn, limit time.Duration) {
		t.Helper()
		_ = conn.SetReadDeadline(time.Now().Add(limit))
		buf := make([]byte, 4096)
		for {
			_, err := conn.Read(buf)
			if err == io.EOF {
				return
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Errorf("%s: the connection is still open after %s", what, limit)
				return
			}
			if err != nil {
				return // reset: closed too
			}
		}
	}
	slow, err := net.Dial("tcp", l.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	_, _ = io.WriteString(slow, "GET / HTTP/1.1\r\nHost: x\r\n") // and never the blank line
	closedWithin("headers never finished", slow, 5*time.Second)

	// A head that trickles in a byte at a time is not given more time.
	trickle, err := net.Dial("tcp", l.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer trickle.Close()
	go func() {
		for _, b := range []byte("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("a", 200)) {
			if _, err := trickle.Write([]byte{b}); err != nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	closedWithin("a head trickling in", trickle, 2*time.Second)

	idle, err := net.Dial("tcp", l.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	_, _ = io.WriteString(idle, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(idle)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("keep-alive request: %v", err)
	}
	_, _ = io.ReadAll(resp.Body)
	closedWithin("idle keep-alive connection", idle, 5*time.Second)
}

// TestAdminRateLimitWired: --admin-rate-limit reaches the admin listener;
// the public listener is not limited.
func TestAdminRateLimitWired(t *testing.T) {
	s := startServe(t, storetest.SQLite(t).URL, "--auth", "dev", "--admin-rate-limit", "0.001", "--admin-rate-burst", "2")
	codes := func(base string) []int {
		var out []int
		for range 3 {
			code, _, _ := get(t, base)
			out = append(out, code)
		}
		return out
	}
	if got := codes("http://" + s.addr("admin") + "/rules"); got[0] != 200 || got[1] != 200 || got[2] != http.StatusTooManyRequests {
		t.Errorf("admin statuses %v, want 200 200 429", got)
	}
	if got := codes("http://" + s.addr("public") + "/api/v1/rules"); got[2] != 200 {
		t.Errorf("public statuses %v, want 200s", got)
	}
}
