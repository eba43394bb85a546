package app

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/balrog-go/balrog/public"
)

// The front serves the public listener's HTTP/1.1 itself. Update checks are
// GET requests without a body on keep-alive connections; for them net/http's
// per-request machinery (a background read per request to notice a client
// going away, header maps and buffers per request, chunking decisions) costs
// more CPU than answering the request, and on two cores that shows as half
// the throughput and three times the tail latency of a plain loop over the
// connection. The front reads such requests into a per-connection buffer,
// builds the http.Request the handler expects, and writes the handler's
// answer with one write. Anything else (a request with a body, an upgrade,
// HTTP/2, a malformed or oversized request) hands its connection, with every
// byte read so far, to the net/http server, which serves it from then on,
// with all of its checks and error answers.

// frontServer serves connections of one listener as described above; server
// holds the timeouts and serves the handed-over connections.
type frontServer struct {
	handler  http.Handler
	server   *http.Server
	log      *slog.Logger
	handover *handoverListener
	// recaller, when set, answers requests it remembers before a request
	// is built (the public handler).
	recaller recaller

	mu       sync.Mutex
	ln       net.Listener
	conns    map[*frontConn]struct{}
	shutting atomic.Bool
	done     chan struct{} // closed when all front connections have ended after shutdown
}

// recaller is the public handler's memory of whole answers.
type recaller interface {
	Recall(ctx context.Context, target []byte, userAgent string) (*public.Recalled, context.Context)
	Sent(rc *public.Recalled, method string, start time.Time)
}

func newFrontServer(server *http.Server, log *slog.Logger, addr net.Addr, rc recaller) *frontServer {
	return &frontServer{
		recaller: rc,
		handler:  server.Handler,
		server:   server,
		log:      log,
		handover: newHandoverListener(addr),
		conns:    map[*frontConn]struct{}{},
	}
}

// serve accepts connections until ln is closed; the net/http server serves
// the handed-over ones.
func (f *frontServer) serve(ln net.Listener) error {
	f.mu.Lock()
	if f.shutting.Load() {
		// Shut down before it served (a stop right at start): shutdown
		// had no listener to close.
		f.mu.Unlock()
		_ = ln.Close()
		return http.ErrServerClosed
	}
	f.ln = ln
	f.mu.Unlock()
	fallbackErr := make(chan error, 1)
	go func() { fallbackErr <- f.server.Serve(f.handover) }()
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if f.shutting.Load() {
				return http.ErrServerClosed
			}
			if retryableAccept(err) {
				// As net/http: back off on transient accept failures
				// (too many open files) instead of spinning.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				f.log.Warn("public: accept failed; retrying", "error", err.Error(), "delay", delay.String())
				time.Sleep(delay)
				continue
			}
			select {
			case ferr := <-fallbackErr:
				if ferr != nil && !errors.Is(ferr, http.ErrServerClosed) {
					return ferr
				}
			default:
			}
			return err
		}
		delay = 0
		c := newFrontConn(f, nc)
		if !f.track(c, true) {
			_ = nc.Close()
			continue
		}
		go c.serve()
	}
}

// retryableAccept says whether an accept error is a passing shortage (too
// many open files, an aborted connection), as net/http judges it.
func retryableAccept(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// track adds or removes a connection; adding fails once shutdown started.
func (f *frontServer) track(c *frontConn, add bool) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if add {
		if f.shutting.Load() {
			return false
		}
		f.conns[c] = struct{}{}
		return true
	}
	delete(f.conns, c)
	if f.shutting.Load() && len(f.conns) == 0 && f.done != nil {
		close(f.done)
		f.done = nil
	}
	return true
}

// shutdown stops keep-alives, closes idle connections, waits for the
// requests in flight (front and net/http) until ctx ends, then closes what
// is left.
func (f *frontServer) shutdown(ctx context.Context) error {
	f.mu.Lock()
	f.shutting.Store(true)
	if f.ln != nil {
		_ = f.ln.Close()
	}
	done := make(chan struct{})
	if len(f.conns) == 0 {
		close(done)
	} else {
		f.done = done
	}
	f.mu.Unlock()
	fallbackErr := make(chan error, 1)
	go func() { fallbackErr <- f.server.Shutdown(ctx) }()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		f.closeIdle()
		select {
		case <-done:
			return <-fallbackErr
		case <-ctx.Done():
			f.mu.Lock()
			for c := range f.conns {
				_ = c.nc.Close()
			}
			f.mu.Unlock()
			if err := <-fallbackErr; err != nil {
				return err
			}
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// closeIdle closes the connections waiting for a next request.
func (f *frontServer) closeIdle() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for c := range f.conns {
		if c.state.CompareAndSwap(connIdle, connClosed) {
			_ = c.nc.Close()
		}
	}
}

// handoverListener gives the net/http server the connections the front
// hands over.
type handoverListener struct {
	addr   net.Addr
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newHandoverListener(addr net.Addr) *handoverListener {
	return &handoverListener{addr: addr, conns: make(chan net.Conn), closed: make(chan struct{})}
}

// Accept returns the next handed-over connection.
func (l *handoverListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

// Close ends Accept; connections handed over later are closed.
func (l *handoverListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

// Addr is the front's listening address.
func (l *handoverListener) Addr() net.Addr { return l.addr }

// give hands c to the net/http server; false when it no longer accepts.
func (l *handoverListener) give(c net.Conn) bool {
	select {
	case l.conns <- c:
		return true
	case <-l.closed:
		return false
	}
}

// prefixConn is a connection whose first reads return bytes the front has
// already read from it.
type prefixConn struct {
	net.Conn
	pre []byte
}

// CloseWrite half-closes the connection, which net/http does before it
// closes a connection with unread input (so the client reads the answer
// rather than a reset).
func (c *prefixConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

func (c *prefixConn) Read(p []byte) (int, error) {
	if len(c.pre) > 0 {
		n := copy(p, c.pre)
		c.pre = c.pre[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}
