package admin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/balrog-go/balrog/admin/auth"
	"github.com/balrog-go/balrog/store/storetest"
)

// TestConcurrentRuleUpdates races writers that all base their update of one
// rule on the same data_version, through the real HTTP handler on MariaDB
// (REPEATABLE READ): per round exactly one wins, every other gets Balrog's
// OutdatedDataError, and no update is lost: the rule's data_version and its
// rules_history rows account for every success and nothing else.
func TestConcurrentRuleUpdates(t *testing.T) {
	const (
		writers = 50
		rounds  = 5
	)
	h, db := newTestServer(t, storetest.MySQL(t).URL)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	client := &http.Client{
		Timeout:   60 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: writers, MaxConnsPerHost: writers},
	}
	t.Cleanup(client.CloseIdleConnections)

	do := func(method, path, body string) (int, []byte, error) {
		req, err := http.NewRequest(method, srv.URL+path, bytes.NewReader([]byte(body)))
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(auth.DevUserHeader, "balrogadmin")
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, b, err
	}
	must := func(method, path, body string, want int) []byte {
		t.Helper()
		code, b, err := do(method, path, body)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		if code != want {
			t.Fatalf("%s %s: %d %s, want %d", method, path, code, b, want)
		}
		return b
	}

	must("PUT", "/releases/Firefox-1.0-build1", replaceAll(firefoxV1, "NAME", "Firefox-1.0-build1"), 201)
	ruleID := string(must("POST", "/rules", `{"priority": 1, "backgroundRate": 1, "update_type": "minor", "product": "Firefox", "channel": "release", "mapping": "Firefox-1.0-build1"}`, 200))
	if _, err := strconv.Atoi(ruleID); err != nil {
		t.Fatalf("rule id %q", ruleID)
	}
	wantOutdated := map[string]any{
		"type": "about:blank", "title": "Bad Request", "detail": "OutdatedDataError", "status": float64(400),
		"exception": "Couldn't perform the request PUT. Outdated Data Version. old_data_version doesn't match current data_version",
	}

	type result struct {
		code int
		body []byte
		err  error
	}
	wins := 0
	for round := range rounds {
		// Every writer reads the rule itself, as a client would, and sends
		// the version it read.
		var (
			start   = make(chan struct{})
			read    sync.WaitGroup
			done    sync.WaitGroup
			results = make([]result, writers)
			readVer = make([]int, writers)
		)
		read.Add(writers)
		done.Add(writers)
		for w := range writers {
			go func() {
				defer done.Done()
				code, b, err := do("GET", "/rules/"+ruleID, "")
				var cur struct {
					DataVersion int `json:"data_version"`
				}
				if err == nil && code == 200 {
					err = json.Unmarshal(b, &cur)
				} else if err == nil {
					err = fmt.Errorf("GET rule: %d %s", code, b)
				}
				readVer[w] = cur.DataVersion
				read.Done()
				if err != nil {
					results[w] = result{err: err}
					return
				}
				<-start
				body := fmt.Sprintf(`{"data_version": %d, "priority": %d, "comment": "round %d writer %d"}`,
					cur.DataVersion, 100+w, round, w)
				code, b, err = do("PUT", "/rules/"+ruleID, body)
				results[w] = result{code, b, err}
			}()
		}
		read.Wait() // every writer holds the same version before any writes
		close(start)
		done.Wait()

		base := readVer[0]
		okCount := 0
		for w, r := range results {
			if readVer[w] != base {
				t.Fatalf("round %d: writer %d read version %d, writer 0 read %d", round, w, readVer[w], base)
			}
			switch {
			case r.err != nil:
				t.Fatalf("round %d writer %d: %v", round, w, r.err)
			case r.code == 200:
				okCount++
				var got map[string]int
				if err := json.Unmarshal(r.body, &got); err != nil || got["new_data_version"] != base+1 {
					t.Errorf("round %d writer %d: body %s, want new_data_version %d", round, w, r.body, base+1)
				}
			case r.code == 400:
				var got map[string]any
				if err := json.Unmarshal(r.body, &got); err != nil || fmt.Sprint(got) != fmt.Sprint(wantOutdated) {
					t.Errorf("round %d writer %d: 400 %s, want OutdatedDataError", round, w, r.body)
				}
			default:
				t.Errorf("round %d writer %d: %d %s", round, w, r.code, r.body)
			}
		}
		if okCount != 1 {
			t.Fatalf("round %d: %d writers won on data_version %d, want exactly 1", round, okCount, base)
		}
		wins += okCount
	}

	var dataVersion, histRows, histMax int
	if err := db.SQL().QueryRow("SELECT data_version FROM rules WHERE rule_id = ?", ruleID).Scan(&dataVersion); err != nil {
		t.Fatal(err)
	}
	if dataVersion != 1+wins {
		t.Errorf("rule data_version %d after %d successful writes, want %d", dataVersion, wins, 1+wins)
	}
	// The create wrote a marker row and the version-1 row; each update one row.
	if err := db.SQL().QueryRow(`SELECT COUNT(*), COALESCE(MAX(data_version), 0) FROM rules_history
		WHERE rule_id = ? AND data_version > 1`, ruleID).Scan(&histRows, &histMax); err != nil {
		t.Fatal(err)
	}
	if histRows != wins || histMax != 1+wins {
		t.Errorf("rules_history has %d update rows up to version %d, want %d up to %d", histRows, histMax, wins, 1+wins)
	}
	var distinct int
	if err := db.SQL().QueryRow(`SELECT COUNT(DISTINCT data_version) FROM rules_history WHERE rule_id = ? AND data_version > 1`, ruleID).Scan(&distinct); err != nil {
		t.Fatal(err)
	}
	if distinct != histRows {
		t.Errorf("rules_history has %d update rows but %d distinct versions: a version was written twice", histRows, distinct)
	}
}
