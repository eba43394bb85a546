package admin

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/balrog-go/balrog/admin/auth"
	"github.com/balrog-go/balrog/store"
)

// Content types of error answers: Balrog's own handlers answer
// application/json, connexion's request validation application/problem+json.
const (
	ctJSON    = "application/json"
	ctProblem = "application/problem+json"
	ctHTML    = "text/html; charset=utf-8"
)

// Problem is an error answer with Balrog's body (admin.md §3.2). Handlers
// return it for the endpoint-specific outcomes; everything else is mapped by
// the error handler.
type Problem struct {
	Status int
	// Title is the "title" field; NullTitle renders it as JSON null, as
	// connexion does for unknown query parameters.
	Title     string
	NullTitle bool
	Detail    string
	// Exception is the optional "exception" field (a string or a list).
	Exception any
	// Data is the optional "data" field (Balrog's read-only scheduling
	// refusal carries its messages there).
	Data any
	// ContentType defaults to application/json.
	ContentType string
}

func (p *Problem) Error() string {
	if p.Exception != nil {
		return fmt.Sprintf("%d %s: %v", p.Status, p.Detail, p.Exception)
	}
	return fmt.Sprintf("%d %s", p.Status, p.Detail)
}

// badRequest is a 400 of Balrog's views.
func badRequest(detail string) *Problem {
	return &Problem{Status: http.StatusBadRequest, Title: "Bad Request", Detail: detail}
}

// invalid is a 400 of request validation (connexion's wording).
func invalid(detail string) *Problem {
	return &Problem{Status: http.StatusBadRequest, Title: "Bad Request", Detail: detail, ContentType: ctProblem}
}

// notFound is a 404 of Balrog's views.
func notFound(detail string, exception any) *Problem {
	return &Problem{Status: http.StatusNotFound, Title: "Not Found", Detail: detail, Exception: exception}
}

// valueError is Balrog's catch-all ValueError answer: 400 "Unknown error".
func valueError(msg string) *Problem {
	return &Problem{Status: http.StatusBadRequest, Title: "Bad Request", Detail: "Unknown error", Exception: msg}
}

// signoffRequired is SignoffRequiredError.
func signoffRequired(msg string) *Problem {
	return &Problem{Status: http.StatusBadRequest, Title: "Bad Request", Detail: "Signoff Required", Exception: msg}
}

// PermissionDenied is Balrog's PermissionDeniedError: 403 "Permission Denied".
type PermissionDenied struct{ Message string }

func (e *PermissionDenied) Error() string { return e.Message }

// errorHandler maps every error a handler returns to Balrog's answer. It is
// the one place where errors become HTTP statuses (admin.md §3.3); a 5xx is
// logged and reported (Config.ReportError) here, once.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	p := problemOf(err, c.Request().Method)
	if p.Status >= 500 {
		s.log.Error("admin request failed", "method", c.Request().Method, "route", c.Path(), "error", err.Error())
		s.cfg.ReportError(c.Path(), err)
	}
	writeProblem(c, p)
}

// writeProblem renders p as Balrog's error body.
func writeProblem(c echo.Context, p *Problem) {
	body := map[string]any{"type": "about:blank", "title": p.Title, "detail": p.Detail, "status": p.Status}
	if p.NullTitle {
		body["title"] = nil
	}
	if p.Exception != nil {
		body["exception"] = p.Exception
	}
	if p.Data != nil {
		body["data"] = p.Data
	}
	if p.Status == http.StatusServiceUnavailable && c.Response().Header().Get("Retry-After") == "" {
		c.Response().Header().Set("Retry-After", "5")
	}
	ct := p.ContentType
	if ct == "" {
		ct = ctJSON
	}
	_ = writeJSON(c, p.Status, ct, body)
}

// writeOutcome is the outcome tag of an admin write (metrics.WriteOutcomes)
// from the error its handler returned and the status sent.
func writeOutcome(err error, status int) string {
	switch {
	case errors.Is(err, store.ErrOutdated), errors.As(err, new(*ChangeScheduled)), errors.As(err, new(*UpdateMerge)):
		return "conflict"
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return "denied"
	case status >= 500:
		return "error"
	case status >= 400:
		return "invalid"
	}
	return "ok"
}

// problemOf classifies err.
func problemOf(err error, method string) *Problem {
	var (
		p  *Problem
		cs *ChangeScheduled
		ae *auth.Error
		pd *PermissionDenied
		he *echo.HTTPError
		ba *BrokenAssertions
	)
	switch {
	case errors.As(err, &p):
		return p
	case errors.As(err, &ba):
		return ba.problem()
	case errors.As(err, &ae):
		return &Problem{Status: ae.Status, Title: "Forbidden", Detail: "PermissionDeniedError", Exception: ae.Exception()}
	case errors.As(err, &pd):
		return &Problem{Status: http.StatusForbidden, Title: "Forbidden", Detail: "Permission Denied", Exception: pd.Message}
	case errors.As(err, new(*http.MaxBytesError)):
		return &Problem{Status: http.StatusRequestEntityTooLarge, Title: "Request Entity Too Large", ContentType: ctProblem,
			Detail: "The data value transmitted exceeds the capacity limit."}
	case errors.As(err, &cs):
		return &Problem{Status: http.StatusBadRequest, Title: "Bad Request", Detail: "ChangeScheduledError",
			Exception: fmt.Sprintf("Couldn't perform the request %s due a conflict with a scheduled change. %s", method, cs.Message)}
	case errors.As(err, new(*UpdateMerge)):
		return &Problem{Status: http.StatusBadRequest, Title: "Bad Request", Detail: "UpdateMergeError",
			Exception: fmt.Sprintf("Couldn't perform the request %s due to merge error. Is there a scheduled change that conflicts with yours?", method)}
	case errors.Is(err, store.ErrOutdated):
		return &Problem{Status: http.StatusBadRequest, Title: "Bad Request", Detail: "OutdatedDataError",
			Exception: fmt.Sprintf("Couldn't perform the request %s. Outdated Data Version. old_data_version doesn't match current data_version", method)}
	case errors.Is(err, store.ErrCommitUnknown):
		return &Problem{Status: http.StatusServiceUnavailable, Title: "Service Unavailable",
			Detail: "The database went away while the change was being committed: it was made entirely or not at all. Check the current state before retrying."}
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, driver.ErrBadConn):
		// The store wraps database failures with ErrUnavailable; a bare
		// bad-connection error that escaped it means the same. (A network
		// error may be the OIDC issuer's: it stays a 500.)
		return &Problem{Status: http.StatusServiceUnavailable, Title: "Service Unavailable",
			Detail: "The database is unavailable; nothing was changed. Retry later."}
	case errors.As(err, &he):
		switch he.Code {
		case http.StatusNotFound:
			return &Problem{Status: 404, Title: "Not Found", ContentType: ctProblem,
				Detail: "The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again."}
		case http.StatusMethodNotAllowed:
			return &Problem{Status: 405, Title: "Method Not Allowed", ContentType: ctProblem,
				Detail: "The method is not allowed for the requested URL."}
		case http.StatusRequestEntityTooLarge:
			return &Problem{Status: 413, Title: "Request Entity Too Large", ContentType: ctProblem,
				Detail: "The data value transmitted exceeds the capacity limit."}
		}
		if he.Code < 500 {
			return &Problem{Status: he.Code, Title: http.StatusText(he.Code), Detail: fmt.Sprint(he.Message), ContentType: ctProblem}
		}
	}
	return &Problem{Status: http.StatusInternalServerError, Title: "Internal Server Error", Detail: "Internal Server Error"}
}
