package app

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/balrog-go/balrog/public"
)

// frontBufSize is a connection's read buffer: a request whose head does not
// fit (an update request is a few hundred bytes) is handed to net/http,
// which applies the real limits (414, 431).
const frontBufSize = 4 << 10

// Connection states, for shutdown: an idle connection waits for a next
// request and may be closed; an active one is finishing a request.
const (
	connActive int32 = iota
	connIdle
	connClosed
)

// frontConn is one connection served by the front.
type frontConn struct {
	f      *frontServer
	nc     net.Conn
	state  atomic.Int32
	remote string
	ctx    context.Context
	cancel context.CancelFunc

	buf        []byte // read buffer; unread bytes are buf[start:end]
	start, end int
	// hdr is the request header map, emptied for each request; prev holds
	// the single values of the previous requests, reused when a request
	// sends the same again (they are never modified in place: len == cap).
	hdr  http.Header
	prev map[string][]string
	w    frontWriter
	fr   frontRequest
	// readBy/writeBy are the deadlines set on the connection; they are
	// renewed at most once a second.
	readBy, writeBy time.Time
	readIdle        bool // readBy is an idle (not header) deadline
	headArmed       bool // the header timeout of the current head is set
	served          int  // requests answered
	target          string
}

func newFrontConn(f *frontServer, nc net.Conn) *frontConn {
	ctx, cancel := context.WithCancel(context.Background())
	c := &frontConn{f: f, nc: nc, remote: nc.RemoteAddr().String(), ctx: ctx, cancel: cancel,
		buf: make([]byte, frontBufSize), hdr: http.Header{}, prev: map[string][]string{}}
	c.state.Store(connActive)
	c.w.c = c
	return c
}

// serve reads and answers requests until the connection ends or is handed
// over.
func (c *frontConn) serve() {
	handedOver := false
	defer func() {
		if p := recover(); p != nil && p != http.ErrAbortHandler {
			buf := make([]byte, 64<<10)
			buf = buf[:runtime.Stack(buf, false)]
			c.f.log.Error("public: panic serving a request", "remote", c.remote, "panic", fmt.Sprint(p), "stack", string(buf))
		}
		c.cancel()
		if !handedOver {
			_ = c.nc.Close()
		}
		c.f.track(c, false)
	}()
	for {
		n, status := c.readHead()
		switch status {
		case headTooLong:
			handedOver = c.handOver()
			return
		case headEnded:
			return
		}
		start := time.Now()
		head := c.buf[c.start : c.start+n]
		fr, ok := c.parseHead(head)
		if !ok {
			handedOver = c.handOver()
			return
		}
		var keep bool
		if rc, ctx := c.recall(fr); rc != nil {
			keep = c.w.sendRecalled(rc)
			c.f.recaller.Sent(rc, fr.method, start)
		} else {
			req, ok := c.request(ctx, fr)
			if !ok {
				handedOver = c.handOver()
				return
			}
			keep = c.w.serve(req)
		}
		c.start += n
		if c.start == c.end {
			c.start, c.end = 0, 0
		}
		c.served++
		if !keep || c.f.shutting.Load() {
			return
		}
		if !c.state.CompareAndSwap(connActive, connIdle) {
			return
		}
		if c.f.shutting.Load() {
			return
		}
	}
}

// What readHead found.
const (
	headRead    = iota // a request head is in the buffer
	headEnded          // the connection ended or was closed by shutdown
	headTooLong        // the head does not fit: net/http decides (414, 431)
)

