package rules

import (
	"bufio"
	"encoding/json"
	"errors"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// conformanceDir is the recorded real-Balrog corpus, relative to the
// package directory.
const conformanceDir = "../../shared/conformance/scenarios"

type confCase struct {
	ID        string            `json:"id"`
	Method    string            `json:"method"`
	Path      string            `json:"path"`
	Headers   map[string]string `json:"headers"`
	Status    int               `json:"status"`
	RespHdrs  map[string]string `json:"response_headers"`
	Body      string            `json:"body"`
	Free      bool              `json:"free"`
	BodyMatch string            `json:"body_match"`
}

type scenario struct {
	name  string
	ix    *Index
	cases []confCase
}

func loadJSON(t *testing.T, path string, v any, optional bool) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		if optional && errors.Is(err, os.ErrNotExist) {
			return
		}
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func loadScenarios(t *testing.T) []scenario {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(conformanceDir, "*"))
	if err != nil || len(dirs) == 0 {
		t.Skipf("conformance corpus not found at %s", conformanceDir)
	}
	var out []scenario
	for _, dir := range dirs {
		var rs []Rule
		var shutoffs []Shutoff
		var pins []Pin
		loadJSON(t, filepath.Join(dir, "rules.json"), &rs, false)
		loadJSON(t, filepath.Join(dir, "shutoffs.json"), &shutoffs, true)
		loadJSON(t, filepath.Join(dir, "pins.json"), &pins, true)
		f, err := os.Open(filepath.Join(dir, "cases.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		var cases []confCase
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			var c confCase
			if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
				t.Fatal(err)
			}
			cases = append(cases, c)
		}
		f.Close()
		out = append(out, scenario{filepath.Base(dir), NewIndex(rs, shutoffs, pins), cases})
	}
	return out
}

// TestConformanceCorpus parses every recorded request path and, for the
// update routes, evaluates the rules: the validation errors, the unknown
// "/update…" paths, the Rule-ID headers and the rule-level version errors
// must agree with the recording.
func TestConformanceCorpus(t *testing.T) {
	checked := 0
	for _, s := range loadScenarios(t) {
		for _, c := range s.cases {
			rawPath, rawQuery, _ := strings.Cut(c.Path, "?")
			m, err := ParseUpdateRequest(rawPath, rawQuery, c.Headers["User-Agent"])
			name := s.name + "/" + c.ID
			rid, hasRID := c.RespHdrs["Rule-ID"]
			var qerr *QueryValidationError
			if errors.As(err, &qerr) {
				if c.Status != 400 || c.BodyMatch != "problem_json" {
					t.Errorf("%s: %s: validation error %q, recorded %d", name, c.Path, qerr.Detail, c.Status)
				}
				continue
			}
			if c.Status == 400 && c.BodyMatch == "problem_json" && c.Method == "GET" {
				t.Errorf("%s: %s: recorded a validation error, got kind %d", name, c.Path, m.Kind)
			}
			if err != nil {
				t.Errorf("%s: unexpected error %v", name, err)
				continue
			}
			switch m.Kind {
			case NotUpdatePath:
				if hasRID || strings.Contains(c.RespHdrs["Content-Type"], "text/xml") {
					t.Errorf("%s: %s: not an update path but recorded an update response", name, c.Path)
				}
				continue
			case OtherUpdatePath:
				if c.Method == "GET" && (c.Status != 200 || hasRID) {
					t.Errorf("%s: %s: unknown /update path, recorded %d RID %q", name, c.Path, c.Status, rid)
				}
				continue
			case RedirectSlashes:
				t.Errorf("%s: %s: unexpected redirect", name, c.Path)
				continue
			}
			if c.Method != "GET" || c.Free {
				continue
			}
			d, err := s.ix.Evaluate(m.Query, func() int { return 99 })
			if err != nil {
				var bad *BadInputError
				if !errors.As(err, &bad) || c.Status != 400 || c.Body != html.EscapeString(bad.Message) {
					t.Errorf("%s: %s: evaluation error %v, recorded %d %q", name, c.Path, err, c.Status, c.Body)
				}
				checked++
				continue
			}
			if hasRID && d.RuleIDHeader() != rid {
				t.Errorf("%s: %s: Rule-ID %s, recorded %s", name, c.Path, d.RuleIDHeader(), rid)
			}
			if hasRID && c.RespHdrs["Rule-Data-Version"] != d.RuleDataVersionHeader() {
				t.Errorf("%s: %s: Rule-Data-Version %s, recorded %s", name, c.Path, d.RuleDataVersionHeader(), c.RespHdrs["Rule-Data-Version"])
			}
			if m.Query.Route == RouteXML && c.Status == 200 && !hasRID {
				t.Errorf("%s: %s: update route answered without Rule-ID", name, c.Path)
			}
			if c.Status == 200 && strings.HasSuffix(c.Body, "</updates>") && strings.Contains(c.Body, "<update ") && d.Mapping == "" {
				t.Errorf("%s: %s: recorded an update, evaluation chose no release", name, c.Path)
			}
			checked++
		}
	}
	t.Logf("checked %d evaluated cases", checked)
}
