package admin

import (
	"log/slog"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/balrog-go/balrog/metrics"
)

// userKey is where authenticate leaves the caller's name for the log line.
const userKey = "balrog.user"

// requestLog writes one line per admin request: who, what route (the
// pattern, never the raw URL with its values), the status and how long it
// took. No header, body or token is ever logged.
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
		elapsed := time.Since(start)
		tags := []string{"route:" + route, "method:" + c.Request().Method, "status_class:" + metrics.StatusClass(c.Response().Status)}
		_ = s.cfg.Metrics.Incr(metrics.AdminRequests, tags, 1)
		_ = s.cfg.Metrics.Timing(metrics.AdminRequestDuration, elapsed, tags, 1)
		s.log.LogAttrs(c.Request().Context(), slog.LevelInfo, "admin request",
			slog.String("user", user),
			slog.String("method", c.Request().Method),
			slog.String("route", route),
			slog.Int("status", c.Response().Status),
			slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
		)
		return nil
	}
}
