package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// httpService is one role's listener: it serves until its context ends, then
// drains in-flight requests.
type httpService struct {
	name    string
	ln      net.Listener
	server  *http.Server
	log     *slog.Logger
	drainBy time.Duration
}

// listen binds addr now, so a bad address fails at start and tests can use
// port 0 and read the bound address.
func listen(name, addr string, h http.Handler, log *slog.Logger, wrap func(net.Listener) net.Listener) (*httpService, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s role: listen on %s: %w", name, addr, err)
	}
	if wrap != nil {
		ln = wrap(ln)
	}
	return &httpService{
		name: name,
		ln:   ln,
		log:  log,
		server: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       60 * time.Second,
			WriteTimeout:      120 * time.Second,
			IdleTimeout:       120 * time.Second,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		},
		drainBy: 30 * time.Second,
	}, nil
}

// Addr is the bound address.
func (s *httpService) Addr() string { return s.ln.Addr().String() }

// Run serves until ctx ends, then shuts down gracefully.
func (s *httpService) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.server.Serve(s.ln) }()
	s.log.Info("listening", "role", s.name, "addr", s.Addr())
	select {
	case err := <-errc:
		return fmt.Errorf("%s role: %w", s.name, err)
	case <-ctx.Done():
	}
	drain, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.drainBy)
	defer cancel()
	err := s.server.Shutdown(drain)
	if serveErr := <-errc; serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("%s role: %w", s.name, serveErr)
	}
	if err != nil {
		return fmt.Errorf("%s role: drain: %w", s.name, err)
	}
	s.log.Info("drained", "role", s.name)
	return nil
}
