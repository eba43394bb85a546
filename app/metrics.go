package app

import (
	"time"

	"github.com/balrog-go/balrog/metrics"
)

// roleSink adds a role's constant tag to every metric it sends, without
// allocating when the caller has no tags of its own.
type roleSink struct {
	sink metrics.Sink
	tags []string
}

// forRole returns the process's sink tagged role:<role>.
func (p *process) forRole(role string) metrics.Sink {
	return roleSink{sink: p.metrics, tags: []string{"role:" + role}}
}

func (r roleSink) with(tags []string) []string {
	if len(tags) == 0 {
		return r.tags
	}
	return append(append(make([]string, 0, len(r.tags)+len(tags)), r.tags...), tags...)
}

func (r roleSink) Incr(name string, tags []string, rate float64) error {
	return r.sink.Incr(name, r.with(tags), rate)
}

func (r roleSink) Gauge(name string, value float64, tags []string, rate float64) error {
	return r.sink.Gauge(name, value, r.with(tags), rate)
}

func (r roleSink) Timing(name string, value time.Duration, tags []string, rate float64) error {
	return r.sink.Timing(name, value, r.with(tags), rate)
}
