package public

import (
	"embed"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/balrog-go/balrog/blobs"
	"github.com/balrog-go/balrog/metrics"
	"github.com/balrog-go/balrog/rules"
	"github.com/balrog-go/balrog/store"
)

//go:embed static/robots.txt static/contribute.json
var static embed.FS

// securityHeaders go on every response of the public role (public.md §2.5).
var securityHeaders = [...][2]string{
	{"Strict-Transport-Security", "max-age=31536000;"},
	{"X-Content-Type-Options", "nosniff"},
	{"Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"},
}

// Handler serves the public role: update requests on a fast path, and
// everything else (the /api/v1 endpoints, static files, Dockerflow) through
// echo.
type Handler struct {
	s       *Service
	e       *echo.Echo
	bufPool sync.Pool
	// statusPool holds the writers that carry a request's status, route
	// and outcome for the metrics and logs (observe.go).
	statusPool sync.Pool
	responses  *metrics.Responses
	routes     *routeTable
	// updates is the sampled update-request log; nil when off.
	updates *updateLog
	// cacheControl is the configured Cache-Control as a shared header value.
	cacheControl []string
}

// NewHandler builds the public role's HTTP handler. Add further routes (the
// Dockerflow endpoints) through Echo.
func (s *Service) NewHandler() *Handler {
	h := &Handler{s: s, e: echo.New(), cacheControl: []string{s.cfg.CacheControl}, responses: metrics.NewResponses(),
		updates: newUpdateLog(s.cfg.UpdateLog, s.cfg.UpdateLogSample)}
	h.statusPool.New = func() any { return &statusWriter{} }
	h.bufPool.New = func() any { b := make([]byte, 0, 16<<10); return &b }
	e := h.e
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = h.errorHandler
	e.Use(h.markRoute, h.headers)
	robots, _ := static.ReadFile("static/robots.txt")
	contribute, _ := static.ReadFile("static/contribute.json")
	getHead := []string{http.MethodGet, http.MethodHead}
	e.Match(getHead, "/robots.txt", staticFile("text/plain; charset=utf-8", robots))
	e.Match(getHead, "/contribute.json", staticFile("application/json", contribute))
	e.Match(getHead, "/debug/api.yml", func(c echo.Context) error {
		return c.Blob(http.StatusNotFound, "text/html; charset=utf-8", nil)
	})
	h.apiRoutes(e)
	names := slices.Clone(updateRouteNames)
	for _, r := range e.Routes() {
		names = append(names, r.Path)
	}
	h.routes = newRouteTable(names)
	return h
}

// markRoute notes the route pattern of a request echo serves, for the
// route tag (never the raw URL).
func (h *Handler) markRoute(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if sw, ok := c.Response().Writer.(*statusWriter); ok {
			sw.route = h.routes.get(c.Path())
		}
		return next(c)
	}
}

// Echo is the router behind the update fast path.
func (h *Handler) Echo() *echo.Echo { return h.e }

func staticFile(contentType string, body []byte) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-cache")
		return c.Blob(http.StatusOK, contentType, body)
	}
}

// headers adds the security headers, and the default Cache-Control where a
// handler set none.
func (h *Handler) headers(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		hdr := c.Response().Header()
		for _, kv := range securityHeaders {
			hdr.Set(kv[0], kv[1])
		}
		c.Response().Before(func() {
			if hdr.Get("Cache-Control") == "" {
				hdr.Set("Cache-Control", h.s.cfg.CacheControl)
			}
		})
		return next(c)
	}
}

// errorHandler renders echo's routing errors as Balrog does: 404 as plain
// text, other statuses as problem documents.
func (h *Handler) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var he *echo.HTTPError
	status := http.StatusInternalServerError
	if errors.As(err, &he) {
		status = he.Code
	}
	w := c.Response()
	if status == http.StatusNotFound {
		writeNotFound(w)
		return
	}
	if errors.Is(err, store.ErrUnavailable) {
		// The endpoints that read a release's stored text per request
		// (/api/v1/releases/{name}...) cannot answer while the database
		// is away: retry later, as for an update without its blob.
		h.writeError(w, c.Request(), err)
		return
	}
	if status >= 500 {
		h.s.log.Error("public: request failed", "route", c.Path(), "error", err.Error())
		h.s.cfg.ReportError(c.Path(), err)
	}
	writeProblem(w, status, problemTitle(status), problemDetail(status, err))
}

// ServeHTTP answers update requests directly and hands the rest to echo.
// Every request but the Dockerflow endpoints is counted (finish).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if strings.HasPrefix(path, "/__") {
		h.e.ServeHTTP(w, r)
		return
	}
	sw := h.statusPool.Get().(*statusWriter)
	sw.reset(w, time.Now())
	defer h.finish(sw, r, path)
	h.route(sw, r, path)
}

