package blobs

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/balrog-go/balrog/rules"
)

// conformanceDir is the shared conformance corpus, relative to this
// package's directory.
const conformanceDir = "../../shared/conformance"

func requireCorpus(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(conformanceDir); err != nil {
		t.Skip("conformance corpus not available:", err)
	}
}

// releaseFile is the layout of scenarios/*/releases/*.json.
type releaseFile struct {
	Name    string          `json:"name"`
	Product string          `json:"product"`
	Data    json.RawMessage `json:"data"`
}

// TestParseCorpus parses every blob of the corpus; only schema 7 may fail.
func TestParseCorpus(t *testing.T) {
	requireCorpus(t)
	var files []string
	for _, pattern := range []string{
		"scenarios/*/releases/*.json",
		"balrog-data/data/*.json",
		"balrog-data/aus-data-snapshots/*/*.json",
	} {
		m, err := filepath.Glob(filepath.Join(conformanceDir, pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 50 {
		t.Fatalf("found only %d blob files", len(files))
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		data := raw
		if strings.Contains(f, "/scenarios/") {
			var rf releaseFile
			if err := json.Unmarshal(raw, &rf); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			data = rf.Data
		}
		b, err := Parse(data)
		if err != nil {
			var probe struct {
				SchemaVersion any `json:"schema_version"`
			}
			_ = json.Unmarshal(data, &probe)
			if errors.Is(err, ErrSchemaVersion) && probe.SchemaVersion == float64(7) {
				continue
			}
			t.Errorf("%s: %v", f, err)
			continue
		}
		if b.Meta().SchemaVersion == 0 {
			t.Errorf("%s: no schema version", f)
		}
	}
}

// scenario is one loaded conformance scenario.
type scenario struct {
	dir      string
	env      *Env
	releases map[string]Blob
	products map[string]string
	rules    map[int]*rules.Rule
	allRules []*rules.Rule
	pins     []rules.Pin
}

func loadScenario(t *testing.T, dir string) *scenario {
	t.Helper()
	s := &scenario{dir: dir, releases: map[string]Blob{}, products: map[string]string{}, rules: map[int]*rules.Rule{}}
	var cfg struct {
		Allowlist  json.RawMessage `json:"domain_allowlist"`
		ForceHosts []string        `json:"special_force_hosts"`
	}
	readJSON(t, filepath.Join(dir, "config.json"), &cfg)
	al, err := ParseAllowlist(cfg.Allowlist)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "releases", "*.json"))
	for _, f := range files {
		var rf releaseFile
		readJSON(t, f, &rf)
		b, err := Parse(rf.Data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		s.releases[rf.Name] = b
		s.products[rf.Name] = rf.Product
	}
	readJSON(t, filepath.Join(dir, "rules.json"), &s.allRules)
	for _, r := range s.allRules {
		s.rules[r.RuleID] = r
	}
	if _, err := os.Stat(filepath.Join(dir, "pins.json")); err == nil {
		readJSON(t, filepath.Join(dir, "pins.json"), &s.pins)
	}
	s.env = &Env{Allowlist: al, ForceHosts: cfg.ForceHosts, Releases: ReleaseMap(s.releases)}
	return s
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

type recordedCase struct {
	ID      string            `json:"id"`
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers"`
	Status  int               `json:"status"`
	RespHdr map[string]string `json:"response_headers"`
	Body    string            `json:"body"`
	Free    bool              `json:"free"`
}

// TestConformanceReplay renders every recorded 200 answer whose rule is
// known from its Rule-ID header and compares the body byte for byte. Rule
// selection is taken from the recording; throttling, should-serve, pins,
// superblob fan-out and rendering are done here.
func TestConformanceReplay(t *testing.T) {
	requireCorpus(t)
	dirs, _ := filepath.Glob(filepath.Join(conformanceDir, "scenarios", "*"))
	total := 0
	for _, dir := range dirs {
		s := loadScenario(t, dir)
		data, err := os.ReadFile(filepath.Join(dir, "cases.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			var c recordedCase
			if err := json.Unmarshal([]byte(line), &c); err != nil {
				t.Fatal(err)
			}
			if c.Method != "GET" || c.Status != 200 || c.Free {
				continue
			}
			id, err := strconv.Atoi(c.RespHdr["Rule-ID"])
			if err != nil {
				continue // no rule chosen: the body is the empty document
			}
			q, err := queryFromPath(c.Path, c.Headers["User-Agent"])
			if err != nil {
				t.Errorf("%s %s: %v", filepath.Base(dir), c.ID, err)
				continue
			}
			got, err := s.answer(q, s.rules[id])
			if err != nil {
				t.Errorf("%s %s %s: %v", filepath.Base(dir), c.ID, c.Path, err)
				continue
			}
			total++
			if got != c.Body {
				t.Errorf("%s %s %s:\n got: %q\nwant: %q", filepath.Base(dir), c.ID, c.Path, got, c.Body)
			}
		}
	}
	if total < 1000 {
		t.Errorf("only %d cases replayed", total)
	}
	t.Logf("%d recorded answers replayed", total)
}

// choose returns the release a rule serves for q after throttling,
// should-serve and pins (public.md §4.2 steps 7–11), or nil.
func (s *scenario) choose(q *rules.Query, r *rules.Rule) (Blob, error) {
	mapping := r.Mapping
	rate := 100
	if r.BackgroundRate != nil {
		rate = *r.BackgroundRate
	}
	if q.Force != rules.ForceMain && rate < 100 {
		// The corpus forces every request that could reach 0 < rate < 100;
		// rate 0 always falls back.
		mapping = r.FallbackMapping
	}
	if mapping == nil || *mapping == "" {
		return nil, nil
	}
	b, ok := s.releases[*mapping]
	if !ok {
		return nil, errors.New("missing release " + *mapping)
	}
	d, err := b.ShouldServe(q)
	if err != nil || d == No {
		return nil, err
	}
	if d == Maybe {
		pin, err := rules.ParsePin(*q.Pin)
		if err != nil {
			return nil, err
		}
		for _, p := range s.pins {
			if p.Product == q.Product && p.Channel == rules.FallbackChannel(q.Channel) && p.Version == pin.String() {
				b = s.releases[p.Mapping]
				if d, err := b.ShouldServe(q); err != nil || d == No {
					return nil, err
				}
				break
			}
		}
	}
	return b, nil
}

// pickRule is a reduced rule evaluation used only for the products fan-out
// of GMP superblobs: product, channel and version (MozillaVersion).
func (s *scenario) pickRule(q *rules.Query) *rules.Rule {
	var best *rules.Rule
	for _, r := range s.allRules {
		if r.Product != nil && *r.Product != q.Product {
			continue
		}
		if r.Channel != nil && !matchChannel(*r.Channel, q.Channel) {
			continue
		}
		if r.Version != nil {
			if ok, err := matchVersionList(*r.Version, q.Version); err != nil || !ok {
				continue
			}
		}
		if best == nil || *r.Priority > *best.Priority {
			best = r
		}
	}
	return best
}

// answer renders the response body for q served by rule r.
func (s *scenario) answer(q *rules.Query, r *rules.Rule) (string, error) {
	b, err := s.choose(q, r)
	if err != nil {
		return "", err
	}
	if q.Route == rules.RouteJSON {
		if b == nil {
			return "", errors.New("no blob for a JSON 200")
		}
		out, err := AppendJSON(nil, b, q, s.env)
		return string(out), err
	}
	if b == nil {
		return EmptyXML, nil
	}
	var parts []Part
	if sb, ok := b.(*Superblob); ok {
		switch sb.FanOut() {
		case FanOutProducts:
			for _, p := range sb.Products {
				pq := *q
				pq.Product = p
				pr := s.pickRule(&pq)
				if pr == nil {
					continue
				}
				pb, err := s.choose(&pq, pr)
				if err != nil {
					return "", err
				}
				if pb != nil {
					parts = append(parts, Part{Blob: pb, Query: &pq, UpdateType: pr.UpdateType})
				}
			}
		case FanOutBlobs:
			for _, name := range sb.Blobs {
				pq := *q
				pq.Product = s.products[name]
				parts = append(parts, Part{Blob: s.releases[name], Query: &pq, UpdateType: r.UpdateType})
			}
		}
	}
	out, err := AppendXML(nil, b, q, r.UpdateType, parts, s.env)
	return string(out), err
}
