package app

import (
	"net"
	"testing"
	"time"

	"github.com/balrog-go/balrog/metrics"
)

// BenchmarkStatsdUpdateMetrics sends, through the real DogStatsD client of a
// role (to a UDP socket nobody reads), the metrics the public role sends for
// one update request answered from the response cache. Its allocs/op is
// what the client adds to the hot path (public's BenchmarkServeUpdate*
// measure the handler with a counting sink).
func BenchmarkStatsdUpdateMetrics(b *testing.B) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer pc.Close()
	p := &process{cfg: Config{StatsdAddr: pc.LocalAddr().String()}}
	defer p.closeMetrics()
	m, err := p.forRole("public")
	if err != nil {
		b.Fatal(err)
	}
	tags := []string{"route:U6", "status_class:2xx"}
	responses := metrics.NewResponses()
	b.ReportAllocs()
	for b.Loop() {
		_ = m.Timing(metrics.ParseQuery, time.Microsecond, nil, 1)
		_ = m.Timing(metrics.EvaluateRules, time.Microsecond, nil, 1)
		_ = m.Incr(metrics.PublicRequests, tags, 1)
		_ = m.Timing(metrics.PublicRequestDuration, time.Microsecond, tags, 1)
		_ = m.Timing(metrics.MakeResponse, time.Microsecond, nil, 1)
		_ = m.Incr(metrics.UpdateOutcomes, metrics.OutcomeTags[metrics.OutcomeServed], 1)
		_ = m.Incr(responses.Name("/update/6", 200), nil, 1)
	}
}