func (h *Handler) route(w *statusWriter, r *http.Request, path string) {
	if strings.HasPrefix(path, "/update") || strings.HasPrefix(path, "/json/") {
		rawPath, rawQuery, _ := strings.Cut(RestoreTarget(r.RequestURI), "?")
		if rawPath == "" || rawPath[0] != '/' { // absolute-form request target
			rawPath, rawQuery = r.URL.EscapedPath(), r.URL.RawQuery
		}
		start := time.Now()
		m, err := rules.ParseUpdateRequest(rawPath, rawQuery, r.Header.Get("User-Agent"))
		if m.Kind != rules.NotUpdatePath {
			_ = h.s.cfg.Metrics.Timing(metrics.ParseQuery, time.Since(start), nil, 1)
			switch m.Kind {
			case rules.UpdateRoute:
				w.route = h.routes.get(m.RouteName)
			case rules.RedirectSlashes:
				w.route = h.routes.get(routeRedirect)
			default:
				w.route = h.routes.get(routeOtherUpdate)
			}
			h.serveUpdate(w, r, m, err)
			return
		}
	}
	h.e.ServeHTTP(w, r)
}

// securityHeaderValues are securityHeaders as header values, built once and
// shared by every update response (net/http only reads them; len == cap, so
// an append elsewhere copies).
var securityHeaderValues = func() (v [len(securityHeaders)][]string) {
	for i, kv := range securityHeaders {
		v[i] = []string{kv[1]}
	}
	return v
}()

func setSecurityHeaders(hdr http.Header) {
	for i, kv := range securityHeaders {
		hdr[kv[0]] = securityHeaderValues[i]
	}
}

// serveUpdate answers a request whose path the update routes claim.
func (h *Handler) serveUpdate(w *statusWriter, r *http.Request, m rules.Match, parseErr error) {
	hdr := w.Header()
	setSecurityHeaders(hdr)
	hdr["Cache-Control"] = h.cacheControl
	// Only the update routes themselves are GET-only; Balrog answers any
	// other /update... path with the empty document whatever the method.
	if m.Kind == rules.UpdateRoute && r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD, OPTIONS")
		writeProblem(w, http.StatusMethodNotAllowed, "Method Not Allowed", "The method is not allowed for the requested URL.")
		return
	}
	switch m.Kind {
	case rules.OtherUpdatePath:
		writeBody(w, r, http.StatusOK, "text/xml; charset=utf-8", []byte(blobs.EmptyXML))
		return
	case rules.RedirectSlashes:
		loc := "http://" + r.Host + m.Path
		if r.URL.RawQuery != "" {
			loc += "?" + r.URL.RawQuery
		}
		hdr.Set("Location", loc)
		writeBody(w, r, http.StatusPermanentRedirect, "text/html; charset=utf-8", nil)
		return
	}
	if parseErr != nil {
		h.writeError(w, r, parseErr)
		return
	}
	snap := h.s.snap.Load()
	if snap == nil {
		h.writeError(w, r, ErrNotLoaded)
		return
	}
	q := m.Query
	if t := h.s.trace; t != nil {
		t.query = q
	}
	w.query = q
	// Rule evaluation runs on every request, so a throttled rule rolls its
	// dice every time; the rendered answer of an equal query with the same
	// decision (rule, main or fallback mapping) may then come from the
	// cache of this snapshot (respcache.go).
	evalStart := time.Now()
	dec, err := h.decide(r.Context(), snap, q)
	w.rendered = time.Now()
	_ = h.s.cfg.Metrics.Timing(metrics.EvaluateRules, w.rendered.Sub(evalStart), nil, 1)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	var keyBuf [512]byte
	key := appendDecisionKey(appendCacheKey(keyBuf[:0], m.RouteName, q), dec)
	if cr := snap.responses.get(key); cr != nil {
		w.served(cr.outcome, cr.ruleNum, cr.release)
		h.remember(snap, w, r, m, dec, cr)
		writeCached(w, r, hdr, cr)
		return
	}
	ev := &evaluator{s: h.s, snap: snap, ctx: r.Context()}
	res, err := ev.resolveDecision(q, dec)
	if errors.Is(err, errMissingRelease) {
		h.s.log.Error("public: a rule or pin names a missing release", "error", err.Error(), "rule_id", res.decision.RuleIDHeader())
		res.blob, err = nil, nil
		ev.volatile = true // keep logging it
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if t := h.s.trace; t != nil {
		t.resolved, t.decision, t.release = true, res.decision, res.release
	}
	outcome, ruleID, release := outcomeOf(dec, res.blob), ruleIDOf(dec), res.release
	w.served(outcome, ruleID, release)
	bp := h.bufPool.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= 1<<20 {
			h.bufPool.Put(bp)
		}
	}()
	env := &blobs.Env{Allowlist: h.s.cfg.Allowlist, ForceHosts: h.s.cfg.ForceHosts, Releases: ev}
	if q.Route == rules.RouteJSON {
		h.serveJSON(w, r, q, res, env, bp, snap, key, ev)
		return
	}
	body := (*bp)[:0]
	if res.blob == nil {
		body = blobs.AppendEmptyXML(body)
	} else {
		if sb, ok := res.blob.(*blobs.Superblob); ok && sb.FanOut() != blobs.FanOutNone {
			if res.parts, err = ev.fanOut(q, sb, res.decision.UpdateType); err != nil {
				h.writeError(w, r, err)
				return
			}
		}
		if body, err = blobs.AppendXML(body, res.blob, q, res.decision.UpdateType, res.parts, env); err != nil {
			h.writeError(w, r, err)
			return
		}
	}
	*bp = body
	sig, err := h.s.cfg.Signer.signatureHeader(q.Product, body)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	setRuleHeaders(hdr, res.decision)
	setSignature(hdr, sig)
	if !ev.volatile {
		snap.responses.put(key, newCachedResponse(http.StatusOK, "text/xml; charset=utf-8", body, res.decision.RuleIDHeader(), res.decision.RuleDataVersionHeader(), true, sig).with(outcome, ruleID, release))
	}
	writeBody(w, r, http.StatusOK, "text/xml; charset=utf-8", body)
}

