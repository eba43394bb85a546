package app

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// heartbeatFunc checks a role's dependencies. It returns the body of a
// healthy answer, or an error naming what failed.
type heartbeatFunc func(ctx context.Context) (string, error)

// dockerflow adds /__lbheartbeat__, /__heartbeat__ and /__version__ to e.
func dockerflow(e *echo.Echo, check heartbeatFunc) {
	version := Build().JSON()
	getHead(e, "/__lbheartbeat__", func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-cache")
		return c.Blob(http.StatusOK, "text/html; charset=utf-8", []byte("OK!"))
	})
	getHead(e, "/__version__", func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-cache")
		return c.Blob(http.StatusOK, "application/json", version)
	})
	getHead(e, "/__heartbeat__", func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), 5*time.Second)
		defer cancel()
		c.Response().Header().Set("Cache-Control", "public, max-age=60")
		body, err := check(ctx)
		if err != nil {
			out, _ := json.Marshal(map[string]any{
				"status": "error",
				"checks": map[string]string{"database": err.Error()},
			})
			return c.Blob(http.StatusServiceUnavailable, "application/json", out)
		}
		return c.Blob(http.StatusOK, "text/html; charset=utf-8", []byte(body))
	})
}

// newEcho returns an echo instance without its banner and default logging.
func newEcho() *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	return e
}

// getHead routes GET and HEAD to h (net/http drops the body of a HEAD answer).
func getHead(e *echo.Echo, path string, h echo.HandlerFunc) {
	e.Match([]string{http.MethodGet, http.MethodHead}, path, h)
}
