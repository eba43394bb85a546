package public

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/balrog-go/balrog/blobs"
	"github.com/balrog-go/balrog/metrics"
	"github.com/balrog-go/balrog/rules"
)

// updateRouteNames are the route tags of the update fast path: the update
// routes of rules.ParseUpdateRequest, and the other /update paths.
var updateRouteNames = []string{"U1", "U2", "U3", "U3e", "U4", "U5", "U6", "J1", "J2", routeOtherUpdate, routeRedirect}

const (
	routeOtherUpdate = "update_other"
	routeRedirect    = "update_redirect"
	routeOther       = "other"
)

// routeStats are one route's metric tags, built once, and its request
// counts since the last aggregated log line.
type routeStats struct {
	name   string
	tags   [len(metrics.StatusClasses)][]string
	counts [len(metrics.StatusClasses)]atomic.Int64
}

// routeTable holds the routeStats of every route of the handler, fixed when
// it is built, so a lookup takes no lock and allocates nothing.
type routeTable struct {
	byName map[string]*routeStats
	order  []*routeStats
}

func newRouteTable(names []string) *routeTable {
	t := &routeTable{byName: map[string]*routeStats{}}
	for _, n := range append(names, routeOther) {
		if _, ok := t.byName[n]; ok {
			continue
		}
		rs := &routeStats{name: n}
		for i, c := range metrics.StatusClasses {
			rs.tags[i] = []string{"route:" + n, "status_class:" + c}
		}
		t.byName[n] = rs
		t.order = append(t.order, rs)
	}
	return t
}

// get returns the stats of a route, or of "other" for a name not known.
func (t *routeTable) get(name string) *routeStats {
	if rs := t.byName[name]; rs != nil {
		return rs
	}
	return t.byName[routeOther]
}

// statusWriter carries one counted request: the status sent, the route,
// and what the update path decided, for the metrics and the update log.
// Handlers get it from a pool, so a request allocates none of it.
type statusWriter struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
	route       *routeStats
	// start is when the request arrived; rendered when rule evaluation
	// ended (zero when it did not run).
	start, rendered time.Time
	// query, ruleID (0: none), release ("" : none) and outcome are what an
	// update request asked and was served.
	query      *rules.Query
	ruleID     int
	release    string
	outcome    metrics.Outcome
	hasOutcome bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wroteHeader {
		s.status, s.wroteHeader = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	s.wroteHeader = true
	return s.ResponseWriter.Write(b)
}

// reset prepares a pooled writer for a request.
func (s *statusWriter) reset(w http.ResponseWriter, start time.Time) {
	*s = statusWriter{ResponseWriter: w, status: http.StatusOK, start: start}
}

// served records what an answered update request served.
func (s *statusWriter) served(o metrics.Outcome, ruleID int, release string) {
	s.outcome, s.hasOutcome, s.ruleID, s.release = o, true, ruleID, release
}

// outcomeOf classifies an answered update request.
func outcomeOf(d rules.Decision, served blobs.Blob) metrics.Outcome {
	switch {
	case d.ShutOff:
		return metrics.OutcomeShutoff
	case served == nil:
		return metrics.OutcomeNoUpdate
	}
	if _, ok := served.(*blobs.Desupport); ok {
		return metrics.OutcomeDesupport
	}
	if d.Fallback {
		return metrics.OutcomeFallback
	}
	return metrics.OutcomeServed
}

// ruleIDOf is the selected rule's id, 0 when none.
func ruleIDOf(d rules.Decision) int {
	if d.Rule == nil {
		return 0
	}
	return d.Rule.RuleID
}

// finish runs deferred after every counted request: it answers a panic
// with a 500 and reports it, then sends the request's metrics and, when
// sampled, its update log line, and returns the writer to the pool.
func (h *Handler) finish(sw *statusWriter, r *http.Request, path string) {
	if v := recover(); v != nil {
		if v == http.ErrAbortHandler {
			panic(v)
		}
		h.panicked(sw, r, v)
	}
	h.record(sw, r.Method, path)
}

// record sends a request's metrics and, when sampled, its update log line,
// and returns the writer to the pool.
func (h *Handler) record(sw *statusWriter, method, path string) {
	if sw.route == nil {
		sw.route = h.routes.get(routeOther)
	}
	m := h.s.cfg.Metrics
	ci := metrics.StatusClassIndex(sw.status)
	sw.route.counts[ci].Add(1)
	tags := sw.route.tags[ci]
	_ = m.Incr(metrics.PublicRequests, tags, 1)
	now := time.Now()
	_ = m.Timing(metrics.PublicRequestDuration, now.Sub(sw.start), tags, 1)
	if !sw.rendered.IsZero() {
		_ = m.Timing(metrics.MakeResponse, now.Sub(sw.rendered), nil, 1)
	}
	if sw.hasOutcome {
		_ = m.Incr(metrics.UpdateOutcomes, metrics.OutcomeTags[sw.outcome], 1)
	}
	// Balrog counts GET responses by first path segment and status.
	if method == http.MethodGet {
		_ = m.Incr(h.responses.Name(path, sw.status), nil, 1)
	}
	if h.updates != nil && sw.query != nil {
		h.updates.maybeLog(sw, now)
	}
	sw.ResponseWriter, sw.query = nil, nil
	h.statusPool.Put(sw)
}

// Run writes the aggregated public request log line every
// Config.RequestLogInterval until ctx ends, and a last one then.
func (h *Handler) Run(ctx context.Context) error {
	t := time.NewTicker(h.s.cfg.RequestLogInterval)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			h.logRequests(time.Since(last))
			return nil
		case now := <-t.C:
			h.logRequests(now.Sub(last))
			last = now
		}
	}
}

// logRequests writes the aggregated public request log line: the requests
// counted since the last one, by route and status class. It writes nothing
// when there were none.
func (h *Handler) logRequests(interval time.Duration) {
	var total int64
	var classes [len(metrics.StatusClasses)]int64
	routes := map[string]int64{}
	for _, rs := range h.routes.order {
		var n int64
		for i := range rs.counts {
			c := rs.counts[i].Swap(0)
			classes[i] += c
			n += c
		}
		if n > 0 {
			routes[rs.name] = n
		}
		total += n
	}
	if total == 0 {
		return
	}
	attrs := []slog.Attr{slog.Int64("requests", total), slog.Float64("interval_s", interval.Seconds()), slog.Any("routes", routes)}
	for i, c := range classes {
		if c > 0 {
			attrs = append(attrs, slog.Int64("status_"+metrics.StatusClasses[i], c))
		}
	}
	h.s.log.LogAttrs(context.Background(), slog.LevelInfo, "public requests", attrs...)
}

// panicked answers a request whose handler panicked: logged and reported
// once, with the route, and a 500 when nothing was sent yet.
func (h *Handler) panicked(sw *statusWriter, r *http.Request, v any) {
	err := fmt.Errorf("panic: %v", v)
	route := routeOther
	if sw.route != nil {
		route = sw.route.name
	}
	h.s.log.Error("public: request panicked", "route", route, "error", err.Error())
	h.s.cfg.ReportError(route, err)
	if !sw.wroteHeader {
		writeProblem(sw, http.StatusInternalServerError, "Internal Server Error", internalErrorDetail)
	}
	sw.status = http.StatusInternalServerError
}