// readHead waits until the buffer holds a request head and returns its
// length with the blank line.
func (c *frontConn) readHead() (int, int) {
	for {
		if n := headEnd(c.buf[c.start:c.end]); n > 0 {
			if !c.state.CompareAndSwap(connIdle, connActive) && c.state.Load() != connActive {
				return 0, headEnded
			}
			c.headArmed = false
			return n, headRead
		}
		if c.start > 0 {
			c.end = copy(c.buf, c.buf[c.start:c.end])
			c.start = 0
		}
		if c.end == len(c.buf) {
			return 0, headTooLong
		}
		if c.end == 0 && c.served > 0 {
			c.armIdle(time.Now())
		} else if !c.headArmed {
			c.armHead(time.Now())
		}
		m, err := c.nc.Read(c.buf[c.end:])
		if m > 0 {
			if !c.state.CompareAndSwap(connIdle, connActive) && c.state.Load() != connActive {
				return 0, headEnded // closed by shutdown
			}
			c.end += m
			continue
		}
		if err != nil {
			return 0, headEnded
		}
	}
}

// armIdle sets the idle timeout while the connection waits for a next
// request; a deadline set less than a second ago is left as it is.
func (c *frontConn) armIdle(now time.Time) {
	d := c.f.server.IdleTimeout
	if d <= 0 {
		d = c.f.server.ReadTimeout
	}
	if d <= 0 {
		return
	}
	by := now.Add(d)
	if c.readIdle && by.Sub(c.readBy) < time.Second {
		return
	}
	c.readBy, c.readIdle = by, true
	_ = c.nc.SetReadDeadline(by)
}

// armHead starts the header timeout of a request head: from the first
// byte of a request on a kept-alive connection, from the accept for the
// first request; it is not renewed while the head arrives.
func (c *frontConn) armHead(now time.Time) {
	c.headArmed = true
	d := c.f.server.ReadHeaderTimeout
	if d <= 0 {
		d = c.f.server.ReadTimeout
	}
	if d <= 0 {
		return
	}
	c.readBy, c.readIdle = now.Add(d), false
	_ = c.nc.SetReadDeadline(c.readBy)
}

// setWriteDeadline renews the write deadline before an answer is written.
func (c *frontConn) setWriteDeadline(now time.Time) {
	d := c.f.server.WriteTimeout
	if d <= 0 {
		return
	}
	by := now.Add(d)
	if !c.writeBy.IsZero() && by.Sub(c.writeBy) < time.Second {
		return
	}
	c.writeBy = by
	_ = c.nc.SetWriteDeadline(by)
}

// handOver gives the connection, with its unread bytes, to net/http.
func (c *frontConn) handOver() bool {
	if c.f.shutting.Load() {
		return false
	}
	_ = c.nc.SetDeadline(time.Time{})
	pre := bytes.Clone(c.buf[c.start:c.end])
	c.f.track(c, false)
	return c.f.handover.give(&prefixConn{Conn: c.nc, pre: pre})
}

// headEnd returns the length of the request head at the start of b,
// through its blank line, or 0 when b holds no complete head.
func headEnd(b []byte) int {
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return 0
		}
		i += j + 1
		if i < len(b) && b[i] == '\n' {
			return i + 1
		}
		if i+1 < len(b) && b[i] == '\r' && b[i+1] == '\n' {
			return i + 2
		}
	}
}

// frontRequest is a parsed request head the front serves itself.
type frontRequest struct {
	method   string
	target   []byte // in the connection's buffer: valid until the next read
	proto    string
	minor    int
	host     string
	close    bool // the client asked to close after this request
	keep10   bool // an HTTP/1.0 client asked for keep-alive
	head     bool
	hostSeen int
}

