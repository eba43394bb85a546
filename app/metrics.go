package app

import (
	"fmt"
	"strings"

	"github.com/DataDog/datadog-go/v5/statsd"

	"github.com/balrog-go/balrog/metrics"
)

// forRole returns the metrics sink of a role: a DogStatsD client with the
// namespace "balrog." and the constant tags role:<role> and
// version:<version>, or metrics.Discard when --statsd-addr is unset. Each
// role has its own client, so the roles send their own tags without adding
// them per metric (which would allocate on the hot path).
func (p *process) forRole(role string) (metrics.Sink, error) {
	if p.cfg.StatsdAddr == "" {
		return metrics.Discard{}, nil
	}
	if c, ok := p.sinks[role]; ok {
		return c, nil
	}
	c, err := statsd.New(p.cfg.StatsdAddr,
		statsd.WithNamespace("balrog."),
		statsd.WithTags([]string{"role:" + role, "version:" + Build().Version}))
	if err != nil {
		return nil, fmt.Errorf("statsd client for %s: %w", p.cfg.StatsdAddr, err)
	}
	if p.sinks == nil {
		p.sinks = map[string]*statsd.Client{}
	}
	p.sinks[role] = c
	return c, nil
}

// processRole is the role tag of what the roles of a process share (the
// database): the roles joined with "+" (a comma would split the tag).
func processRole(roles []string) string {
	return strings.Join(roles, "+")
}

// closeMetrics flushes and closes every client.
func (p *process) closeMetrics() {
	for _, c := range p.sinks {
		_ = c.Close()
	}
}
