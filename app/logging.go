package app

import (
	"io"
	"log/slog"
	"strings"
)

// newLogger builds the process logger from --log-format and --log-level:
// mozlog JSON lines, or slog's text for a terminal.
func newLogger(cfg Config, w io.Writer) *slog.Logger {
	level := slog.LevelInfo
	switch strings.ToLower(cfg.LogLevel) {
	case "debug":
		level = slog.LevelDebug
	case "warn", "warning":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(newMozlogHandler(w, level))
}