// parseHead reads a request head into c.hdr; false when net/http must
// serve it: anything but GET or HEAD of an origin-form target over
// HTTP/1.0 or 1.1 without a body, expectation or upgrade, with valid header
// lines and (for 1.1) one Host.
func (c *frontConn) parseHead(head []byte) (*frontRequest, bool) {
	line, rest, _ := bytes.Cut(head, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	method, line, ok1 := bytes.Cut(line, []byte(" "))
	target, proto, ok2 := bytes.Cut(line, []byte(" "))
	if !ok1 || !ok2 || len(target) == 0 || target[0] != '/' {
		return nil, false
	}
	fr := &c.fr
	*fr = frontRequest{target: target}
	switch string(method) {
	case http.MethodGet:
		fr.method = http.MethodGet
	case http.MethodHead:
		fr.method, fr.head = http.MethodHead, true
	default:
		return nil, false
	}
	switch string(proto) {
	case "HTTP/1.1":
		fr.proto, fr.minor = "HTTP/1.1", 1
	case "HTTP/1.0":
		fr.proto, fr.minor = "HTTP/1.0", 0
	default:
		return nil, false
	}
	clear(c.hdr)
	if len(c.prev) > 64 {
		clear(c.prev)
	}
	for len(rest) > 0 {
		var hl []byte
		hl, rest, _ = bytes.Cut(rest, []byte("\n"))
		hl = bytes.TrimSuffix(hl, []byte("\r"))
		if len(hl) == 0 {
			break
		}
		if !c.header(fr, hl) {
			return nil, false
		}
	}
	if fr.minor == 1 && fr.hostSeen != 1 || fr.hostSeen > 1 {
		return nil, false // net/http answers 400
	}
	c.w.reset(fr)
	return fr, true
}

// recall returns the public handler's remembered answer of the request,
// or nil and the context to serve the request with.
func (c *frontConn) recall(fr *frontRequest) (*public.Recalled, context.Context) {
	if c.f.recaller == nil {
		return nil, c.ctx
	}
	ua := c.hdr["User-Agent"]
	switch len(ua) {
	case 0:
		return c.f.recaller.Recall(c.ctx, fr.target, "")
	case 1:
		return c.f.recaller.Recall(c.ctx, fr.target, ua[0])
	}
	return nil, c.ctx
}

// request builds the http.Request of a parsed head; false when net/http
// must serve it (a target url.ParseRequestURI refuses).
func (c *frontConn) request(ctx context.Context, fr *frontRequest) (*http.Request, bool) {
	if string(fr.target) != c.target {
		c.target = string(fr.target)
	}
	u, err := url.ParseRequestURI(c.target)
	if err != nil {
		return nil, false
	}
	r := &http.Request{
		Method:     fr.method,
		URL:        u,
		Proto:      fr.proto,
		ProtoMajor: 1,
		ProtoMinor: fr.minor,
		Header:     c.hdr,
		Body:       http.NoBody,
		Host:       fr.host,
		RemoteAddr: c.remote,
		RequestURI: c.target,
		Close:      fr.close || fr.minor == 0 && !fr.keep10,
	}
	return r.WithContext(ctx), true
}

// header takes one header line; false when net/http must serve the
// request.
func (c *frontConn) header(fr *frontRequest, hl []byte) bool {
	name, value, ok := bytes.Cut(hl, []byte(":"))
	if !ok || !validFieldName(name) {
		return false // also a folded line: it starts with a space
	}
	value = bytes.Trim(value, " \t")
	if !validFieldValue(value) {
		return false
	}
	key := canonicalKey(name)
	switch key {
	case "Host":
		fr.hostSeen++
		if !validHost(value) {
			return false
		}
		if string(value) != fr.host {
			fr.host = string(value)
		}
		return true // promoted to Request.Host, as net/http does
	case "Content-Length", "Transfer-Encoding", "Expect", "Upgrade", "Trailer", "Http2-Settings":
		return false
	case "Connection":
		for tok := range bytes.SplitSeq(value, []byte(",")) {
			tok = bytes.TrimSpace(tok)
			switch {
			case bytes.EqualFold(tok, []byte("close")):
				fr.close = true
			case bytes.EqualFold(tok, []byte("keep-alive")):
				fr.keep10 = true
			}
		}
	}
	if vs, ok := c.hdr[key]; ok {
		c.hdr[key] = append(vs[:len(vs):len(vs)], string(value))
		return true
	}
	if pv := c.prev[key]; len(pv) == 1 && pv[0] == string(value) {
		c.hdr[key] = pv // as a previous request sent it
		return true
	}
	vs := []string{string(value)}
	c.hdr[key], c.prev[key] = vs, vs
	return true
}
