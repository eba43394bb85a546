package public

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/balrog-go/balrog/rules"
)

// Recalled answers. An update request is decided by its target and
// User-Agent alone (and the data): when its answer took no roll of the dice
// (no throttled rule) and came from the response cache, the same target and
// User-Agent get the same answer for as long as the snapshot lives. The
// handler remembers such answers whole, status, header lines and body, so
// that a server that reads requests itself (the public listener's front)
// can answer the next identical request before it parses the URL or
// evaluates a rule. Metrics and the update log count a recalled answer as
// any other; only the parse and rule-evaluation timings, which did not
// happen, are not sent.

// recallBytes bounds the memory of recalled answers (keys and header lines;
// the bodies are shared with the response cache).
const recallBytes = 32 << 20

// Recalled is a remembered answer; it is shared and must not be modified.
type Recalled struct {
	// Status is the answer's status code.
	Status int
	// Lines are the answer's header lines ("Name: value\r\n" each, in name
	// order), Content-Length included; Date and Connection are the
	// server's to add.
	Lines []byte
	// Body is the answer's body (not sent for HEAD).
	Body []byte

	resp  *cachedResponse
	query *rules.Query
	route *routeStats
	path  string
}

// Recall returns the answer remembered for a GET or HEAD of target (the
// request target as read from a connection of WrapListener) sent with
// userAgent, or nil: then serve the request through ServeHTTP, which may
// remember it.
func (h *Handler) Recall(target []byte, userAgent string) *Recalled {
	snap := h.s.snap.Load()
	if snap == nil || len(target)+len(userAgent) > 2048 {
		return nil
	}
	var buf [2048 + 1]byte
	return snap.recalled.get(recallKey(buf[:0], target, userAgent))
}

func recallKey(dst, target []byte, userAgent string) []byte {
	dst = append(dst, target...)
	dst = append(dst, 0)
	return append(dst, userAgent...)
}

// Sent counts a recalled answer, sent at the request of method that
// arrived at start, in the metrics and the update log.
func (h *Handler) Sent(rc *Recalled, method string, start time.Time) {
	sw := h.statusPool.Get().(*statusWriter)
	sw.reset(nil, start)
	sw.status, sw.route, sw.query = rc.Status, rc.route, rc.query
	sw.served(rc.resp.outcome, rc.resp.ruleNum, rc.resp.release)
	h.record(sw, method, rc.path)
}

// remember keeps a cached answer for the next request with the same target
// and User-Agent, when nothing else could change it: an update route
// answered by GET or HEAD without a roll of the dice.
func (h *Handler) remember(snap *snapshot, w *statusWriter, r *http.Request, m rules.Match, dec rules.Decision, cr *cachedResponse) {
	if m.Kind != rules.UpdateRoute || r.Method != http.MethodGet && r.Method != http.MethodHead || dec.Rolled(m.Query) ||
		snap.recalled == nil || len(r.Header["User-Agent"]) > 1 || len(r.RequestURI)+len(r.Header.Get("User-Agent")) > 2048 {
		return
	}
	key := recallKey(make([]byte, 0, len(r.RequestURI)+1+len(r.Header.Get("User-Agent"))), []byte(r.RequestURI), r.Header.Get("User-Agent"))
	rc := &Recalled{Status: cr.status, Lines: h.headerLines(cr), Body: cr.body, resp: cr, query: m.Query, route: w.route, path: r.URL.Path}
	snap.recalled.put(key, rc, len(key)+len(rc.Lines)+len(rc.path)+400)
}

// headerLines writes the headers the update path sends with a cached
// answer as header lines, in name order.
func (h *Handler) headerLines(cr *cachedResponse) []byte {
	type kv struct{ k, v string }
	kvs := make([]kv, 0, 10)
	for i, p := range securityHeaders {
		kvs = append(kvs, kv{p[0], securityHeaderValues[i][0]})
	}
	kvs = append(kvs, kv{"Cache-Control", h.cacheControl[0]}, kv{"Content-Type", cr.contentType[0]}, kv{"Content-Length", cr.contentLength[0]})
	if cr.ruleID != nil {
		kvs = append(kvs, kv{"Rule-ID", cr.ruleID[0]}, kv{"Rule-Data-Version", cr.ruleDV[0]})
	}
	if cr.signature != nil {
		kvs = append(kvs, kv{"Content-Signature", cr.signature[0]})
	}
	slices.SortFunc(kvs, func(a, b kv) int { return strings.Compare(a.k, b.k) })
	var b []byte
	for _, p := range kvs {
		b = append(append(append(append(b, p.k...), ": "...), p.v...), "\r\n"...)
	}
	return b
}
