package public

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/balrog-go/balrog/blobs"
	"github.com/balrog-go/balrog/rules"
	"github.com/balrog-go/balrog/store"
	"github.com/balrog-go/balrog/store/storetest"
)

// corpusDir is the recorded conformance corpus (shared/conformance).
func corpusDir(t *testing.T) string {
	for _, d := range []string{os.Getenv("BALROG_CONFORMANCE_DIR"), "../../shared/conformance/scenarios", "/work/shared/conformance/scenarios"} {
		if d == "" {
			continue
		}
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d
		}
	}
	t.Skip("conformance corpus not found (set BALROG_CONFORMANCE_DIR)")
	return ""
}

type corpusCase struct {
	ID      string            `json:"id"`
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers"`
}

// readCorpusScenario reads a scenario directory: its data set, allowlist,
// force hosts and cases.
func readCorpusScenario(t *testing.T, dir string) (store.Dataset, Config, []corpusCase) {
	t.Helper()
	var ds store.Dataset
	names, _ := filepath.Glob(filepath.Join(dir, "releases", "*.json"))
	for _, path := range names {
		var f struct {
			Name, Product string
			ReadOnly      bool `json:"read_only"`
			Data          json.RawMessage
		}
		readJSON(t, path, &f)
		var c bytes.Buffer
		if err := json.Compact(&c, f.Data); err != nil {
			t.Fatal(err)
		}
		ds.Releases = append(ds.Releases, store.Release{Name: f.Name, Product: f.Product, ReadOnly: f.ReadOnly, Data: c.Bytes(), DataVersion: 1})
	}
	readJSON(t, filepath.Join(dir, "rules.json"), &ds.Rules)
	if _, err := os.Stat(filepath.Join(dir, "shutoffs.json")); err == nil {
		readJSON(t, filepath.Join(dir, "shutoffs.json"), &ds.Shutoffs)
	}
	if _, err := os.Stat(filepath.Join(dir, "pins.json")); err == nil {
		readJSON(t, filepath.Join(dir, "pins.json"), &ds.Pins)
	}
	// config.json, read as YAML to keep the order of path regexes.
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var hosts []blobs.AllowlistHost
	var cfg Config
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		v := root.Content[i+1]
		switch root.Content[i].Value {
		case "domain_allowlist":
			for j := 0; j+1 < len(v.Content); j += 2 {
				h := blobs.AllowlistHost{Host: v.Content[j].Value}
				pv := v.Content[j+1]
				if pv.Kind == yaml.SequenceNode {
					if err := pv.Decode(&h.Products); err != nil {
						t.Fatal(err)
					}
				} else {
					h.Paths = []blobs.AllowlistPath{}
					for k := 0; k+1 < len(pv.Content); k += 2 {
						p := blobs.AllowlistPath{Pattern: pv.Content[k].Value}
						if err := pv.Content[k+1].Decode(&p.Products); err != nil {
							t.Fatal(err)
						}
						h.Paths = append(h.Paths, p)
					}
				}
				hosts = append(hosts, h)
			}
		case "special_force_hosts":
			if err := v.Decode(&cfg.ForceHosts); err != nil {
				t.Fatal(err)
			}
		}
	}
	if cfg.Allowlist, err = blobs.NewAllowlist(hosts); err != nil {
		t.Fatal(err)
	}
	cb, err := os.ReadFile(filepath.Join(dir, "cases.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []corpusCase
	for _, line := range bytes.Split(cb, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var c corpusCase
		if err := json.Unmarshal(line, &c); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, c)
	}
	return ds, cfg, cases
}

func readJSON(t *testing.T, path string, into any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// serveRaw serves h on a loopback listener wrapped as the public role's is,
// and returns a function sending a request-target verbatim.
func serveRaw(t *testing.T, h http.Handler) func(method, target string, headers map[string]string) (int, http.Header, []byte) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go func() { _ = srv.Serve(WrapListener(ln)) }()
	t.Cleanup(func() { srv.Close() })
	var conn net.Conn
	var br *bufio.Reader
	return func(method, target string, headers map[string]string) (int, http.Header, []byte) {
		t.Helper()
		for attempt := 0; ; attempt++ {
			if conn == nil {
				if conn, err = net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second); err != nil {
					t.Fatal(err)
				}
				br = bufio.NewReader(conn)
			}
			var req strings.Builder
			fmt.Fprintf(&req, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, target, ln.Addr())
			for k, v := range headers {
				fmt.Fprintf(&req, "%s: %s\r\n", k, v)
			}
			req.WriteString("\r\n")
			_, werr := io.WriteString(conn, req.String())
			var resp *http.Response
			if werr == nil {
				resp, werr = http.ReadResponse(br, &http.Request{Method: method})
			}
			if werr != nil {
				conn.Close()
				conn = nil
				if attempt < 2 {
					continue
				}
				t.Fatal(werr)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.Close {
				conn.Close()
				conn = nil
			}
			resp.Header.Del("Date")
			return resp.StatusCode, resp.Header, body
		}
	}
}

