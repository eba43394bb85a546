package app

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/balrog-go/balrog/store/storetest"
)

// conformanceCase is one line of a scenario's cases.jsonl.
type conformanceCase struct {
	ID              string            `json:"id"`
	Method          string            `json:"method"`
	Path            string            `json:"path"`
	Headers         map[string]string `json:"headers"`
	Status          int               `json:"status"`
	ResponseHeaders map[string]string `json:"response_headers"`
	Body            string            `json:"body"`
	Free            bool              `json:"free"`
	BodyMatch       string            `json:"body_match"`
}

// recordedHeaders are the headers the recorder looked at: a recorded one
// must be sent with that value, an unrecorded one must not be sent.
var recordedHeaders = []string{
	"Content-Type", "Cache-Control", "Rule-ID", "Rule-Data-Version", "Content-Signature",
	"Strict-Transport-Security", "X-Content-Type-Options", "Content-Security-Policy",
	"X-Frame-Options", "Location",
}

func readCases(t *testing.T, path string) []conformanceCase {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cases []conformanceCase
	for i, line := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var c conformanceCase
		if err := json.Unmarshal(line, &c); err != nil {
			t.Fatalf("%s:%d: %v", path, i+1, err)
		}
		cases = append(cases, c)
	}
	return cases
}

// rawClient sends requests with the request-target exactly as recorded
// (an http.Client would normalise it) over one keep-alive connection.
type rawClient struct {
	addr string
	conn net.Conn
	br   *bufio.Reader
}

func (c *rawClient) do(method, target string, headers map[string]string) (*http.Response, []byte, error) {
	for attempt := 0; attempt < 2; attempt++ {
		if c.conn == nil {
			conn, err := net.DialTimeout("tcp", c.addr, 5*time.Second)
			if err != nil {
				return nil, nil, err
			}
			c.conn, c.br = conn, bufio.NewReader(conn)
		}
		var req strings.Builder
		fmt.Fprintf(&req, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, target, c.addr)
		for k, v := range headers {
			fmt.Fprintf(&req, "%s: %s\r\n", k, v)
		}
		req.WriteString("\r\n")
		c.conn.SetDeadline(time.Now().Add(30 * time.Second))
		if _, err := io.WriteString(c.conn, req.String()); err != nil {
			c.reset()
			continue
		}
		resp, err := http.ReadResponse(c.br, &http.Request{Method: method})
		if err != nil {
			c.reset()
			continue
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			c.reset()
			continue
		}
		if resp.Close {
			c.reset()
		}
		return resp, body, nil
	}
	return nil, nil, fmt.Errorf("%s %s: connection failed twice", method, target)
}

func (c *rawClient) reset() {
	if c.conn != nil {
		c.conn.Close()
	}
	c.conn, c.br = nil, nil
}

// compareCase returns why a response differs from the recording, or "".
func compareCase(c conformanceCase, resp *http.Response, body []byte) string {
	if resp.StatusCode != c.Status {
		return fmt.Sprintf("status %d, want %d (body %.200q)", resp.StatusCode, c.Status, body)
	}
	for _, name := range recordedHeaders {
		want, recorded := lookupHeader(c.ResponseHeaders, name)
		got, sent := resp.Header[http.CanonicalHeaderKey(name)], len(resp.Header.Values(name)) > 0
		switch {
		case recorded && !sent:
			return fmt.Sprintf("header %s missing, want %q", name, want)
		case !recorded && sent:
			return fmt.Sprintf("header %s = %q, want none", name, got)
		case recorded && resp.Header.Get(name) != want:
			return fmt.Sprintf("header %s = %q, want %q", name, resp.Header.Get(name), want)
		}
	}
	if c.BodyMatch == "problem_json" {
		var got, want struct {
			Type   string `json:"type"`
			Status int    `json:"status"`
		}
		if err := json.Unmarshal(body, &got); err != nil {
			return fmt.Sprintf("body is not a problem document: %v: %.200q", err, body)
		}
		json.Unmarshal([]byte(c.Body), &want)
		if got != want {
			return fmt.Sprintf("problem %+v, want %+v", got, want)
		}
		return ""
	}
	if string(body) != c.Body {
		return fmt.Sprintf("body differs:\n got: %q\nwant: %q", body, c.Body)
	}
	return ""
}

