package public

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/balrog-go/balrog/rules"
)

// Answer is the public role's answer to one update request target, with
// what decided it.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
	// Query is the parsed update query; nil when the target did not reach
	// rule evaluation (not an update path, or a malformed query).
	Query *rules.Query
	// Decision is the rule evaluation's result (zero without a Query).
	Decision rules.Decision
	// Release names the release served; "" means no update.
	Release string
}

// Evaluator answers update request targets from one load of a source's
// data, through the same code as live requests but without the response
// cache. Admin checks use it on a transaction's view of the database.
type Evaluator struct {
	s *Service
	h *Handler
}

// NewEvaluator loads src's data (rules, shutoffs, pins, release list; blobs
// are read as answers need them).
func NewEvaluator(ctx context.Context, src Source, cfg Config, log *slog.Logger) (*Evaluator, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dice := cfg.Dice
	if dice == nil {
		dice = defaultDice
	}
	var s *Service
	cfg.Dice = func() int {
		v := dice()
		if t := s.trace; t.recording() {
			t.rolls = append(t.rolls, v)
		}
		return v
	}
	s = New(src, cfg, log)
	s.noResponseCache = true
	if _, err := s.Load(ctx); err != nil {
		return nil, fmt.Errorf("public: load data to evaluate: %w", err)
	}
	return &Evaluator{s: s, h: s.NewHandler()}, nil
}

// Answer answers target, a request target such as
// "/update/6/Firefox/...?force=1", as a GET from a client with no
// User-Agent. It is not safe for concurrent use.
func (e *Evaluator) Answer(ctx context.Context, target string) (*Answer, error) {
	// As WrapListener does for live requests, invalid '%'s travel as 0xFF
	// and the handler restores them (rawtarget.go).
	wire := markInvalidPercents(target)
	u, err := url.ParseRequestURI(wire)
	if err != nil {
		return nil, fmt.Errorf("public: %q is not a request target: %w", target, err)
	}
	req := (&http.Request{
		Method: http.MethodGet, URL: u, RequestURI: wire, Host: "localhost",
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{},
	}).WithContext(ctx)
	t := e.s.trace // Explain's, or this answer's own
	if t == nil {
		t = &answerTrace{}
		e.s.trace = t
		defer func() { e.s.trace = nil }()
	}
	w := &answerWriter{header: http.Header{}}
	e.h.ServeHTTP(w, req)
	a := &Answer{Status: w.status, Header: w.header, Body: w.body.Bytes()}
	if t.resolved {
		a.Query, a.Decision, a.Release = t.query, t.decision, t.release
	}
	if a.Status == 0 {
		a.Status = http.StatusOK
	}
	return a, nil
}

// answerWriter keeps a response in memory.
type answerWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *answerWriter) Header() http.Header { return w.header }

func (w *answerWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *answerWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(p)
}

// markInvalidPercents replaces every '%' of target that does not start a
// valid escape with invalidPercent, as WrapListener does on the wire.
func markInvalidPercents(target string) string {
	b := []byte(target)
	for i := range b {
		if b[i] == '%' && (i+2 >= len(b) || !isHex(b[i+1]) || !isHex(b[i+2])) {
			b[i] = invalidPercent
		}
	}
	return string(b)
}
