package public

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strings"
)

// Why this file exists
//
// Firefox and other clients sometimes send update requests whose path still
// contains unexpanded placeholders, for example
//
//	GET /update/1/%PRODUCT%/%VERSION%/%BUILD_ID%/%BUILD_TARGET%/%LOCALE%/%CHANNEL%/update.xml HTTP/1.1
//
// Production Balrog runs behind uwsgi, which decodes such invalid percent
// escapes leniently and answers with 200 and an (empty) update document. Go's
// net/http server instead calls url.ParseRequestURI on the request-target
// while reading the request, and that fails for "%PR", so the server writes
// "400 Bad Request" itself and no handler ever sees the request.
//
// The listener returned by WrapListener works around this below net/http: in
// request lines it replaces every '%' that does not start a valid escape with
// the byte 0xFF. The substitution has the same length, so nothing else in the
// stream moves, and url.ParseRequestURI accepts raw high bytes in a path, so
// the request reaches the handler. The handler then calls RestoreTarget on
// r.RequestURI to get back the exact target the client sent, and hands that
// to rules.ParseUpdateRequest, which reproduces uwsgi's decoding. Valid escapes
// such as "%20" or "%2F" are never touched.
//
// Known limitations, all accepted on purpose:
//
//   - A literal 0xFF byte sent by a client in a request-target is also turned
//     into '%' by RestoreTarget. 0xFF is not allowed in a URI (RFC 3986) and is
//     never valid UTF-8, so no real update client sends one.
//   - Request lines are recognised lexically, without parsing message framing:
//     a line of a request body that itself starts with a method name and a
//     space (for example "GET /x%zz") would be rewritten too. The public
//     Balrog API only serves GET and HEAD requests, which have no body.
//   - r.URL.Path and r.URL.RawQuery contain 0xFF where the client sent an
//     invalid '%'; use RestoreTarget(r.RequestURI) instead of them.

// invalidPercent is the byte that stands in for a '%' that does not start a
// valid percent-escape. It must be a byte that url.ParseRequestURI accepts
// anywhere in a request-target and that cannot be confused with '%'.
const invalidPercent = 0xFF

// WrapListener returns a listener whose accepted connections rewrite, in
// HTTP/1.x request lines only, every '%' that is not followed by two
// hexadecimal digits into the byte 0xFF, so that net/http accepts request
// targets such as "/update/1/%PRODUCT%/…" instead of rejecting them with
// "400 Bad Request" before any handler runs. Handlers recover the original
// target with RestoreTarget(r.RequestURI).
//
// A request line is a line at the start of the stream or after a "\n" that
// begins with one of the methods GET, HEAD, POST, PUT, DELETE, OPTIONS,
// PATCH, CONNECT or TRACE followed by a space; it extends up to and including
// its "\n". Every other byte, including headers and bodies, passes through
// unchanged. The rewriting is streaming: it works in place in the caller's
// buffer, holds back at most two bytes (a '%' and one hex digit) across Read
// calls while it waits for the bytes that decide whether the escape is valid,
// and does not allocate per Read. Keep-alive and pipelined requests work
// because the state machine simply continues with the next line.
//
// It is meant for plain TCP listeners; wrapping a TLS listener would rewrite
// encrypted bytes and must not be done.
func WrapListener(ln net.Listener) net.Listener {
	return rawTargetListener{ln}
}

// RestoreTarget undoes the rewriting done by the connections of WrapListener:
// it turns every 0xFF byte of requestURI (normally r.RequestURI) back into
// '%', yielding the request-target exactly as the client sent it. When
// requestURI contains no 0xFF byte, which is the case for every well-formed
// request, it is returned unchanged without allocating.
func RestoreTarget(requestURI string) string {
	if strings.IndexByte(requestURI, invalidPercent) < 0 {
		return requestURI
	}
	return strings.ReplaceAll(requestURI, "\xff", "%")
}

