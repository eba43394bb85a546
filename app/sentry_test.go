package app

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/balrog-go/balrog/store/gormstore"
	"github.com/balrog-go/balrog/store/storetest"
)

// sentryEvents is a local stand-in for Sentry's ingest endpoint: it keeps
// the raw envelopes and the events they carry.
type sentryEvents struct {
	mu     sync.Mutex
	raw    []string
	events []map[string]any
}

func (s *sentryEvents) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		body = zr
	}
	b, _ := io.ReadAll(body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.raw = append(s.raw, string(b))
	// An envelope is a header line, then item header and payload lines.
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	sc.Scan()
	for sc.Scan() {
		var item struct{ Type string }
		if json.Unmarshal(sc.Bytes(), &item) != nil || !sc.Scan() {
			break
		}
		if item.Type == "event" {
			var ev map[string]any
			if err := json.Unmarshal(sc.Bytes(), &ev); err == nil {
				s.events = append(s.events, ev)
			}
		}
	}
	w.WriteHeader(http.StatusOK)
}

// TestSentryReportsServerError starts the admin role with --sentry-dsn at a
// local listener, forces a 500 (the rules table is dropped under it) and
// checks that exactly one event arrives, tagged with the role, version and
// route, and without the request's Authorization header or query string.
func TestSentryReportsServerError(t *testing.T) {
	sink := &sentryEvents{}
	srv := httptest.NewServer(sink)
	defer srv.Close()
	dsn := "http://publickey@" + strings.TrimPrefix(srv.URL, "http://") + "/1"

	d := storetest.SQLite(t)
	s := startServe(t, d.URL, "--role", "admin", "--auth", "dev", "--sentry-dsn", dsn)
	db, err := gormstore.Open(context.Background(), d.URL, gormstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().Exec("DROP TABLE rules"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	const secret = "eyJhbGciOiJSUzI1NiJ9.c2VudHJ5LXNlY3JldA.c2lnbmF0dXJl"
	req, _ := http.NewRequest("GET", "http://"+s.addr("admin")+"/rules?product=querysecret", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 500 {
		t.Fatalf("status %d, want the forced 500", resp.StatusCode)
	}
	if code := s.stop(t); code != 0 { // stopping flushes the queued events
		t.Fatalf("serve exited %d", code)
	}

	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.events) != 1 {
		t.Fatalf("got %d events, want 1:\n%s", len(sink.events), strings.Join(sink.raw, "\n---\n"))
	}
	tags, _ := sink.events[0]["tags"].(map[string]any)
	want := map[string]any{"role": "admin", "route": "/rules", "version": Build().Version}
	for k, v := range want {
		if tags[k] != v {
			t.Errorf("tag %s = %v, want %v (tags %v)", k, tags[k], v, tags)
		}
	}
	all := strings.Join(sink.raw, "\n")
	for _, leak := range []string{secret, "c2VudHJ5", "Authorization", "querysecret"} {
		if strings.Contains(all, leak) {
			t.Errorf("the event carries %q:\n%s", leak, all)
		}
	}
}
