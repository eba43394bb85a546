package admin

import (
	"log/slog"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
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
		s.log.LogAttrs(c.Request().Context(), slog.LevelInfo, "admin request",
			slog.String("user", user),
			slog.String("method", c.Request().Method),
			slog.String("route", route),
			slog.Int("status", c.Response().Status),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
		)
		return nil
	}
}