func lookupHeader(h map[string]string, name string) (string, bool) {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// importScenario migrates d and imports the scenario directory dir into it
// with the import command.
func importScenario(t *testing.T, d storetest.Database, dir string) {
	t.Helper()
	if r := runCmd(t, nil, "migrate", "pre", "--db", d.URL); r.code != 0 {
		t.Fatalf("migrate pre: %s", r.stderr)
	}
	if r := runCmd(t, nil, "import", "--skip-validation", "--log-format", "text", "--log-level", "error", "--db", d.URL, "--config", filepath.Join(dir, "config.json"), dir); r.code != 0 {
		t.Fatalf("import: %s", r.stderr)
	}
}

// TestConformance replays every recorded case of every scenario against a
// fresh database (SQLite, and MySQL when configured) loaded by the import
// command and served by `balrog serve --role=public` on a real listener.
func TestConformance(t *testing.T) {
	eachScenario(t, func(t *testing.T, name, dir string, cases []conformanceCase, d storetest.Database, client *rawClient) {
		passed, failed, freeFailed := 0, 0, 0
		for _, c := range cases {
			why := replayCase(client, c)
			switch {
			case why == "":
				passed++
			case c.Free:
				freeFailed++
				t.Logf("free case %s differs (allowed): %s", c.ID, why)
			default:
				failed++
				if failed <= 15 {
					t.Errorf("case %s: %s %s: %s", c.ID, c.Method, c.Path, why)
				}
			}
		}
		fmt.Printf("conformance: %s/%s: %d passed, %d failed (%d free cases differ)\n", name, d.Name, passed, failed, freeFailed)
	})
}

// replayCase sends a case and compares the answer with the recording. A
// GET or HEAD is sent three times: the second answer comes from the
// response cache, the third may be recalled whole by the front
// (public/recall.go); each must match the recording, and all three must
// carry the same headers.
func replayCase(client *rawClient, c conformanceCase) string {
	times := 1
	if c.Method == http.MethodGet || c.Method == http.MethodHead {
		times = 3
	}
	var first http.Header
	for i := range times {
		resp, body, err := client.do(c.Method, c.Path, c.Headers)
		if err != nil {
			return err.Error()
		}
		if why := compareCase(c, resp, body); why != "" {
			return fmt.Sprintf("answer %d: %s", i+1, why)
		}
		resp.Header.Del("Date")
		if i == 0 {
			first = resp.Header
		} else if fmt.Sprint(first) != fmt.Sprint(resp.Header) {
			return fmt.Sprintf("answer %d headers %v, first %v", i+1, resp.Header, first)
		}
	}
	return ""
}

// scenarioDirs lists the conformance scenarios' directories.
func scenarioDirs(t *testing.T) []string {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(sharedDir(t), "conformance", "scenarios", "*"))
	if len(dirs) == 0 {
		t.Fatal("no conformance scenarios found")
	}
	return dirs
}

// eachScenario runs fn for every conformance scenario on every test
// database (SQLite, and MySQL when configured), freshly loaded by the
// import command and served by `balrog serve --role=public` on a real
// listener that client talks to.
func eachScenario(t *testing.T, fn func(t *testing.T, name, dir string, cases []conformanceCase, d storetest.Database, client *rawClient)) {
	scenarios := scenarioDirs(t)
	for _, dir := range scenarios {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			cases := readCases(t, filepath.Join(dir, "cases.jsonl"))
			config := filepath.Join(dir, "config.json")
			for _, d := range storetest.Databases(t) {
				t.Run(d.Name, func(t *testing.T) {
					importScenario(t, d, dir)
					s := startServe(t, d.URL, "--role", "public", "--config", config, "--log-level", "error")
					client := &rawClient{addr: s.addr("public")}
					defer client.reset()
					fn(t, name, dir, cases, d, client)
				})
			}
		})
	}
}
