package admin

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"github.com/balrog-go/balrog/admin/auth"
)

// Default per-client rate limit of the admin API: generous for release
// automation, which sends bursts of a few dozen requests.
const (
	DefaultRateLimit = 50
	DefaultRateBurst = 100
)

// clientLimits holds one token bucket per client. A bucket that has been
// idle long enough to be full again is dropped: a new one starts full, so
// dropping it changes nothing, and memory is bounded by the clients seen
// within that time.
type clientLimits struct {
	limit rate.Limit
	burst int
	// idleAfter is how long an unused bucket takes to refill.
	idleAfter time.Duration
	now       func() time.Time

	mu        sync.Mutex
	clients   map[string]*clientLimit
	lastSweep time.Time
}

type clientLimit struct {
	lim  *rate.Limiter
	seen time.Time
}

func newClientLimits(perSecond float64, burst int, now func() time.Time) *clientLimits {
	if burst < 1 {
		burst = 1
	}
	idle := time.Duration(float64(burst) / perSecond * float64(time.Second))
	return &clientLimits{
		limit: rate.Limit(perSecond), burst: burst, idleAfter: max(idle, time.Second),
		now: now, clients: map[string]*clientLimit{}, lastSweep: now(),
	}
}

// allow takes a token for key; when there is none it reports how long until
// there is one.
func (l *clientLimits) allow(key string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) >= l.idleAfter {
		l.sweep(now)
	}
	c := l.clients[key]
	if c == nil {
		c = &clientLimit{lim: rate.NewLimiter(l.limit, l.burst)}
		l.clients[key] = c
	}
	c.seen = now
	r := c.lim.ReserveN(now, 1)
	if wait := r.DelayFrom(now); wait > 0 {
		r.CancelAt(now)
		return false, wait
	}
	return true, 0
}

// sweep drops the buckets unused for idleAfter.
func (l *clientLimits) sweep(now time.Time) {
	for k, c := range l.clients {
		if now.Sub(c.seen) >= l.idleAfter {
			delete(l.clients, k)
		}
	}
	l.lastSweep = now
}

// size reports how many clients have a bucket.
func (l *clientLimits) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.clients)
}

// rateLimit answers 429 with Retry-After to a client over its rate. The
// client is the authenticated user when the request authenticates, else the
// peer's IP address. Dockerflow endpoints and CORS preflights are not
// limited.
func (s *Server) rateLimit(next echo.HandlerFunc) echo.HandlerFunc {
	if s.limits == nil {
		return next
	}
	return func(c echo.Context) error {
		r := c.Request()
		if strings.HasPrefix(r.URL.Path, "/__") || r.Method == http.MethodOptions {
			return next(c)
		}
		ok, wait := s.limits.allow(s.clientKey(r))
		if ok {
			return next(c)
		}
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		return &Problem{Status: http.StatusTooManyRequests, Title: "Too Many Requests",
			Detail: "Rate limit exceeded: retry after the time given in Retry-After."}
	}
}

// clientKey names the client a request is counted against.
func (s *Server) clientKey(r *http.Request) string {
	if r.Header.Get("Authorization") != "" || r.Header.Get(auth.DevUserHeader) != "" {
		if id, err := s.cfg.Auth.Authenticate(r); err == nil && id.Subject != "" {
			return "user:" + id.Subject
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return "ip:" + host
}
