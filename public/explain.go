package public

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/balrog-go/balrog/blobs"
	"github.com/balrog-go/balrog/rules"
)

// Explanation says why the public role answers an update request target as
// it does. Every step is taken from the live code path: the rules trace
// from rules.Index.Explain (the matchers Evaluate uses), the decision,
// throttle roll, should-serve and pin steps recorded while the handler
// answered, and the response is the handler's.
type Explanation struct {
	// URL is the request target answered (after Force was applied).
	URL string `json:"url"`
	// Force says how the force parameter was treated.
	Force string `json:"force"`
	// Query is the parsed update query; nil when the target is not an
	// update request or its query is malformed (Response says why).
	Query *rules.Query `json:"query"`
	// Shutoff is the emergency shutoff that stopped the evaluation.
	Shutoff *rules.Shutoff `json:"shutoff"`
	// Rules are the product's rules in evaluation order.
	Rules []rules.RuleTrace `json:"rules"`
	// RuleID is the chosen rule (the Rule-ID header's), nil for none.
	RuleID   *int    `json:"rule_id"`
	TieBreak *string `json:"tie_break"`
	// Throttle is the background-rate step of the chosen rule.
	Throttle *Throttle `json:"throttle"`
	// Mapping is the release the rule chose after throttling.
	Mapping *string `json:"mapping"`
	// ShouldServe is the chosen release's should-serve decision.
	ShouldServe *ServeStep `json:"should_serve"`
	// Pin is the pin table step (only when should-serve said Maybe and
	// the client sent a pin).
	Pin *PinStep `json:"pin"`
	// Release is the release the answer is rendered from; nil means no
	// update.
	Release *string `json:"release"`
	// Update reports whether the response carries an update: a release can
	// render none for a request (no entry for its locale, say).
	Update bool `json:"update"`
	// Error is the evaluation error that the response reports, if any.
	Error *string `json:"error"`
	// Response is exactly what the public role sends.
	Response Response `json:"response"`
}

// Throttle is the background-rate step.
type Throttle struct {
	BackgroundRate int `json:"background_rate"`
	// Roll is the dice value in [0, 100) when the dice were rolled.
	Roll *int `json:"roll"`
	// Result is "main", "fallback" or "no update".
	Result string `json:"result"`
	Reason string `json:"reason"`
}

// ServeStep is a release's should-serve decision.
type ServeStep struct {
	Release  string `json:"release"`
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
}

// PinStep is the lookup of the client's pin.
type PinStep struct {
	Pin string `json:"pin"`
	// Row is the pinnable_releases row found, nil when none.
	Row         *rules.Pin `json:"row"`
	ShouldServe *ServeStep `json:"should_serve"`
}

// Response is an HTTP answer; repeated headers are joined with ", ".
type Response struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

// answerTrace collects what decided one answer while the handler runs
// (Evaluator.Answer), and with explain the steps Explain reports.
type answerTrace struct {
	explain bool
	query   *rules.Query
	rolls   []int
	serve   *ServeStep
	pin     *PinStep
	// resolved is set, with decision and release, once the top-level
	// query is resolved; a superblob's fan-out that follows is not traced.
	resolved bool
	decision rules.Decision
	release  string
}

// recording reports whether explanation steps are being recorded now.
func (t *answerTrace) recording() bool { return t != nil && t.explain && !t.resolved }

// shouldServe is blob.ShouldServe, recording the decision and its reason
// when an answer is being explained.
func (ev *evaluator) shouldServe(b blobs.Blob, q *rules.Query, release string) (blobs.Decision, error) {
	t := ev.s.trace
	if !t.recording() {
		return b.ShouldServe(q)
	}
	d, why, err := blobs.ExplainServe(b, q)
	if err != nil {
		why = "error: " + err.Error()
	}
	step := &ServeStep{Release: release, Decision: d.String(), Reason: why}
	if t.pin != nil {
		t.pin.ShouldServe = step
	} else {
		t.serve = step
	}
	return d, err
}

// tracePin records a pin lookup when an answer is being explained.
func (ev *evaluator) tracePin(q *rules.Query, row rules.Pin, found bool) {
	t := ev.s.trace
	if !t.recording() {
		return
	}
	t.pin = &PinStep{Pin: *q.Pin}
	if found {
		t.pin.Row = &row
	}
}

