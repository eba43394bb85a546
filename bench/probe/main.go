// Command probe makes the single-request measurements of the load benchmark
// (bench/run.sh) against a server on 127.0.0.1. It prints key=value lines.
//
//	probe wait  -base URL -path P -start-ns N   time from N (Unix ns) to listening, then to P's answer
//	probe check -base URL -urls FILE            every URL once: statuses; unexpected non-2xx fail
//	probe cold  -base URL -large FILE [-skip F] first request per large release (name<TAB>target) not in F
//	probe time  -base URL -path P [-n N]        latency of P: first request, then the median of N
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"
)

var client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true}}

// devUser is the -user flag.
var devUser string

func main() {
	if len(os.Args) < 2 {
		fail("usage: probe wait|check|cold|time [flags]")
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	base := fs.String("base", "http://127.0.0.1:9310", "server (loopback only)")
	path := fs.String("path", "/__lbheartbeat__", "request target")
	startNS := fs.Int64("start-ns", 0, "process start, Unix ns")
	urls := fs.String("urls", "", "file of request targets")
	large := fs.String("large", "", "file of name<TAB>target")
	skip := fs.String("skip", "", "file of release names already loaded (cold skips them)")
	n := fs.Int("n", 20, "repetitions")
	gap := fs.Duration("gap", 0, "cold: pause before each request, so that each meets a server done with the previous one's background work")
	timeout := fs.Duration("timeout", 60*time.Second, "give up after")
	user := fs.String("user", "", "admin user, sent as X-Balrog-Dev-User (an admin role started with --auth=dev)")
	_ = fs.Parse(os.Args[2:])
	u, err := url.Parse(*base)
	if err != nil {
		fail(err.Error())
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		fail("probe only targets loopback addresses")
	}
	devUser = *user
	switch os.Args[1] {
	case "wait":
		// First the listener (a Dockerflow heartbeat), then the update
		// request P: its answer needs the release blobs, loaded on first use.
		deadline := time.Now().Add(*timeout)
		for {
			if st, _, _, err := get(*base + "/__lbheartbeat__"); err == nil && st == 200 {
				break
			}
			if time.Now().After(deadline) {
				fail("no answer before the timeout")
			}
			time.Sleep(2 * time.Millisecond)
		}
		fmt.Printf("start_to_listening_ms=%.1f\n", float64(time.Now().UnixNano()-*startNS)/1e6)
		st, body, _, err := get(*base + *path)
		if err != nil || st != 200 {
			fail(fmt.Sprintf("%s: status %d err %v: %.200q", *path, st, err, body))
		}
		fmt.Printf("start_to_first_answer_ms=%.1f\nfirst_answer_has_update=%t\n", float64(time.Now().UnixNano()-*startNS)/1e6, strings.Contains(string(body), "<update "))
	case "check":
		check(*base, lines(*urls))
	case "cold":
		var ds []time.Duration
		var worst string
		loaded := map[string]bool{}
		if *skip != "" {
			for _, name := range lines(*skip) {
				loaded[name] = true
			}
		}
		for _, l := range lines(*large) {
			name, target, _ := strings.Cut(l, "\t")
			if loaded[name] {
				continue // not cold: the server has it already
			}
			time.Sleep(*gap)
			st, body, d, err := get(*base + target)
			if err != nil || st != 200 || !strings.Contains(string(body), "<update ") {
				fail(fmt.Sprintf("%s: status %d err %v: no update in %.200q", name, st, err, body))
			}
			if len(ds) == 0 || d > slices.Max(ds) {
				worst = name
			}
			ds = append(ds, d)
		}
		fmt.Printf("cold_large_count=%d\ncold_large_first_ms=%.1f\ncold_large_p50_ms=%.1f\ncold_large_max_ms=%.1f\ncold_large_worst=%s\n",
			len(ds), ms(ds[0]), ms(median(ds)), ms(slices.Max(ds)), worst)
	case "time":
		st, body, first, err := get(*base + *path)
		if err != nil || st != 200 {
			fail(fmt.Sprintf("%s: status %d: %v", *path, st, err))
		}
		var ds []time.Duration
		for i := 0; i < *n; i++ {
			_, _, d, _ := get(*base + *path)
			ds = append(ds, d)
		}
		fmt.Printf("first_ms=%.1f\nmedian_ms=%.1f\nbytes=%d\n", ms(first), ms(median(ds)), len(body))
	default:
		fail("unknown mode " + os.Args[1])
	}
}

// check requests every target once and classifies the answers; the only
// non-2xx answers expected are the no-update documents of /json/ (404).
func check(base string, targets []string) {
	byStatus := map[int]int{}
	unexpected := 0
	noUpdate := 0
	for _, t := range targets {
		st, body, _, err := get(base + t)
		if err != nil {
			fail(err.Error())
		}
		byStatus[st]++
		switch {
		case st == 404 && strings.HasPrefix(t, "/json/") && len(body) == 0:
			noUpdate++
		case st/100 != 2:
			if unexpected < 5 {
				fmt.Fprintf(os.Stderr, "unexpected %d for %s: %.200q\n", st, t, body)
			}
			unexpected++
		case !strings.Contains(string(body), "<update") && !strings.Contains(string(body), "<addons") && !strings.HasPrefix(t, "/json/"):
			noUpdate++
		}
	}
	var keys []int
	for k := range byStatus {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Printf("status_%d=%d\n", k, byStatus[k])
	}
	fmt.Printf("requests=%d\nno_update=%d\nunexpected_non2xx=%d\n", len(targets), noUpdate, unexpected)
	if unexpected > 0 {
		os.Exit(1)
	}
}

func get(u string) (int, []byte, time.Duration, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return 0, nil, 0, err
	}
	if devUser != "" {
		req.Header.Set("X-Balrog-Dev-User", devUser)
	}
	t := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, 0, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, body, time.Since(t), err
}

func lines(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		fail(err.Error())
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "probe:", msg)
	os.Exit(1)
}
