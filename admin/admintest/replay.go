// Package admintest replays the recorded admin conformance sequences
// (shared/conformance/admin) against any http.Handler: the admin handler
// itself in package admin's tests, or a proxy to a running `balrog serve`
// in package app's.
package admintest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// DevUserHeader carries the step's user (the recorder's test-only header).
const DevUserHeader = "X-Balrog-Dev-User"

const ctProblem = "application/problem+json"

// KnownDeviations are the recorded steps this implementation answers
// differently on purpose, with the reason.
var KnownDeviations = map[string]string{
	// The recording's database let two rules share an alias; our schema
	// has Balrog's production UNIQUE KEY on rules.alias (schema.md §8), so
	// the update is refused with 400 as admin.md §11.1 asks of a Go port,
	// and the later listings differ.
	"rules_crud-049": "rules.alias is unique in this schema",
	"rules_crud-060": "follows from rules_crud-049",
	"rules_crud-069": "follows from rules_crud-049",
}

// Step is one line of a sequence.
type Step struct {
	ID              string            `json:"id"`
	Method          string            `json:"method"`
	Path            string            `json:"path"`
	User            *string           `json:"user"`
	Headers         map[string]string `json:"headers"`
	Body            json.RawMessage   `json:"body"`
	RawBody         *string           `json:"raw_body"`
	Status          int               `json:"status"`
	Response        json.RawMessage   `json:"response"`
	ResponseHeaders map[string]string `json:"response_headers"`
	Ignore          []string          `json:"ignore"`
	Unordered       []string          `json:"unordered"`
}

// ReadSteps reads a sequence file.
func ReadSteps(path string) ([]Step, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Step
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var s Step
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, s)
	}
	return out, sc.Err()
}

// RunStep replays one step and returns what differs, or "".
func RunStep(h http.Handler, st Step) string {
	time.Sleep(5 * time.Millisecond)
	var body *bytes.Reader
	switch {
	case st.RawBody != nil:
		body = bytes.NewReader([]byte(*st.RawBody))
	case len(st.Body) > 0 && string(st.Body) != "null":
		body = bytes.NewReader(st.Body)
	default:
		body = bytes.NewReader(nil)
	}
	req := httptest.NewRequest(st.Method, st.Path, body)
	if body.Len() > 0 || st.RawBody != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if st.User != nil {
		req.Header.Set(DevUserHeader, *st.User)
	}
	for k, v := range st.Headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	got := parseBody(rec.Body.Bytes())
	var want any
	_ = json.Unmarshal(st.Response, &want)
	if xv, ok := st.ResponseHeaders["X-Data-Version"]; ok && rec.Header().Get("X-Data-Version") != xv {
		return fmt.Sprintf("X-Data-Version %q, want %q", rec.Header().Get("X-Data-Version"), xv)
	}
	for _, p := range st.Ignore {
		want = setPath(want, p, "<ignored>")
		got = setPath(got, p, "<ignored>")
	}
	for _, p := range st.Unordered {
		want = sortPath(want, p)
		got = sortPath(got, p)
	}
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(want)
	if rec.Code == st.Status && !bytes.Equal(gb, wb) && st.ResponseHeaders["Content-Type"] == ctProblem && sameTitle(got, want) {
		// The README allows connexion's request-validation wording to
		// differ: status and title must still match.
		return ""
	}
	if rec.Code != st.Status || !bytes.Equal(gb, wb) {
		return fmt.Sprintf("%s %s\n   got %d %s\n  want %d %s", st.Method, st.Path, rec.Code, trunc(gb), st.Status, trunc(wb))
	}
	return ""
}

// sameTitle compares the title fields of two problem bodies.
func sameTitle(got, want any) bool {
	g, ok1 := got.(map[string]any)
	w, ok2 := want.(map[string]any)
	return ok1 && ok2 && fmt.Sprint(g["title"]) == fmt.Sprint(w["title"])
}

func trunc(b []byte) string {
	if len(b) > 1500 && os.Getenv("ADMIN_CONFORMANCE_FULL") == "" {
		return string(b[:1500]) + "…"
	}
	return string(b)
}

// parseBody is the corpus's view of a body: JSON when it parses, else text.
func parseBody(b []byte) any {
	var v any
	if len(b) > 0 && json.Unmarshal(b, &v) == nil {
		return v
	}
	return string(b)
}

var pathToken = regexp.MustCompile(`\.([A-Za-z_][A-Za-z0-9_]*)|\[("(?:[^"\\]|\\.)*"|\d+)\]`)

// pathKeys splits a concrete JSON path into keys (string) and indexes (int).
func pathKeys(p string) []any {
	var out []any
	for _, m := range pathToken.FindAllStringSubmatch(strings.TrimPrefix(p, "$"), -1) {
		switch {
		case m[1] != "":
			out = append(out, m[1])
		case strings.HasPrefix(m[2], `"`):
			var s string
			_ = json.Unmarshal([]byte(m[2]), &s)
			out = append(out, s)
		default:
			n, _ := strconv.Atoi(m[2])
			out = append(out, n)
		}
	}
	return out
}

// setPath replaces the value at p, when present, with v.
func setPath(root any, p string, v any) any {
	return updatePath(root, pathKeys(p), func(any) any { return v })
}

// sortPath sorts the array at p by canonical JSON.
func sortPath(root any, p string) any {
	return updatePath(root, pathKeys(p), func(x any) any {
		arr, ok := x.([]any)
		if !ok {
			return x
		}
		sort.Slice(arr, func(i, j int) bool {
			a, _ := json.Marshal(arr[i])
			b, _ := json.Marshal(arr[j])
			return string(a) < string(b)
		})
		return arr
	})
}

func updatePath(node any, keys []any, f func(any) any) any {
	if len(keys) == 0 {
		return f(node)
	}
	switch k := keys[0].(type) {
	case string:
		if m, ok := node.(map[string]any); ok {
			if v, ok := m[k]; ok {
				m[k] = updatePath(v, keys[1:], f)
			}
		}
	case int:
		if a, ok := node.([]any); ok && k < len(a) {
			a[k] = updatePath(a[k], keys[1:], f)
		}
	}
	return node
}
