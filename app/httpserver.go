package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Limits of every listener. Requests whose headers exceed maxHeaderBytes get
// net/http's 431; a request target longer than maxURLBytes gets 414. Update
// URLs are a few hundred bytes; admin URLs shorter still.
const (
	maxHeaderBytes = 64 << 10
	maxURLBytes    = 8 << 10
)

// limitURL answers 414 to a request whose target is longer than maxURLBytes.
func limitURL(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.RequestURI) > maxURLBytes {
			body := fmt.Sprintf(`{"type": "about:blank", "title": "URI Too Long", "detail": "The request target is longer than %d bytes.", "status": 414}`, maxURLBytes)
			hdr := w.Header()
			hdr.Set("Content-Type", "application/problem+json")
			hdr.Set("Content-Length", strconv.Itoa(len(body)))
			hdr.Set("X-Content-Type-Options", "nosniff")
			hdr.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
			hdr.Set("Strict-Transport-Security", "max-age=31536000;")
			w.WriteHeader(http.StatusRequestURITooLong)
			_, _ = io.WriteString(w, body)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// httpService is one role's listener: it serves until its context ends, then
// drains in-flight requests.
type httpService struct {
	name    string
	ln      net.Listener
	server  *http.Server
	log     *slog.Logger
	drainBy time.Duration
	// front, when set, serves the listener's simple requests itself and
	// hands the others to server (front.go).
	front *frontServer
}

// withFront makes s serve through the front; rc (nil: none) answers the
// requests it remembers.
func (s *httpService) withFront(rc recaller) *httpService {
	s.front = newFrontServer(s.server, s.log, s.ln.Addr(), rc)
	return s
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
			Handler:           limitURL(h),
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       60 * time.Second,
			WriteTimeout:      120 * time.Second,
			IdleTimeout:       120 * time.Second,
			MaxHeaderBytes:    maxHeaderBytes,
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
	go func() {
		if s.front != nil {
			errc <- s.front.serve(s.ln)
			return
		}
		errc <- s.server.Serve(s.ln)
	}()
	s.log.Info("listening", "role", s.name, "addr", s.Addr())
	select {
	case err := <-errc:
		return fmt.Errorf("%s role: %w", s.name, err)
	case <-ctx.Done():
	}
	drain, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.drainBy)
	defer cancel()
	var err error
	if s.front != nil {
		err = s.front.shutdown(drain)
	} else {
		err = s.server.Shutdown(drain)
	}
	if serveErr := <-errc; serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("%s role: %w", s.name, serveErr)
	}
	if err != nil {
		return fmt.Errorf("%s role: drain: %w", s.name, err)
	}
	s.log.Info("drained", "role", s.name)
	return nil
}
