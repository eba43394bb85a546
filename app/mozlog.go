package app

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"
)

// mozlogHandler writes one JSON object a line in Mozilla's mozlog shape
// (schema.md §11.4): Timestamp (ns), Type (the logger name), Logger,
// Hostname, EnvVersion, Severity (GCP numbers), Pid and Fields (the
// message and every attribute).
type mozlogHandler struct {
	out      io.Writer
	mu       *sync.Mutex
	level    slog.Leveler
	host     string
	pid      int
	typ      string
	attrs    []slog.Attr
	groups   []string
	nowNanos func() int64
}

func newMozlogHandler(w io.Writer, level slog.Leveler) *mozlogHandler {
	host, _ := os.Hostname()
	return &mozlogHandler{
		out: w, mu: &sync.Mutex{}, level: level, host: host, pid: os.Getpid(), typ: "balrog",
		nowNanos: func() int64 { return time.Now().UnixNano() },
	}
}

func (h *mozlogHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.level.Level()
}

// severity maps slog levels to the numbers Balrog logs (GCP's).
func severity(l slog.Level) int {
	switch {
	case l >= slog.LevelError+4:
		return 600
	case l >= slog.LevelError:
		return 500
	case l >= slog.LevelWarn:
		return 400
	case l >= slog.LevelInfo:
		return 200
	default:
		return 100
	}
}

func (h *mozlogHandler) Handle(_ context.Context, r slog.Record) error {
	fields := make(map[string]any, r.NumAttrs()+len(h.attrs)+1)
	for _, a := range h.attrs {
		addField(fields, h.groups, a)
	}
	r.Attrs(func(a slog.Attr) bool {
		addField(fields, h.groups, a)
		return true
	})
	fields["message"] = r.Message
	ts := r.Time.UnixNano()
	if r.Time.IsZero() {
		ts = h.nowNanos()
	}
	line, err := json.Marshal(struct {
		Timestamp  int64          `json:"Timestamp"`
		Type       string         `json:"Type"`
		Logger     string         `json:"Logger"`
		Hostname   string         `json:"Hostname"`
		EnvVersion string         `json:"EnvVersion"`
		Severity   int            `json:"Severity"`
		Pid        int            `json:"Pid"`
		Fields     map[string]any `json:"Fields"`
	}{ts, h.typ, "Balrog", h.host, "2.0", severity(r.Level), h.pid, fields})
	if err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err = h.out.Write(append(line, '\n'))
	return err
}

func addField(fields map[string]any, groups []string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	key := a.Key
	for i := len(groups) - 1; i >= 0; i-- {
		key = groups[i] + "." + key
	}
	if a.Value.Kind() == slog.KindGroup {
		for _, g := range a.Value.Group() {
			addField(fields, append(groups, a.Key), g)
		}
		return
	}
	switch a.Value.Kind() {
	case slog.KindDuration:
		fields[key] = a.Value.Duration().String()
	case slog.KindTime:
		fields[key] = a.Value.Time().UTC().Format(time.RFC3339Nano)
	default:
		v := a.Value.Any()
		if err, ok := v.(error); ok {
			v = err.Error()
		}
		fields[key] = v
	}
}

func (h *mozlogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr{}, h.attrs...), attrs...)
	return &c
}

func (h *mozlogHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.groups = append(append([]string{}, h.groups...), name)
	return &c
}