// Explain answers target as Answer does and explains the answer. force
// overrides the target's force parameter: true answers as with force=1
// (the main mapping, throttle bypassed), false as with no force parameter
// (the throttle dice are rolled), nil leaves the target as it is.
func (e *Evaluator) Explain(ctx context.Context, target string, force *bool) (*Explanation, error) {
	target, note, err := withForce(target, force)
	if err != nil {
		return nil, err
	}
	t := &answerTrace{explain: true}
	e.s.trace = t
	defer func() { e.s.trace = nil }()
	a, err := e.Answer(ctx, target)
	if err != nil {
		return nil, err
	}
	x := &Explanation{URL: target, Force: note, Query: t.query, Response: Response{
		Status: a.Status, Headers: make(map[string]string, len(a.Header)), Body: string(a.Body),
	}}
	for k, v := range a.Header {
		x.Response.Headers[k] = strings.Join(v, ", ")
	}
	x.Update = a.Status == http.StatusOK && len(a.Body) > 0 && string(a.Body) != blobs.EmptyXML
	snap := e.s.snap.Load()
	if t.query == nil || snap == nil {
		return x, nil
	}
	tr := snap.index.Explain(t.query)
	x.Shutoff, x.Rules = tr.Shutoff, tr.Rules
	if tr.TieBreak != "" && a.Decision.Rule != nil {
		x.TieBreak = &tr.TieBreak
	}
	if tr.Err != nil {
		msg := tr.Err.Error()
		x.Error = &msg
	}
	if r := a.Decision.Rule; r != nil {
		id := r.RuleID
		x.RuleID = &id
		x.Throttle = throttleStep(t.query, a.Decision, t.rolls)
	}
	if a.Decision.Mapping != "" {
		m := a.Decision.Mapping
		x.Mapping = &m
		x.ShouldServe = t.serve
		if t.serve == nil {
			if _, ok := snap.releases[m]; !ok {
				x.ShouldServe = &ServeStep{Release: m, Decision: "No", Reason: "the release does not exist (logged; no update is served)"}
			}
		}
	}
	x.Pin = t.pin
	if a.Release != "" {
		rel := a.Release
		x.Release = &rel
	}
	return x, nil
}

// throttleStep describes how the background rate of the chosen rule
// decided between its mapping and its fallback.
func throttleStep(q *rules.Query, d rules.Decision, rolls []int) *Throttle {
	r := d.Rule
	th := &Throttle{BackgroundRate: 100, Result: "main"}
	if r.BackgroundRate != nil {
		th.BackgroundRate = *r.BackgroundRate
	}
	switch {
	case d.Fallback:
		th.Result = "fallback"
	case d.Mapping == "":
		th.Result = "no update"
	}
	if len(rolls) > 0 {
		th.Roll = &rolls[0]
	}
	switch {
	case r.Mapping == nil || *r.Mapping == "":
		th.Reason = "the rule has no mapping"
	case q.Force == rules.ForceMain:
		th.Reason = "force=1 bypasses the throttle"
	case th.BackgroundRate >= 100:
		th.Reason = "backgroundRate is 100: no throttling"
	case q.Force == rules.ForceFallback:
		th.Reason = "force=-1 with a backgroundRate below 100 takes the fallback"
	case th.Roll != nil && *th.Roll < th.BackgroundRate:
		th.Reason = fmt.Sprintf("the dice rolled %d, below the backgroundRate %d: the mapping is served", *th.Roll, th.BackgroundRate)
	case th.Roll != nil:
		th.Reason = fmt.Sprintf("the dice rolled %d, not below the backgroundRate %d: throttled to the fallback", *th.Roll, th.BackgroundRate)
	}
	if th.Result == "no update" && th.Reason != "the rule has no mapping" {
		th.Reason += " (the rule has no fallbackMapping: no update)"
	}
	return th
}

// withForce applies Explain's force override to target's query string,
// keeping every other parameter byte for byte. An absolute http(s) URL
// stands for its request target.
func withForce(target string, force *bool) (string, string, error) {
	for _, scheme := range []string{"http://", "https://"} {
		if rest, ok := strings.CutPrefix(target, scheme); ok {
			if i := strings.IndexByte(rest, '/'); i >= 0 {
				target = rest[i:]
			}
		}
	}
	if _, err := url.ParseRequestURI(markInvalidPercents(target)); err != nil {
		return "", "", fmt.Errorf("%w: %q is not a request target: %v", ErrBadTarget, target, err)
	}
	if !strings.HasPrefix(target, "/update/") && !strings.HasPrefix(target, "/json/") {
		return "", "", fmt.Errorf("%w: %q is not an update URL (/update/... or /json/...)", ErrBadTarget, target)
	}
	if force == nil {
		return target, "as the URL says", nil
	}
	path, query, _ := strings.Cut(target, "?")
	var keep []string
	for _, p := range strings.Split(query, "&") {
		k, _, _ := strings.Cut(p, "=")
		if uk, err := url.QueryUnescape(k); p == "" || err == nil && uk == "force" {
			continue
		}
		keep = append(keep, p)
	}
	note := "none: any force parameter removed, the throttle dice are rolled"
	if *force {
		keep = append(keep, "force=1")
		note = "force=1: the main mapping, throttle bypassed"
	}
	if len(keep) == 0 {
		return path, note, nil
	}
	return path + "?" + strings.Join(keep, "&"), note, nil
}

// ErrBadTarget marks an Explain target that is not an update request URL.
var ErrBadTarget = errors.New("public: not an update request target")
