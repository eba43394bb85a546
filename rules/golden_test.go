package rules

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// dumpQuery renders every field of q on one line; absent fields print as
// <nil>.
func dumpQuery(q *Query) string {
	var b strings.Builder
	s := func(name string, v *string) {
		if v == nil {
			fmt.Fprintf(&b, " %s=<nil>", name)
		} else {
			fmt.Fprintf(&b, " %s=%s", name, strconv.Quote(*v))
		}
	}
	route := "xml"
	if q.Route == RouteJSON {
		route = "json"
	}
	fmt.Fprintf(&b, "route=%s queryVersion=%d product=%q version=%q", route, q.QueryVersion, q.Product, q.Version)
	s("buildID", q.BuildID)
	fmt.Fprintf(&b, " buildTarget=%q", q.BuildTarget)
	s("locale", q.Locale)
	fmt.Fprintf(&b, " channel=%q", q.Channel)
	s("osVersion", q.OSVersion)
	s("distribution", q.Distribution)
	s("distVersion", q.DistVersion)
	s("instructionSet", q.InstructionSet)
	fmt.Fprintf(&b, " memory=%s jaws=%s hasCaps=%v", fmtPtr(q.Memory), fmtPtr(q.Jaws), q.HasSystemCapabilities)
	fmt.Fprintf(&b, " headerArchitecture=%q force=%d mig64=%s", q.HeaderArchitecture, q.Force, fmtPtr(q.Mig64))
	s("pin", q.Pin)
	fmt.Fprintf(&b, " avast=%s", fmtPtr(q.Avast))
	s("platformVersion", q.PlatformVersion)
	s("IMEI", q.IMEI)
	return b.String()
}

func fmtPtr[T any](p *T) string {
	if p == nil {
		return "<nil>"
	}
	return fmt.Sprint(*p)
}

// TestGoldenQueries parses every request of testdata/requests.txt (one
// request-target per line, optionally followed by a tab and a User-Agent)
// and compares the result with testdata/requests.golden. Run with -update to
// rewrite the golden file after an intended change.
func TestGoldenQueries(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "requests.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		target, ua, _ := strings.Cut(line, "\t")
		m, err := parse(t, target, ua)
		fmt.Fprintf(&out, "%s\n", line)
		kinds := [...]string{"not-update", "other-update", "update", "redirect"}
		fmt.Fprintf(&out, "  kind=%s route=%s path=%q\n", kinds[m.Kind], m.RouteName, m.Path)
		switch {
		case err != nil:
			fmt.Fprintf(&out, "  error: %v\n", err)
		case m.Query != nil:
			fmt.Fprintf(&out, " %s\n", dumpQuery(m.Query))
		}
	}
	checkGolden(t, "requests.golden", out.String())
}

// checkGolden compares got with testdata/name, or rewrites the file when
// the test runs with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update)", err, t.Name())
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("%s: line %d differs:\n got %s\nwant %s", name, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%s: length differs: %d vs %d lines", name, len(gl), len(wl))
	}
}