// rawTargetListener wraps every accepted connection in a rawTargetConn.
type rawTargetListener struct {
	net.Listener
}

// Accept waits for the next connection and wraps it.
func (l rawTargetListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return newRawTargetConn(c), nil
}

// lineState says where in the current line the rewriting state machine is.
type lineState uint8

const (
	// stMethod: at the start of a line, still matching a method name.
	stMethod lineState = iota
	// stRequest: inside a request line, after "METHOD ".
	stRequest
	// stOther: inside any other line (header, body, garbage).
	stOther
)

// requestMethods are the method names that start a request line. The list is
// fixed rather than "any token" so that ordinary text lines in a body
// ("hello world %zz") are not mistaken for request lines.
var requestMethods = [...]string{"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE"}

// allMethods has one bit set for every entry of requestMethods.
const allMethods = 1<<len(requestMethods) - 1

// rawTargetConn is a net.Conn whose Read rewrites invalid '%' in request
// lines. All other methods are those of the embedded connection.
//
// Invariant of the rewriting: the bytes of a held-back escape ('%' or '%'
// followed by one hex digit) are not stored anywhere; pct and hex describe
// them. While processing a buffer in place, the write index w and the read
// index i satisfy w+pct == i, so output never overwrites unread input and,
// whenever nothing is held back, every byte is already in its final place.
type rawTargetConn struct {
	net.Conn

	state lineState
	mask  uint16 // stMethod: bit j set while requestMethods[j] still matches
	pos   uint8  // stMethod: number of method bytes matched so far
	pct   uint8  // stRequest: 0, or 1 for a held '%', or 2 for '%' and hex
	hex   byte   // the held hex digit when pct == 2

	// small is used when the caller's buffer is too small to hold the
	// held-back bytes plus new input; decided bytes that did not fit in the
	// caller's buffer wait in small[rs:re], and rerr is the read error to
	// report once they have been delivered.
	small  [3]byte
	rs, re uint8
	rerr   error
}

func newRawTargetConn(c net.Conn) *rawTargetConn {
	return &rawTargetConn{Conn: c, state: stMethod, mask: allMethods}
}

// Read reads from the underlying connection and rewrites invalid '%' in
// request lines in place. Errors of the underlying connection are returned
// unchanged (net/http type-asserts them, for example to recognise the
// timeout it provokes itself to abort a background read). On a timeout the
// held-back bytes are kept, since the connection may still be used; on any
// other error, including io.EOF, they are decided as invalid and flushed.
func (c *rawTargetConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return c.Conn.Read(p)
	}
	if c.rs < c.re {
		n := copy(p, c.small[c.rs:c.re])
		c.rs += uint8(n)
		if c.rs < c.re {
			return n, nil
		}
		c.rs, c.re = 0, 0
		err := c.rerr
		c.rerr = nil
		return n, err
	}
	for {
		k := int(c.pct)
		if len(p) > k {
			n, err := c.Conn.Read(p[k:])
			w := c.fill(p, k, n, err)
			if w > 0 || n == 0 || err != nil {
				return w, err
			}
			continue // everything read was held back; read more
		}
		// The held-back bytes alone fill p: work in small instead.
		n, err := c.Conn.Read(c.small[k:])
		w := c.fill(c.small[:], k, n, err)
		m := copy(p, c.small[:w])
		if m < w {
			c.rs, c.re = uint8(m), uint8(w)
			c.rerr = err
			return m, nil
		}
		if m > 0 || n == 0 || err != nil {
			return m, err
		}
	}
}

// fill rewrites buf[k:k+n], freshly read with error err, and returns the
// number of output bytes now in buf[:w], flushing held-back bytes when err
// ends the stream.
func (c *rawTargetConn) fill(buf []byte, k, n int, err error) int {
	w := c.rewrite(buf, k, k+n)
	if err != nil && c.pct > 0 && !isTimeout(err) {
		// The stream ended inside an escape: it is invalid.
		buf[w] = invalidPercent
		w++
		if c.pct == 2 {
			buf[w] = c.hex
			w++
		}
		c.pct = 0
	}
	return w
}

