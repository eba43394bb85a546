// Package admin serves Balrog's admin REST API (admin.md): echo handlers
// over a service layer that runs each write in one transaction of the
// gormstore admin store, with its history rows.
package admin

import (
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/balrog-go/balrog/admin/auth"
	"github.com/balrog-go/balrog/blobs"
	"github.com/balrog-go/balrog/metrics"
	"github.com/balrog-go/balrog/store/gormstore"
)

// DefaultMaxBody is the request body limit when Config.MaxBodyBytes is 0:
// release blobs reach about 10 MB.
const DefaultMaxBody = 32 << 20

// Config holds what the admin API needs besides its store.
type Config struct {
	// Auth finds the caller of a request (admin/auth: OIDC or dev).
	Auth auth.Authenticator
	// M2MAccounts maps machine client ids to account names (Balrog's
	// M2M_ACCOUNT_MAPPING).
	M2MAccounts map[string]string
	// Allowlist is the domain allowlist for release blobs.
	Allowlist *blobs.Allowlist
	// SystemAccounts may not sign off.
	SystemAccounts []string
	// MaxBodyBytes bounds request bodies; 0 means DefaultMaxBody.
	MaxBodyBytes int64
	// CORSOrigins are the origins allowed to call the API from a browser
	// (Balrog's CORS_ORIGINS); "*" allows any. Empty: no
	// Access-Control-Allow-Origin header at all.
	CORSOrigins []string
	// Metrics receives the admin.* metrics; nil sends nothing.
	Metrics metrics.Sink
	// ReportError receives panics and 5xx errors with the route pattern
	// (Sentry, in package app); nil reports nothing.
	ReportError func(route string, err error)
	// Log receives internal errors.
	Log *slog.Logger
	// Evaluator answers update URLs as the public role would (explain,
	// preview, assertions); nil turns those features off.
	Evaluator Evaluator
	// RateLimit is each client's sustained request rate per second (the
	// authenticated user, else the peer address); 0 means no limit.
	RateLimit float64
	// RateBurst is how many requests a client may send at once; 0 means
	// twice RateLimit.
	RateBurst int
}

// Server is the admin API.
type Server struct {
	store  *gormstore.AdminStore
	cfg    Config
	log    *slog.Logger
	limits *clientLimits // nil: no rate limit
}

// New returns the admin API over st. cfg.Auth is required.
func New(st *gormstore.AdminStore, cfg Config) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBody
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.Discard{}
	}
	if cfg.ReportError == nil {
		cfg.ReportError = func(string, error) {}
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{store: st, cfg: cfg, log: log}
	if cfg.RateLimit > 0 {
		burst := cfg.RateBurst
		if burst <= 0 {
			burst = int(math.Ceil(2 * cfg.RateLimit))
		}
		s.limits = newClientLimits(cfg.RateLimit, burst, time.Now)
	}
	return s
}

// Register adds the admin routes, the error handler and the middleware
// (security headers, body limit, the /api prefix alias) to e.
func (s *Server) Register(e *echo.Echo) {
	e.HTTPErrorHandler = s.errorHandler
	e.Pre(stripAPIPrefix)
	e.Use(s.requestLog, recoverPanic)
	e.Use(securityHeaders)
	e.Use(s.corsOrigin)
	e.Use(s.rateLimit)
	e.Use(s.bodyLimit)
	e.Use(headWithoutBody)
	s.routes(e)
}

// Handler returns a fresh echo instance serving only the admin API.
func (s *Server) Handler() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	s.Register(e)
	return e
}

// stripAPIPrefix serves /api/... as /... (deployments put the API there).
func stripAPIPrefix(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/") {
			r.URL.Path = strings.TrimPrefix(r.URL.Path, "/api")
			if r.URL.RawPath != "" {
				r.URL.RawPath = strings.TrimPrefix(r.URL.RawPath, "/api")
			}
			if r.URL.Path == "" {
				r.URL.Path = "/"
			}
		}
		return next(c)
	}
}

// securityHeaders sets the headers of every admin answer (admin.md §0.3).
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Strict-Transport-Security", "max-age=31536000;")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
		h.Set("Access-Control-Allow-Methods", "OPTIONS, GET, POST, PUT, DELETE")
		return next(c)
	}
}

// corsOrigin allows the configured origins (admin.md §0.3): "*" when it is
// configured, else the request's Origin when it is listed, else nothing.
func (s *Server) corsOrigin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		origin := c.Request().Header.Get("Origin")
		for _, o := range s.cfg.CORSOrigins {
			if o == "*" {
				c.Response().Header().Set("Access-Control-Allow-Origin", "*")
				break
			}
			if origin != "" && o == origin {
				c.Response().Header().Set("Access-Control-Allow-Origin", origin)
				c.Response().Header().Add("Vary", "Origin")
				break
			}
		}
		return next(c)
	}
}

// bodyLimit bounds request bodies; reading past the limit fails with
// *http.MaxBytesError, which the error handler maps to 413.
func (s *Server) bodyLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.ContentLength > s.cfg.MaxBodyBytes {
			return &http.MaxBytesError{Limit: s.cfg.MaxBodyBytes}
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, s.cfg.MaxBodyBytes)
		return next(c)
	}
}

// headWithoutBody answers HEAD requests with the headers of GET and no body
// (net/http drops it on the wire; this also holds for in-process callers).
func headWithoutBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Request().Method == http.MethodHead {
			c.Response().Writer = headWriter{c.Response().Writer}
		}
		return next(c)
	}
}

// headWriter discards the body of a HEAD answer.
type headWriter struct{ http.ResponseWriter }

func (w headWriter) Write(b []byte) (int, error) { return len(b), nil }

// isSystemAccount reports whether user may not sign off.
func (s *Server) isSystemAccount(user string) bool {
	return slices.Contains(s.cfg.SystemAccounts, user)
}

// getHead routes GET and HEAD to h.
func getHead(e *echo.Echo, path string, h echo.HandlerFunc) {
	e.Match([]string{http.MethodGet, http.MethodHead}, path, h)
}
