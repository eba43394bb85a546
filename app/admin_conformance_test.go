package app

import (
	"fmt"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/balrog-go/balrog/admin/admintest"
	"github.com/balrog-go/balrog/store/storetest"
)

// TestAdminConformance replays every recorded admin sequence against
// `balrog serve --role=admin --auth=dev` on a real listener, so the
// Dockerflow endpoints and the wiring of the role are part of what is
// compared.
func TestAdminConformance(t *testing.T) {
	corpus := filepath.Join(sharedDir(t), "conformance", "admin")
	files, _ := filepath.Glob(filepath.Join(corpus, "*.jsonl"))
	if len(files) == 0 {
		t.Fatal("no admin sequences")
	}
	config := filepath.Join(corpus, "config.json")
	for _, f := range files {
		seq := strings.TrimSuffix(filepath.Base(f), ".jsonl")
		steps, err := admintest.ReadSteps(f)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(seq, func(t *testing.T) {
			for _, d := range storetest.Databases(t) {
				t.Run(d.Name, func(t *testing.T) {
					// The corpus's starting state: one admin row, no history.
					migrateWithAdmin(t, d.URL)
					s := startServe(t, d.URL, "--role", "admin", "--auth", "dev", "--config", config, "--log-level", "error", "--admin-rate-limit", "0")
					target, _ := url.Parse("http://" + s.addr("admin"))
					h := httputil.NewSingleHostReverseProxy(target)
					passed, failed, known := 0, 0, 0
					for _, st := range steps {
						msg := admintest.RunStep(h, st)
						reason, isKnown := admintest.KnownDeviations[st.ID]
						switch {
						case msg != "" && isKnown:
							known++
							t.Logf("%s: known deviation (%s): %s", st.ID, reason, msg)
						case msg != "":
							failed++
							t.Errorf("%s: %s", st.ID, msg)
						case isKnown:
							t.Errorf("%s passes now: remove it from admintest.KnownDeviations", st.ID)
						default:
							passed++
						}
					}
					fmt.Printf("admin conformance: %s/%s: %d passed, %d failed (%d known deviations)\n", seq, d.Name, passed, failed+known, known)
				})
			}
		})
	}
}