// isTimeout reports whether err is a deadline error after which the
// connection can still be read.
func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// rewrite runs the state machine over the unread input buf[i:end], writing
// output from index i-c.pct on (where the held-back bytes belong), and
// returns the end of the output.
func (c *rawTargetConn) rewrite(buf []byte, i, end int) int {
	w := i - int(c.pct)
	for i < end {
		switch c.state {
		case stOther:
			// Nothing to do up to the end of the line; w == i here.
			j := bytes.IndexByte(buf[i:end], '\n')
			if j < 0 {
				return end
			}
			i += j + 1
			w = i
			c.startLine()
		case stMethod:
			b := buf[i]
			i++
			w++
			c.matchMethod(b)
		case stRequest:
			switch c.pct {
			case 0:
				// Bytes stay where they are up to the next '%' or '\n'.
				for i < end && buf[i] != '%' && buf[i] != '\n' {
					i++
				}
				w = i
				if i == end {
					return w
				}
				if buf[i] == '\n' {
					i++
					w++
					c.startLine()
					continue
				}
				// '%': decide at once when both following bytes are here.
				if i+2 < end {
					if isHex(buf[i+1]) && isHex(buf[i+2]) {
						i += 3
					} else {
						buf[i] = invalidPercent
						i++
					}
					w = i
					continue
				}
				c.pct = 1
				i++
			case 1:
				b := buf[i]
				if isHex(b) {
					c.pct, c.hex = 2, b
					i++
					continue
				}
				buf[w] = invalidPercent
				w++
				c.pct = 0 // b is processed again with pct == 0
			case 2:
				b := buf[i]
				if isHex(b) {
					buf[w], buf[w+1], buf[w+2] = '%', c.hex, b
					w += 3
					i++
					c.pct = 0
					continue
				}
				buf[w], buf[w+1] = invalidPercent, c.hex
				w += 2
				c.pct = 0 // b is processed again with pct == 0
			}
		}
	}
	return w
}

// startLine resets the state machine for the beginning of a new line.
func (c *rawTargetConn) startLine() {
	c.state, c.mask, c.pos = stMethod, allMethods, 0
}

// matchMethod advances the method matching at the start of a line by b.
func (c *rawTargetConn) matchMethod(b byte) {
	switch b {
	case '\n':
		c.startLine()
		return
	case ' ':
		c.state = stOther
		for j, m := range &requestMethods {
			if c.mask&(1<<j) != 0 && len(m) == int(c.pos) {
				c.state = stRequest
				break
			}
		}
		return
	}
	var mask uint16
	for j, m := range &requestMethods {
		if c.mask&(1<<j) != 0 && int(c.pos) < len(m) && m[c.pos] == b {
			mask |= 1 << j
		}
	}
	if mask == 0 {
		c.state = stOther
		return
	}
	c.mask = mask
	c.pos++
}

func isHex(b byte) bool {
	return '0' <= b && b <= '9' || 'a' <= b && b <= 'f' || 'A' <= b && b <= 'F'
}

// CloseWrite shuts down the writing side of the underlying connection when
// it supports that. net/http looks for this method to close a connection
// gracefully (so that the client reads the response before a reset), and
// embedding net.Conn alone would hide the one of *net.TCPConn.
func (c *rawTargetConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.New("public: connection does not support CloseWrite")
}

// ReadFrom writes the contents of r to the underlying connection, letting
// net/http use sendfile/splice of *net.TCPConn for response bodies. Only the
// writing side is involved, so nothing bypasses the rewriting done by Read.
func (c *rawTargetConn) ReadFrom(r io.Reader) (int64, error) {
	return io.Copy(c.Conn, r)
}
