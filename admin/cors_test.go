package admin

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
)

func TestCORSOnlyForConfiguredOrigins(t *testing.T) {
	tests := []struct {
		origins []string
		origin  string
		want    string
	}{
		{nil, "https://balrog.mozilla.org", ""},
		{[]string{"https://balrog.mozilla.org"}, "https://balrog.mozilla.org", "https://balrog.mozilla.org"},
		{[]string{"https://balrog.mozilla.org"}, "https://evil.example", ""},
		{[]string{"https://balrog.mozilla.org"}, "", ""},
		{[]string{"*"}, "https://anything.example", "*"},
	}
	for _, tt := range tests {
		s := &Server{cfg: Config{CORSOrigins: tt.origins}}
		e := echo.New()
		e.Use(securityHeaders, s.corsOrigin)
		e.GET("/rules", func(c echo.Context) error { return c.String(http.StatusOK, "{}") })
		req := httptest.NewRequest(http.MethodGet, "/rules", nil)
		if tt.origin != "" {
			req.Header.Set("Origin", tt.origin)
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if got := rec.Header().Get("Access-Control-Allow-Origin"); got != tt.want {
			t.Errorf("origins %v, Origin %q: Access-Control-Allow-Origin = %q, want %q", tt.origins, tt.origin, got, tt.want)
		}
		if rec.Header().Get("Access-Control-Allow-Methods") != "OPTIONS, GET, POST, PUT, DELETE" {
			t.Errorf("Access-Control-Allow-Methods = %q", rec.Header().Get("Access-Control-Allow-Methods"))
		}
	}
}
