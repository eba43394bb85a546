// Package metrics names every metric the service sends, in one place, and
// the small interface the roles send them through. The DogStatsD client is
// built once in package app (namespace "balrog.", constant tags role and
// version) and satisfies Sink; no other package imports DataDog's client.
package metrics

import (
	"strconv"
	"time"
)

// Sink receives metrics. *statsd.Client and *statsd.NoOpClient satisfy it.
type Sink interface {
	Incr(name string, tags []string, rate float64) error
	Gauge(name string, value float64, tags []string, rate float64) error
	Timing(name string, value time.Duration, tags []string, rate float64) error
}

// Discard is a Sink that sends nothing.
type Discard struct{}

func (Discard) Incr(string, []string, float64) error                  { return nil }
func (Discard) Gauge(string, float64, []string, float64) error        { return nil }
func (Discard) Timing(string, time.Duration, []string, float64) error { return nil }

// Public role: the snapshot and the blob cache.
const (
	// SnapshotAge (gauge, seconds) is how long ago the database last
	// confirmed the snapshot being served.
	SnapshotAge = "public.snapshot.age_seconds"
	// SnapshotRefreshErrors (count) are failed refreshes; the last snapshot
	// keeps being served.
	SnapshotRefreshErrors = "public.snapshot.refresh_errors"
	// BlobCacheEntries (gauge) is how many parsed blobs are cached.
	BlobCacheEntries = "public.blob_cache.entries"
)

// Admin role.
const (
	// AdminRequests (count) are admin API requests, tagged route (the
	// pattern), method and status_class.
	AdminRequests = "admin.requests"
	// AdminRequestDuration (timing) is their latency, with the same tags.
	AdminRequestDuration = "admin.request_duration"
)

// StatusClass is the status_class tag of a status: "2xx" … "5xx".
func StatusClass(status int) string {
	switch {
	case status >= 500:
		return "5xx"
	case status >= 400:
		return "4xx"
	case status >= 300:
		return "3xx"
	case status >= 200:
		return "2xx"
	}
	return "1xx"
}

// Agent role.
const (
	// AgentEnacted (count) are scheduled changes the agent enacted.
	AgentEnacted = "agent.enacted"
	// AgentFailed (count) are enactments that failed; the pass goes on.
	AgentFailed = "agent.failed"
	// AgentPassFailed (count) are passes that could not list the changes.
	AgentPassFailed = "agent.pass_failed"
)

// Public role: Balrog's own names (public.md §12.1), under "public.".
const (
	// ParseQuery (timing) is building the update query from the URL.
	ParseQuery = "public.client.parse_query"
	// EvaluateRules (timing) is rule evaluation, release and pin lookup.
	EvaluateRules = "public.client.evaluate_rules"
	// MakeResponse (timing) is rendering the answer (or taking it from the
	// response cache).
	MakeResponse = "public.client.make_response"
)

// responseSegments are the first path segments Balrog counts responses by.
var responseSegments = [...]string{"update", "json", "api", "unknown"}

// responseStatuses are the statuses whose counter names are built once.
var responseStatuses = [...]int{200, 301, 302, 304, 308, 400, 404, 405, 413, 429, 500, 502, 503}

// Responses names Balrog's public response counters,
// public.response.<segment>.<status>, without allocating per request.
type Responses struct {
	names [len(responseSegments)][len(responseStatuses)]string
}

// NewResponses builds the counter names once.
func NewResponses() *Responses {
	r := &Responses{}
	for i, seg := range responseSegments {
		for j, st := range responseStatuses {
			r.names[i][j] = responseName(seg, st)
		}
	}
	return r
}

func responseName(segment string, status int) string {
	return "public.response." + segment + "." + strconv.Itoa(status)
}

// Name returns the counter for a response to path with status, as Balrog
// counts them: by the first path segment, exactly "update", "json" or
// "api", else "unknown".
func (r *Responses) Name(path string, status int) string {
	seg := len(responseSegments) - 1
	first := path
	if len(first) > 0 && first[0] == '/' {
		first = first[1:]
	}
	for i, c := range []byte(first) {
		if c == '/' {
			first = first[:i]
			break
		}
	}
	for i, s := range responseSegments[:len(responseSegments)-1] {
		if first == s {
			seg = i
			break
		}
	}
	for j, st := range responseStatuses {
		if st == status {
			return r.names[seg][j]
		}
	}
	return responseName(responseSegments[seg], status)
}
