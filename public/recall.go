package public

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/balrog-go/balrog/rules"
)

// Recalled answers. An update request is decided by its target and
// User-Agent (and the data) and, under a throttled rule, by a roll of the
// dice. The handler remembers the answers it served from the response
// cache whole, status, header lines and body, by target and User-Agent, for
// as long as the snapshot lives: one answer when no roll decided it, else
// one per decision (main or fallback mapping), found again by evaluating
// the remembered query, which rolls as every request must. A server that
// reads requests itself (the public listener's front) asks before it parses
// the URL or builds a request. When a roll picks a decision not remembered
// yet, the request carries that decision on to the handler, so that no
// request is decided twice (which would skew the throttle). Metrics and the
// update log count a recalled answer as any other; only the parse and
// evaluation timings, which did not happen, are not sent.

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

	resp     *cachedResponse
	entry    *recallEntry
	decision []byte // appendDecisionKey of the decision, for rolled answers
}

// recallEntry is what is remembered of one target and User-Agent.
type recallEntry struct {
	query *rules.Query
	route *routeStats
	path  string
	// fixed is the answer when no roll decided it; else rolled holds the
	// answers seen, one per decision.
	fixed  *Recalled
	rolled atomic.Pointer[[]*Recalled]
}

// decided carries a decision made by Recall to the handler.
type decided struct {
	snap *snapshot
	dec  rules.Decision
}

type decidedKey struct{}

// Recall returns the answer remembered for a GET or HEAD of target (the
// request target as read from a connection of WrapListener) sent with
// userAgent, or nil and the context the request must be served with
// through ServeHTTP (it may carry the roll Recall made).
func (h *Handler) Recall(ctx context.Context, target []byte, userAgent string) (*Recalled, context.Context) {
	snap := h.s.snap.Load()
	if snap == nil || len(target)+len(userAgent) > 2048 {
		return nil, ctx
	}
	var buf [2048 + 1]byte
	e := snap.recalled.get(recallKey(buf[:0], target, userAgent))
	if e == nil {
		return nil, ctx
	}
	if e.fixed != nil {
		return e.fixed, ctx
	}
	dec, err := snap.index.Evaluate(e.query, h.s.cfg.Dice)
	if err != nil {
		return nil, ctx
	}
	var kb [256]byte
	key := appendDecisionKey(kb[:0], dec)
	if answers := e.rolled.Load(); answers != nil {
		for _, rc := range *answers {
			if bytes.Equal(rc.decision, key) {
				return rc, ctx
			}
		}
	}
	return nil, context.WithValue(ctx, decidedKey{}, &decided{snap: snap, dec: dec})
}

// decide evaluates the rules for q, unless Recall already did for this
// request.
func (h *Handler) decide(ctx context.Context, snap *snapshot, q *rules.Query) (rules.Decision, error) {
	if d, ok := ctx.Value(decidedKey{}).(*decided); ok && d.snap == snap {
		return d.dec, nil
	}
	return snap.index.Evaluate(q, h.s.cfg.Dice)
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
	sw.status, sw.route, sw.query = rc.Status, rc.entry.route, rc.entry.query
	sw.served(rc.resp.outcome, rc.resp.ruleNum, rc.resp.release)
	h.record(sw, method, rc.entry.path)
}

// remember keeps a cached answer of an update route answered by GET or
// HEAD for the next request with the same target and User-Agent.
func (h *Handler) remember(snap *snapshot, w *statusWriter, r *http.Request, m rules.Match, dec rules.Decision, cr *cachedResponse) {
	ua := r.Header.Get("User-Agent")
	if m.Kind != rules.UpdateRoute || r.Method != http.MethodGet && r.Method != http.MethodHead ||
		snap.recalled == nil || len(r.Header["User-Agent"]) > 1 || len(r.RequestURI)+len(ua) > 2048 {
		return
	}
	var buf [2048 + 1]byte
	key := append(append(append(buf[:0], r.RequestURI...), 0), ua...) // as recallKey
	rolled := dec.Rolled(m.Query)
	e := snap.recalled.get(key)
	if e == nil {
		fresh := &recallEntry{query: m.Query, route: w.route, path: r.URL.Path}
		if !rolled {
			fresh.fixed = h.recalled(fresh, cr, nil)
		}
		e = snap.recalled.put(key, fresh, len(key)+len(fresh.path)+600)
	}
	if !rolled || e.fixed != nil {
		return
	}
	var kb [256]byte
	decision := appendDecisionKey(kb[:0], dec)
	var rc *Recalled
	for {
		old := e.rolled.Load()
		var answers []*Recalled
		if old != nil {
			for _, a := range *old {
				if bytes.Equal(a.decision, decision) {
					return // remembered already
				}
			}
			if len(*old) >= 4 {
				return
			}
			answers = append(answers, *old...)
		}
		if rc == nil {
			rc = h.recalled(e, cr, bytes.Clone(decision))
		}
		answers = append(answers, rc)
		if e.rolled.CompareAndSwap(old, &answers) {
			return
		}
	}
}

// recalled builds the remembered form of a cached answer.
func (h *Handler) recalled(e *recallEntry, cr *cachedResponse, decision []byte) *Recalled {
	return &Recalled{Status: cr.status, Lines: h.headerLines(cr), Body: cr.body, resp: cr, entry: e, decision: decision}
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
