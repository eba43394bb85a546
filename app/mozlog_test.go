package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestMozlogShape(t *testing.T) {
	var buf bytes.Buffer
	log := newLogger(Config{LogFormat: "json", LogLevel: "info"}, &buf)
	log.With("role", "public").Warn("snapshot stale", "age", 42, "error", errors.New("db down"))
	log.Debug("not written at info")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one line, got %q", buf.String())
	}
	var got struct {
		Timestamp  int64
		Type       string
		Logger     string
		Hostname   string
		EnvVersion string
		Severity   int
		Pid        int
		Fields     map[string]any
	}
	if err := json.Unmarshal([]byte(lines[0]), &got); err != nil {
		t.Fatal(err)
	}
	if got.Timestamp < 1e18 || got.Type == "" || got.Logger != "Balrog" || got.EnvVersion != "2.0" || got.Severity != 400 || got.Pid == 0 {
		t.Errorf("envelope: %+v", got)
	}
	if got.Fields["message"] != "snapshot stale" || got.Fields["role"] != "public" || got.Fields["age"] != float64(42) || got.Fields["error"] != "db down" {
		t.Errorf("fields: %v", got.Fields)
	}
	for l, want := range map[slog.Level]int{slog.LevelDebug: 100, slog.LevelInfo: 200, slog.LevelWarn: 400, slog.LevelError: 500} {
		if severity(l) != want {
			t.Errorf("severity(%v) = %d, want %d", l, severity(l), want)
		}
	}
}
