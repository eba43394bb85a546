package public

import (
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"time"
)

// updateLog writes one JSON line, mozlog-shaped (Logger "balrog.updates",
// Type "update_request"), for a sampled share of update requests: the
// parsed query, the rule and release served, the outcome and the status.
// Lines are built in a pooled buffer and written whole under a lock. The
// query fields that identify a device (IMEI) or that nothing reads are not
// logged; neither are headers or the raw URL.
type updateLog struct {
	out    io.Writer
	sample float64
	// host and pid go in every line's envelope.
	host string
	pid  string
	mu   sync.Mutex
	pool sync.Pool
}

// newUpdateLog returns the update log, or nil when it is off.
func newUpdateLog(out io.Writer, sample float64) *updateLog {
	if out == nil || sample <= 0 {
		return nil
	}
	host, _ := os.Hostname()
	l := &updateLog{out: out, sample: min(sample, 1), host: host, pid: strconv.Itoa(os.Getpid())}
	l.pool.New = func() any { b := make([]byte, 0, 1024); return &b }
	return l
}

// maybeLog writes the line of a finished update request when it is
// sampled.
func (l *updateLog) maybeLog(sw *statusWriter, now time.Time) {
	if l.sample < 1 && rand.Float64() >= l.sample {
		return
	}
	bp := l.pool.Get().(*[]byte)
	b := appendUpdateLine((*bp)[:0], sw, now, l.host, l.pid)
	l.mu.Lock()
	_, _ = l.out.Write(b)
	l.mu.Unlock()
	*bp = b
	if cap(b) <= 64<<10 {
		l.pool.Put(bp)
	}
}

// appendUpdateLine appends one update log line (its format is the
// warehouse table documented in the README).
func appendUpdateLine(b []byte, sw *statusWriter, now time.Time, host, pid string) []byte {
	q := sw.query
	b = append(b, `{"Timestamp":`...)
	b = strconv.AppendInt(b, now.UnixNano(), 10)
	b = append(b, `,"Type":"update_request","Logger":"balrog.updates","Hostname":`...)
	b = appendPyString(b, host)
	b = append(b, `,"EnvVersion":"2.0","Severity":200,"Pid":`...)
	b = append(b, pid...)
	b = append(b, `,"Fields":{"route":`...)
	b = appendPyString(b, sw.route.name)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(sw.status), 10)
	b = append(b, `,"duration_ms":`...)
	b = strconv.AppendFloat(b, float64(now.Sub(sw.start).Microseconds())/1000, 'f', -1, 64)
	b = append(b, `,"product":`...)
	b = appendPyString(b, q.Product)
	b = append(b, `,"version":`...)
	b = appendPyString(b, q.Version)
	b = appendOptField(b, "buildID", q.BuildID)
	b = append(b, `,"buildTarget":`...)
	b = appendPyString(b, q.BuildTarget)
	b = appendOptField(b, "locale", q.Locale)
	b = append(b, `,"channel":`...)
	b = appendPyString(b, q.Channel)
	b = appendOptField(b, "osVersion", q.OSVersion)
	b = appendOptField(b, "distribution", q.Distribution)
	b = appendOptField(b, "distVersion", q.DistVersion)
	b = appendOptField(b, "instructionSet", q.InstructionSet)
	b = append(b, `,"memory":`...)
	if q.Memory == nil {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, int64(*q.Memory), 10)
	}
	b = appendOptBoolField(b, "jaws", q.Jaws)
	b = appendOptBoolField(b, "mig64", q.Mig64)
	b = appendOptField(b, "pin", q.Pin)
	b = append(b, `,"rule_id":`...)
	if sw.ruleID == 0 {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, int64(sw.ruleID), 10)
	}
	b = append(b, `,"release":`...)
	if sw.release == "" {
		b = append(b, "null"...)
	} else {
		b = appendPyString(b, sw.release)
	}
	b = append(b, `,"outcome":`...)
	if sw.hasOutcome {
		b = appendPyString(b, sw.outcome.String())
	} else {
		b = append(b, "null"...)
	}
	return append(b, "}}\n"...)
}

func appendOptField(b []byte, name string, v *string) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	if v == nil {
		return append(b, "null"...)
	}
	return appendPyString(b, *v)
}

func appendOptBoolField(b []byte, name string, v *bool) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	if v == nil {
		return append(b, "null"...)
	}
	return strconv.AppendBool(b, *v)
}