// writeCached writes a cached answer; HEAD gets the headers only.
func writeCached(w http.ResponseWriter, r *http.Request, hdr http.Header, cr *cachedResponse) {
	if cr.ruleID != nil {
		hdr["Rule-ID"] = cr.ruleID
		hdr["Rule-Data-Version"] = cr.ruleDV
	}
	setSignature(hdr, cr.signature)
	hdr["Content-Type"] = cr.contentType
	hdr["Content-Length"] = cr.contentLength
	w.WriteHeader(cr.status)
	if r.Method != http.MethodHead && len(cr.body) > 0 {
		_, _ = w.Write(cr.body)
	}
}

// serveJSON answers /json/...: a Guardian blob as JSON; no update, or a
// blob with no JSON form (§15 Q19), is a 404 with an empty body.
func (h *Handler) serveJSON(w *statusWriter, r *http.Request, q *rules.Query, res outcome, env *blobs.Env, bp *[]byte, snap *snapshot, key []byte, ev *evaluator) {
	notFound := func() {
		if !ev.volatile {
			snap.responses.put(key, newCachedResponse(http.StatusNotFound, "text/html; charset=utf-8", nil, "", "", false, nil).with(w.outcome, w.ruleID, w.release))
		}
		writeBody(w, r, http.StatusNotFound, "text/html; charset=utf-8", nil)
	}
	if res.blob == nil {
		notFound()
		return
	}
	body, err := blobs.AppendJSON((*bp)[:0], res.blob, q, env)
	if errors.Is(err, blobs.ErrNotJSON) {
		w.served(metrics.OutcomeNoUpdate, w.ruleID, "")
		notFound()
		return
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	*bp = body
	sig, err := h.s.cfg.Signer.signatureHeader(q.Product, body)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	setRuleHeaders(w.Header(), res.decision)
	setSignature(w.Header(), sig)
	if !ev.volatile {
		snap.responses.put(key, newCachedResponse(http.StatusOK, "application/json", body, res.decision.RuleIDHeader(), res.decision.RuleDataVersionHeader(), true, sig).with(w.outcome, w.ruleID, w.release))
	}
	writeBody(w, r, http.StatusOK, "application/json", body)
}

// setRuleHeaders names the rule that decided the answer, spelled as Balrog
// spells the headers.
func setRuleHeaders(hdr http.Header, d rules.Decision) {
	hdr["Rule-ID"] = []string{d.RuleIDHeader()}
	hdr["Rule-Data-Version"] = []string{d.RuleDataVersionHeader()}
}

// setSignature sends the Content-Signature of a signed answer.
func setSignature(hdr http.Header, sig []string) {
	if sig != nil {
		hdr["Content-Signature"] = sig
	}
}

// writeError maps an error of the update path to Balrog's answer, in one
// place.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	sw, _ := w.(*statusWriter)
	if sw != nil {
		sw.hasOutcome, sw.release = false, "" // an error is no outcome
	}
	var bad *rules.BadInputError
	var invalid *rules.QueryValidationError
	switch {
	case errors.As(err, &bad):
		writeBody(w, r, http.StatusBadRequest, "text/plain; charset=utf-8", []byte(escapeE3(bad.Message)))
	case errors.As(err, &invalid):
		writeProblem(w, http.StatusBadRequest, "Bad Request", invalid.Detail)
	case errors.Is(err, ErrNotLoaded), errors.Is(err, store.ErrUnavailable):
		h.s.log.Error("public: cannot answer without the database", "path", r.URL.Path, "error", err.Error())
		writeProblem(w, http.StatusServiceUnavailable, "Service Unavailable", "The update data is not available right now.")
	default:
		route := routeOther
		if sw != nil && sw.route != nil {
			route = sw.route.name
		}
		h.s.log.Error("public: request failed", "route", route, "error", err.Error())
		h.s.cfg.ReportError(route, err)
		writeProblem(w, http.StatusInternalServerError, "Internal Server Error", internalErrorDetail)
	}
}
