package public

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// notFoundBody is werkzeug's 404 text (public.md §2.4 E2).
const notFoundBody = "The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again."

// internalErrorDetail is the detail of every 500 (E5): never the cause.
const internalErrorDetail = "The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application."

// writeBody writes a response; HEAD gets the headers only.
func writeBody(w http.ResponseWriter, r *http.Request, status int, contentType string, body []byte) {
	hdr := w.Header()
	hdr["Content-Type"] = []string{contentType}
	hdr["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	if r.Method != http.MethodHead && len(body) > 0 {
		_, _ = w.Write(body)
	}
}

func writeNotFound(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte(notFoundBody))
}

// writeProblem writes an application/problem+json document.
func writeProblem(w http.ResponseWriter, status int, title, detail string) {
	body := appendProblem(nil, status, title, detail)
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// appendProblem renders {"type", "title", "detail", "status"} as the spec
// shows it.
func appendProblem(dst []byte, status int, title, detail string) []byte {
	t, _ := json.Marshal(title)
	d, _ := json.Marshal(detail)
	dst = append(dst, `{"type": "about:blank", "title": `...)
	dst = append(dst, t...)
	dst = append(dst, `, "detail": `...)
	dst = append(dst, d...)
	dst = append(dst, `, "status": `...)
	dst = strconv.AppendInt(dst, int64(status), 10)
	return append(dst, '}')
}

func problemTitle(status int) string {
	if t := http.StatusText(status); t != "" {
		return t
	}
	return "Error"
}

func problemDetail(status int, err error) string {
	switch status {
	case http.StatusMethodNotAllowed:
		return "The method is not allowed for the requested URL."
	case http.StatusInternalServerError:
		return internalErrorDetail
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		if s, ok := he.Message.(string); ok {
			return s
		}
	}
	return http.StatusText(status)
}

// escapeE3 escapes a client-error message as Balrog does: &, < and > only.
func escapeE3(s string) string {
	if !strings.ContainsAny(s, "&<>") {
		return s
	}
	return e3Escaper.Replace(s)
}

var e3Escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
