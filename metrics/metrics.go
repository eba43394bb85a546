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
	Count(name string, value int64, tags []string, rate float64) error
	Gauge(name string, value float64, tags []string, rate float64) error
	Timing(name string, value time.Duration, tags []string, rate float64) error
}

// Discard is a Sink that sends nothing.
type Discard struct{}

func (Discard) Incr(string, []string, float64) error                  { return nil }
func (Discard) Count(string, int64, []string, float64) error          { return nil }
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
	// BlobCacheOffHeapBytes (gauge) is the memory the packed locales of
	// the parsed blobs hold outside the Go heap (Go's own memory
	// statistics leave it out).
	BlobCacheOffHeapBytes = "public.blob_cache.offheap_bytes"
	// BlobCacheHits (count) are blob lookups answered from the cache.
	BlobCacheHits = "public.blob_cache.hits"
	// BlobCacheMisses (count) are blob lookups that read and parsed the
	// release from the database.
	BlobCacheMisses = "public.blob_cache.misses"
	// BlobLoadDuration (timing) is how long a miss took, tagged phase:
	// read (the database's answer, the whole blob), parse (what the
	// request waited for: a large app release's first reading) or
	// complete (a large app release's complete parse, in the background).
	BlobLoadDuration = "public.blob_cache.load_duration"
)

// BlobLoadTags are the tag lists of BlobLoadDuration, built once.
var BlobLoadTags = struct{ Read, Parse, Complete []string }{[]string{"phase:read"}, []string{"phase:parse"}, []string{"phase:complete"}}

// Public role: requests and what rule evaluation decided.
const (
	// PublicRequests (count) are public requests other than the
	// Dockerflow endpoints, tagged route (the route pattern: U1…U6, U3e,
	// J1, J2, update_other, or the /api/v1 or static path pattern) and
	// status_class.
	PublicRequests = "public.requests"
	// PublicRequestDuration (timing) is their latency, with the same tags.
	PublicRequestDuration = "public.request_duration"
	// UpdateOutcomes (count) are answered update requests, tagged outcome
	// (one of Outcomes), whether rendered or taken from the response
	// cache.
	UpdateOutcomes = "public.update_outcomes"
)

// Outcome is what an answered update request served.
type Outcome uint8

// The outcomes of rule evaluation, in the order of Outcomes.
const (
	OutcomeServed Outcome = iota
	OutcomeNoUpdate
	OutcomeFallback
	OutcomeShutoff
	OutcomeDesupport
)

// Outcomes are the values of the outcome tag, indexed by Outcome.
var Outcomes = [...]string{"served", "no_update", "fallback", "shutoff", "desupport"}

// String is the outcome's tag value.
func (o Outcome) String() string { return Outcomes[o] }

// OutcomeTags are the tag lists of UpdateOutcomes, built once.
var OutcomeTags = func() (t [len(Outcomes)][]string) {
	for i, o := range Outcomes {
		t[i] = []string{"outcome:" + o}
	}
	return t
}()

// Database, from the gorm callbacks and the goose runner of
// store/gormstore; tagged with the role(s) of the process (or
// role:migrate).
const (
	// DBQueryDuration (timing) is the latency of one gorm statement,
	// tagged op (create, query, update, delete, row, raw, or
	// change_marker: the public role's poll) and table.
	DBQueryDuration = "db.query_duration"
	// DBQueryErrors (count) are statements that failed (a missing row is
	// not a failure), with the same tags.
	DBQueryErrors = "db.query_errors"
	// MigrationsApplied (count) are schema steps applied, tagged phase
	// (pre or post).
	MigrationsApplied = "db.migrations_applied"
)

// Admin role.
const (
	// AdminRequests (count) are admin API requests, tagged route (the
	// pattern), method and status_class.
	AdminRequests = "admin.requests"
	// AdminRequestDuration (timing) is their latency, with the same tags.
	AdminRequestDuration = "admin.request_duration"
	// AdminWrites (count) are admin requests that change something (POST,
	// PUT, DELETE), tagged object (one of WriteObjects) and outcome (ok,
	// conflict, denied, invalid, error).
	AdminWrites = "admin.writes"
	// AdminSignoffs (count) are signoffs made or revoked, tagged action
	// (made, revoked).
	AdminSignoffs = "admin.signoffs"
)

// WriteObjects are the values of the object tag of AdminWrites.
var WriteObjects = [...]string{"rule", "release", "permission", "role", "required_signoff", "emergency_shutoff", "scheduled_change", "signoff", "pin", "assertion", "evaluation", "other"}

// WriteOutcomes are the values of the outcome tag of AdminWrites.
var WriteOutcomes = [...]string{"ok", "conflict", "denied", "invalid", "error"}

// StatusClass is the status_class tag of a status: "2xx" … "5xx".
func StatusClass(status int) string { return StatusClasses[StatusClassIndex(status)] }

// Agent role.
const (
	// AgentEnacted (count) are scheduled changes the agent enacted.
	AgentEnacted = "agent.enacted"
	// AgentFailed (count) are enactments that failed; the pass goes on.
	AgentFailed = "agent.failed"
	// AgentPassFailed (count) are passes that could not list the changes.
	AgentPassFailed = "agent.pass_failed"
)

// StatusClasses are the values of the status_class tag.
var StatusClasses = [...]string{"1xx", "2xx", "3xx", "4xx", "5xx"}

// StatusClassIndex is the index in StatusClasses of a status's class.
func StatusClassIndex(status int) int {
	switch {
	case status >= 500:
		return 4
	case status >= 400:
		return 3
	case status >= 300:
		return 2
	case status >= 200:
		return 1
	}
	return 0
}

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

// ResponsePrefix begins Balrog's response counters,
// public.response.<segment>.<status> (count): GET responses by the first
// path segment (update, json, api, else unknown) and status.
const ResponsePrefix = "public.response."

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
	return ResponsePrefix + segment + "." + strconv.Itoa(status)
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
