package admin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/balrog-go/balrog/admin/auth"
	"github.com/balrog-go/balrog/store/gormstore"
	"github.com/balrog-go/balrog/store/storetest"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestClientLimitsBucketPerClient(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	l := newClientLimits(2, 3, clock.now) // 2/s, burst 3
	for i := range 3 {
		if ok, _ := l.allow("a"); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := l.allow("a")
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("over the burst: allowed %v, wait %s; want refused, 500ms", ok, wait)
	}
	if ok, _ := l.allow("b"); !ok {
		t.Fatal("another client is limited by the first one's use")
	}
	clock.t = clock.t.Add(500 * time.Millisecond)
	if ok, _ := l.allow("a"); !ok {
		t.Fatal("refused after the wait it was given")
	}
	if ok, _ := l.allow("a"); ok {
		t.Fatal("one token came back, two were used")
	}
}

// TestClientLimitsEvictIdle: buckets of clients gone quiet are dropped, so
// many one-off clients do not grow memory without bound.
func TestClientLimitsEvictIdle(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	l := newClientLimits(50, 100, clock.now) // refills in 2s
	for i := range 10_000 {
		l.allow(fmt.Sprintf("ip:10.0.%d.%d", i/256, i%256))
	}
	if n := l.size(); n != 10_000 {
		t.Fatalf("%d buckets, want 10000", n)
	}
	clock.t = clock.t.Add(2 * time.Second)
	l.allow("user:alice")
	if n := l.size(); n != 1 {
		t.Fatalf("%d buckets after the others went idle, want 1", n)
	}
}

// TestAdminRateLimit: over its burst a client gets 429 with Retry-After and
// a JSON problem; clients are told apart by user, else by address.
func TestAdminRateLimit(t *testing.T) {
	_, db := newTestServer(t, storetest.SQLite(t).URL)
	h := New(gormstore.NewAdminStore(db), Config{Auth: auth.NewDev(), RateLimit: 1, RateBurst: 2}).Handler()
	get := func(user, addr string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "/rules", nil)
		req.RemoteAddr = addr
		if user != "" {
			req.Header.Set(auth.DevUserHeader, user)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	for i := range 2 {
		if rec := get("alice", "10.0.0.1:1000"); rec.Code != 200 {
			t.Fatalf("alice request %d: %d", i+1, rec.Code)
		}
	}
	rec := get("alice", "10.0.0.9:2000") // another address: still alice
	var p map[string]any
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "1" ||
		json.Unmarshal(rec.Body.Bytes(), &p) != nil || p["title"] != "Too Many Requests" || p["status"] != float64(429) {
		t.Fatalf("alice over the burst: %d Retry-After %q %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body.String())
	}
	if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Error("429 lacks the security headers")
	}
	if rec := get("bob", "10.0.0.1:1000"); rec.Code != 200 {
		t.Errorf("bob, same address as alice: %d", rec.Code)
	}
	for i := range 2 {
		if rec := get("", "10.0.0.1:1001"); rec.Code != 200 {
			t.Fatalf("anonymous request %d from 10.0.0.1: %d", i+1, rec.Code)
		}
	}
	if rec := get("", "10.0.0.1:1002"); rec.Code != http.StatusTooManyRequests {
		t.Errorf("anonymous over the burst from 10.0.0.1: %d", rec.Code)
	}
	if rec := get("", "10.0.0.2:1000"); rec.Code != 200 {
		t.Errorf("anonymous from another address: %d", rec.Code)
	}
}
