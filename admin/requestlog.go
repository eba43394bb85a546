package admin

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/balrog-go/balrog/metrics"
)

// userKey is where authenticate leaves the caller's name for the log line.
const userKey = "balrog.user"

// requestLog writes one line per admin request: who, what route (the
// pattern, never the raw URL with its values), the status and how long it
// took, and sends the request metrics (and, for a write, its object and
// outcome). No header, body or token is ever logged.
func (s *Server) requestLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if strings.HasPrefix(c.Request().URL.Path, "/__") {
			return next(c)
		}
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err) // render it now, so the status is the one sent
		}
		user, _ := c.Get(userKey).(string)
		route := c.Path()
		if route == "" {
			route = "(unmatched)"
		}
		method, status := c.Request().Method, c.Response().Status
		elapsed := time.Since(start)
		tags := []string{"route:" + route, "method:" + method, "status_class:" + metrics.StatusClass(status)}
		_ = s.cfg.Metrics.Incr(metrics.AdminRequests, tags, 1)
		_ = s.cfg.Metrics.Timing(metrics.AdminRequestDuration, elapsed, tags, 1)
		if isWrite(method) {
			s.countWrite(route, method, writeOutcome(err, status))
		}
		s.log.LogAttrs(c.Request().Context(), slog.LevelInfo, "admin request",
			slog.String("user", user),
			slog.String("method", method),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
		)
		return nil
	}
}

// isWrite reports whether a request method changes something.
func isWrite(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch:
		return true
	}
	return false
}

// countWrite sends admin.writes, and admin.signoffs for a signoff made or
// revoked.
func (s *Server) countWrite(route, method, outcome string) {
	object := writeObject(route)
	_ = s.cfg.Metrics.Incr(metrics.AdminWrites, []string{"object:" + object, "outcome:" + outcome}, 1)
	if object == "signoff" && outcome == "ok" {
		action := "made"
		if method == http.MethodDelete {
			action = "revoked"
		}
		_ = s.cfg.Metrics.Incr(metrics.AdminSignoffs, []string{"action:" + action}, 1)
	}
}

// writeObject is the object tag of a write (metrics.WriteObjects), from its
// route pattern.
func writeObject(route string) string {
	switch {
	case route == "/evaluate", route == "/rules/preview":
		return "evaluation" // answers questions, writes nothing
	case strings.HasPrefix(route, "/assertions"):
		return "assertion"
	case strings.HasSuffix(route, "/signoffs"), strings.HasSuffix(route, "/signoff"):
		return "signoff"
	case strings.HasPrefix(route, "/scheduled_change"):
		return "scheduled_change"
	case strings.HasSuffix(route, "/pinnable"):
		return "pin"
	case strings.HasPrefix(route, "/rules"):
		return "rule"
	case strings.HasPrefix(route, "/releases"), strings.HasPrefix(route, "/v2/releases"):
		return "release"
	case strings.HasPrefix(route, "/users/:user/permissions"):
		return "permission"
	case strings.HasPrefix(route, "/users/:user/roles"):
		return "role"
	case strings.HasPrefix(route, "/required_signoffs"):
		return "required_signoff"
	case strings.HasPrefix(route, "/emergency_shutoff"):
		return "emergency_shutoff"
	}
	return "other"
}

// recoverPanic turns a handler's panic into an error, so the error handler
// answers 500 and reports it with the route.
func recoverPanic(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				err = fmt.Errorf("panic: %v", v)
			}
		}()
		return next(c)
	}
}