// TestResponseCacheMatchesUncached replays the whole conformance corpus
// against a service without the response cache and one with it, every case
// twice on the cached one (the second time from the cache): status, every
// header and the body must be identical.
func TestResponseCacheMatchesUncached(t *testing.T) {
	dir := corpusDir(t)
	scenarios, _ := filepath.Glob(filepath.Join(dir, "*", "cases.jsonl"))
	if len(scenarios) == 0 {
		t.Skip("no scenarios")
	}
	for _, sc := range scenarios {
		name := filepath.Base(filepath.Dir(sc))
		t.Run(name, func(t *testing.T) {
			ds, cfg, cases := readCorpusScenario(t, filepath.Dir(sc))
			db := openLoaded(t, storetest.Database{Name: "sqlite", URL: "sqlite:///" + t.TempDir() + "/c.db"}, ds)
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			plain := New(db, cfg, log)
			plain.noResponseCache = true
			cached := New(db, cfg, log)
			for _, s := range []*Service{plain, cached} {
				if _, err := s.Load(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			doPlain, doCached := serveRaw(t, plain.NewHandler()), serveRaw(t, cached.NewHandler())
			for _, c := range cases {
				st0, h0, b0 := doPlain(c.Method, c.Path, c.Headers)
				for round := 1; round <= 2; round++ {
					st, h, b := doCached(c.Method, c.Path, c.Headers)
					if st != st0 || !bytes.Equal(b, b0) || !reflect.DeepEqual(h, h0) {
						t.Fatalf("case %s %s %s, cached round %d:\nuncached %d %v\n%s\ncached   %d %v\n%s", c.ID, c.Method, c.Path, round, st0, h0, b0, st, h, b)
					}
				}
			}
			if plain.snap.Load().responses.shardedCache != nil {
				t.Fatal("the uncached service has a response cache")
			}
			t.Logf("%d cases, %d answers cached", len(cases), cached.snap.Load().responses.len())
		})
	}
}

// TestCacheKeyCoversQuery fails when rules.Query gains or loses a field:
// appendCacheKey must then be updated to encode it.
func TestCacheKeyCoversQuery(t *testing.T) {
	var got []string
	ty := reflect.TypeOf(rules.Query{})
	for i := range ty.NumField() {
		got = append(got, ty.Field(i).Name)
	}
	want := []string{"Route", "QueryVersion", "Product", "Version", "BuildID", "BuildTarget", "Locale", "Channel",
		"OSVersion", "Distribution", "DistVersion", "InstructionSet", "Memory", "Jaws", "HasSystemCapabilities",
		"HeaderArchitecture", "Force", "Mig64", "Pin", "Avast", "PlatformVersion", "IMEI"}
	if !slices.Equal(got, want) {
		t.Fatalf("rules.Query fields changed; update appendCacheKey and this list:\ngot  %v\nwant %v", got, want)
	}
	// Each field changes the key; absent differs from empty.
	base := rules.Query{Product: "Firefox", Version: "1.0", BuildID: str("1"), Locale: str("en-US"), Channel: "release"}
	mutations := map[string]func(q *rules.Query){
		"Route":        func(q *rules.Query) { q.Route = rules.RouteJSON },
		"QueryVersion": func(q *rules.Query) { q.QueryVersion = 6 },
		"Product":      func(q *rules.Query) { q.Product = "Firefo" },
		"Version":      func(q *rules.Query) { q.Version = "1.00" },
		"BuildID":      func(q *rules.Query) { q.BuildID = nil },
		"BuildTarget":  func(q *rules.Query) { q.BuildTarget = "x" },
		"Locale":       func(q *rules.Query) { q.Locale = str("") },
		"Channel":      func(q *rules.Query) { q.Channel = "beta" },
		"OSVersion":    func(q *rules.Query) { q.OSVersion = str("") },
		"Distribution": func(q *rules.Query) { q.Distribution = str("d") },
		"DistVersion":  func(q *rules.Query) { q.DistVersion = str("d") },
		"InstructionSet": func(q *rules.Query) {
			q.InstructionSet = str("SSE2")
		},
		"Memory":                func(q *rules.Query) { q.Memory = num(0) },
		"Jaws":                  func(q *rules.Query) { f := false; q.Jaws = &f },
		"HasSystemCapabilities": func(q *rules.Query) { q.HasSystemCapabilities = true },
		"HeaderArchitecture":    func(q *rules.Query) { q.HeaderArchitecture = "PPC" },
		"Force":                 func(q *rules.Query) { q.Force = rules.ForceFallback },
		"Mig64":                 func(q *rules.Query) { tr := true; q.Mig64 = &tr },
		"Pin":                   func(q *rules.Query) { q.Pin = str("") },
		"Avast":                 func(q *rules.Query) { q.Avast = num(1) },
		"PlatformVersion":       func(q *rules.Query) { q.PlatformVersion = str("") },
		"IMEI":                  func(q *rules.Query) { q.IMEI = str("") },
	}
	if len(mutations) != len(want) {
		t.Fatalf("%d mutations for %d fields", len(mutations), len(want))
	}
	k0 := string(appendCacheKey(nil, "U3", &base))
	seen := map[string]string{k0: "base"}
	for name, mut := range mutations {
		q := base
		mut(&q)
		k := string(appendCacheKey(nil, "U3", &q))
		if prev, ok := seen[k]; ok {
			t.Errorf("changing %s gives the key of %s", name, prev)
		}
		seen[k] = name
	}
	if string(appendCacheKey(nil, "U3e", &base)) == k0 {
		t.Error("the route name does not change the key")
	}
	// Length prefixes keep field boundaries: ("ab", "c") != ("a", "bc").
	q1, q2 := base, base
	q1.Product, q1.Version = "ab", "c"
	q2.Product, q2.Version = "a", "bc"
	if bytes.Equal(appendCacheKey(nil, "U3", &q1), appendCacheKey(nil, "U3", &q2)) {
		t.Error("field boundaries are ambiguous")
	}
}

// TestThrottledAnswersKeyOnTheRoll: a throttled rule rolls the dice on
// every request, cached or not, and its answers are cached per outcome
// (main or fallback mapping), never one for the other.
func TestThrottledAnswersKeyOnTheRoll(t *testing.T) {
	ds := store.Dataset{
		Releases: []store.Release{
			{Name: "Firefox-2.0-build1", Product: "Firefox", Data: testBlob("Firefox-2.0-build1", "2.0", "20200101000000"), DataVersion: 1},
			{Name: "Firefox-1.5-build1", Product: "Firefox", Data: testBlob("Firefox-1.5-build1", "1.5", "20190101000000"), DataVersion: 1},
		},
		Rules: []rules.Rule{{RuleID: 1, Priority: num(100), Mapping: str("Firefox-2.0-build1"), FallbackMapping: str("Firefox-1.5-build1"), BackgroundRate: num(50), UpdateType: "minor", Product: str("Firefox"), Channel: str("release"), DataVersion: 1}},
	}
	db := openLoaded(t, storetest.Database{Name: "sqlite", URL: "sqlite:///" + t.TempDir() + "/t.db"}, ds)
	allow, _ := blobs.NewAllowlist([]blobs.AllowlistHost{{Host: "download.mozilla.org", Products: []string{"Firefox"}}})
	roll := 0
	rolls := []int{10, 90, 90, 10, 10, 90, 49, 50}
	s := New(db, Config{Allowlist: allow, Dice: func() int { roll++; return rolls[(roll-1)%len(rolls)] }}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if _, err := s.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := s.NewHandler()
	do := serveRaw(t, h)
	target := "/update/3/Firefox/1.0/20180101000000/WINNT_x86-msvc/en-US/release/Windows_NT%2010.0/default/default/update.xml"
	bodies := map[bool]string{}
	for i, r := range rolls {
		_, _, b := do("GET", target, nil)
		main := r < 50
		if want, ok := bodies[main]; ok && want != string(b) {
			t.Fatalf("request %d (roll %d): a cached answer of the other outcome:\n%s\nwant\n%s", i, r, b, want)
		}
		bodies[main] = string(b)
		if wantVersion := map[bool]string{true: "2.0", false: "1.5"}[main]; !strings.Contains(string(b), `appVersion="`+wantVersion+`"`) {
			t.Fatalf("request %d (roll %d): want version %s:\n%s", i, r, wantVersion, b)
		}
	}
	if roll != len(rolls) {
		t.Fatalf("%d rolls for %d requests: cached answers must roll too", roll, len(rolls))
	}
	if n := s.snap.Load().responses.len(); n != 2 {
		t.Fatalf("%d answers cached, want 2 (main and fallback)", n)
	}
	before := roll
	for range 3 {
		do("GET", target+"?force=1", nil)
	}
	if roll != before {
		t.Fatal("a forced request rolled the dice")
	}
	if n := s.snap.Load().responses.len(); n != 3 {
		t.Fatalf("%d answers cached, want 3 (main, fallback, forced)", n)
	}
	// Recalled answers (recall.go): a forced answer, decided by its target
	// alone, is recalled without a roll; a throttled target's answers are
	// remembered per decision and found again by one roll per request.
	ctx := context.Background()
	_, hdr, forced := do("GET", target+"?force=1", nil)
	before = roll
	rc, _ := h.Recall(ctx, []byte(target+"?force=1"), "")
	if rc == nil || string(rc.Body) != string(forced) || rc.Status != 200 || roll != before {
		t.Fatalf("forced answer not recalled, or rolled (%d rolls): %+v", roll-before, rc)
	}
	for name, v := range hdr {
		if line := name + ": " + v[0] + "\r\n"; !strings.Contains(strings.ToLower(string(rc.Lines)), strings.ToLower(line)) {
			t.Errorf("recalled header lines lack %q:\n%s", line, rc.Lines)
		}
	}
	if !strings.Contains(string(rc.Lines), "Content-Length: "+strconv.Itoa(len(forced))+"\r\n") {
		t.Errorf("recalled header lines lack the length:\n%s", rc.Lines)
	}
	for i := range 4 {
		before := roll
		rc, rctx := h.Recall(ctx, []byte(target), "")
		if roll != before+1 {
			t.Fatalf("recall %d rolled %d times, want once", i, roll-before)
		}
		main := rolls[(roll-1)%len(rolls)] < 50
		if rc == nil || string(rc.Body) != bodies[main] || rctx != ctx {
			t.Fatalf("recall %d (main %v): %+v", i, main, rc)
		}
	}
	// Another User-Agent has its own memory: its first answer is the one
	// remembered; a roll for the other decision is not answered from memory
	// but carried to the handler, which does not roll again.
	ua := map[string]string{"User-Agent": "Carry"}
	if rc, _ := h.Recall(ctx, []byte(target), "Carry"); rc != nil {
		t.Fatal("an answer is recalled for a User-Agent not seen")
	}
	do("GET", target, ua)
	firstMain := rolls[(roll-1)%len(rolls)] < 50
	carried := false
	for range len(rolls) {
		before := roll
		rc, rctx := h.Recall(ctx, []byte(target), "Carry")
		main := rolls[(roll-1)%len(rolls)] < 50
		if main == firstMain {
			if rc == nil || string(rc.Body) != bodies[main] {
				t.Fatalf("remembered decision (main %v) not recalled", main)
			}
			continue
		}
		if rc != nil || rctx == ctx {
			t.Fatalf("decision (main %v) not remembered yet, but recalled %v or no decision carried", main, rc != nil)
		}
		req := httptest.NewRequest("GET", target, nil).WithContext(rctx)
		req.Header.Set("User-Agent", "Carry")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if roll != before+1 || rec.Body.String() != bodies[main] {
			t.Fatalf("carried decision (main %v): %d rolls, body %q", main, roll-before, rec.Body.String())
		}
		carried = true
		break
	}
	if !carried {
		t.Fatal("no roll picked the decision not remembered")
	}
	// A snapshot swap drops the cache.
	if err := db.Import(context.Background(), store.Dataset{Shutoffs: []rules.Shutoff{{Product: "Thunderbird", Channel: "x", DataVersion: 1}}}, "test"); err != nil {
		t.Fatal(err)
	}
	if loaded, err := s.Load(context.Background()); err != nil || !loaded {
		t.Fatalf("reload: %v %v", loaded, err)
	}
	if n := s.snap.Load().responses.len(); n != 0 {
		t.Fatalf("new snapshot starts with %d cached answers", n)
	}
}
