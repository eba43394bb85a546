package public

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// rtPlaceholderTarget is the request-target that motivated WrapListener.
const rtPlaceholderTarget = "/update/1/%PRODUCT%/%VERSION%/%BUILD_ID%/%BUILD_TARGET%/%LOCALE%/%CHANNEL%/update.xml"

// rtTimeoutSeg, used as a segment of an rtSegConn, makes that Read return
// a timeout error instead of data.
const rtTimeoutSeg = "\x00timeout\x00"

// rtSegConn is a net.Conn whose Read returns the given segments one per
// call (a segment longer than the caller's buffer is split), then io.EOF.
type rtSegConn struct {
	net.Conn // nil: only Read is used
	segs     []string
}

type rtTimeoutError struct{}

func (rtTimeoutError) Error() string   { return "i/o timeout" }
func (rtTimeoutError) Timeout() bool   { return true }
func (rtTimeoutError) Temporary() bool { return true }

func (c *rtSegConn) Read(p []byte) (int, error) {
	for len(c.segs) > 0 && c.segs[0] == "" {
		c.segs = c.segs[1:]
	}
	if len(c.segs) == 0 {
		return 0, io.EOF
	}
	if c.segs[0] == rtTimeoutSeg {
		c.segs = c.segs[1:]
		return 0, rtTimeoutError{}
	}
	n := copy(p, c.segs[0])
	c.segs[0] = c.segs[0][n:]
	return n, nil
}

// rtChunks splits s into pieces of size n (the last may be shorter).
func rtChunks(s string, n int) []string {
	var segs []string
	for len(s) > 0 {
		k := min(n, len(s))
		segs = append(segs, s[:k])
		s = s[k:]
	}
	return segs
}

// rtSplitAt splits s at the given increasing offsets.
func rtSplitAt(s string, offs ...int) []string {
	var segs []string
	prev := 0
	for _, o := range offs {
		segs = append(segs, s[prev:o])
		prev = o
	}
	return append(segs, s[prev:])
}

// rtReadAll reads the wrapped segments to EOF with a caller buffer of size
// bufSize, failing on any other error.
func rtReadAll(t testing.TB, segs []string, bufSize int) string {
	t.Helper()
	c := newRawTargetConn(&rtSegConn{segs: segs})
	var out []byte
	buf := make([]byte, bufSize)
	for reads := 0; ; reads++ {
		if reads > 1<<16 {
			t.Fatal("no progress")
		}
		n, err := c.Read(buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return string(out)
		}
		if n == 0 && err == nil {
			t.Fatal("Read returned 0, nil although the connection had data")
		}
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
	}
}

// rtReference is a straightforward whole-buffer version of the rewriting,
// used as the oracle for the streaming implementation.
func rtReference(s string) string {
	var out strings.Builder
	for line := range strings.SplitAfterSeq(s, "\n") {
		isRequest := false
		for _, m := range requestMethods {
			if strings.HasPrefix(line, m+" ") {
				isRequest = true
			}
		}
		if !isRequest {
			out.WriteString(line)
			continue
		}
		for i := 0; i < len(line); i++ {
			if line[i] == '%' && !(i+2 < len(line) && isHex(line[i+1]) && isHex(line[i+2])) {
				out.WriteByte(0xFF)
			} else {
				out.WriteByte(line[i])
			}
		}
	}
	return out.String()
}

// rtStreams are request streams with their hand-written expected output.
var rtStreams = []struct{ name, in, want string }{
	{
		name: "placeholders",
		in:   "GET " + rtPlaceholderTarget + "?force=%ZZ HTTP/1.1\r\nHost: x\r\nCookie: a=%zz\r\n\r\n",
		want: "GET /update/1/\xffPRODUCT\xff/\xffVERSION\xff/\xffBUILD_ID\xff/\xffBUILD_TARGET\xff/\xffLOCALE\xff/\xffCHANNEL\xff/update.xml?force=\xffZZ HTTP/1.1\r\nHost: x\r\nCookie: a=%zz\r\n\r\n",
	},
	{
		name: "valid escapes",
		in:   "GET /a%20b%2Fc%2f%41 HTTP/1.1\r\nHost: x\r\n\r\n",
		want: "GET /a%20b%2Fc%2f%41 HTTP/1.1\r\nHost: x\r\n\r\n",
	},
	{
		name: "mixed and adjacent",
		in:   "HEAD /%%41%4%g%4g%a%%%2 HTTP/1.1\r\n\r\n",
		want: "HEAD /\xff%41\xff4\xffg\xff4g\xffa\xff\xff\xff2 HTTP/1.1\r\n\r\n",
	},
	{
		name: "percent last before CRLF",
		in:   "GET /update/% HTTP/1.1%\r\nHost: x\r\n\r\nGET /a%\r\nGET /b%4\r\nGET /c%41\r\n",
		want: "GET /update/\xff HTTP/1.1\xff\r\nHost: x\r\n\r\nGET /a\xff\r\nGET /b\xff4\r\nGET /c%41\r\n",
	},
	{
		name: "pipelined",
		in: "GET /1/%A HTTP/1.1\r\nHost: x\r\n\r\n" +
			"POST /2/%zz HTTP/1.1\r\nHost: x\r\nContent-Length: 22\r\n\r\n" +
			"a=%zz\nb=%41\n%\nhello %\n" +
			"DELETE /3/%Q HTTP/1.1\r\nHost: x\r\n\r\n" +
			"OPTIONS * HTTP/1.1\n\nPATCH /%x HTTP/1.0\r\n\r\n",
		want: "GET /1/\xffA HTTP/1.1\r\nHost: x\r\n\r\n" +
			"POST /2/\xffzz HTTP/1.1\r\nHost: x\r\nContent-Length: 22\r\n\r\n" +
			"a=%zz\nb=%41\n%\nhello %\n" +
			"DELETE /3/\xffQ HTTP/1.1\r\nHost: x\r\n\r\n" +
			"OPTIONS * HTTP/1.1\n\nPATCH /\xffx HTTP/1.0\r\n\r\n",
	},
	{
		name: "not request lines",
		in:   "get /%zz HTTP/1.1\r\n GET /%zz\r\nGETX /%zz\r\nGE /%zz\r\nGET\t/%zz\r\nX-Get: GET /%zz\r\n%zz GET /%zz\r\nPUT /%zz\r\n",
		want: "get /%zz HTTP/1.1\r\n GET /%zz\r\nGETX /%zz\r\nGE /%zz\r\nGET\t/%zz\r\nX-Get: GET /%zz\r\n%zz GET /%zz\r\nPUT /\xffzz\r\n",
	},
	{
		name: "eof after percent",
		in:   "GET /a%",
		want: "GET /a\xff",
	},
	{
		name: "eof after percent and hex",
		in:   "CONNECT /a%4",
		want: "CONNECT /a\xff4",
	},
	{
		name: "high bytes and empty lines",
		in:   "\r\n\nTRACE /\xfe%\xff%e\xe9 HTTP/1.1\r\n\r\n",
		want: "\r\n\nTRACE /\xfe\xff\xff\xffe\xe9 HTTP/1.1\r\n\r\n",
	},
}

func TestRawTargetReference(t *testing.T) {
	for _, tc := range rtStreams {
		if got := rtReference(tc.in); got != tc.want {
			t.Errorf("%s: reference\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

// TestRawTargetEveryChunkSize feeds each stream through a connection that
// returns 1, 2, 3, … bytes per Read, with caller buffers of several sizes
// (the small ones exercise the path where held-back bytes fill the buffer).
func TestRawTargetEveryChunkSize(t *testing.T) {
	for _, tc := range rtStreams {
		for chunk := 1; chunk <= len(tc.in); chunk++ {
			for _, bufSize := range []int{1, 2, 3, 4, 5, 7, 64, 4096} {
				got := rtReadAll(t, rtChunks(tc.in, chunk), bufSize)
				if got != tc.want {
					t.Fatalf("%s chunk=%d buf=%d:\n got %q\nwant %q", tc.name, chunk, bufSize, got, tc.want)
				}
			}
		}
	}
}

// TestRawTargetEverySplitPoint splits each stream at every single offset,
// and the shorter streams at every pair of offsets.
func TestRawTargetEverySplitPoint(t *testing.T) {
	for _, tc := range rtStreams {
		for i := 0; i <= len(tc.in); i++ {
			for _, bufSize := range []int{1, 2, 3, 4096} {
				if got := rtReadAll(t, rtSplitAt(tc.in, i), bufSize); got != tc.want {
					t.Fatalf("%s split=%d buf=%d:\n got %q\nwant %q", tc.name, i, bufSize, got, tc.want)
				}
			}
		}
		if len(tc.in) > 80 {
			continue
		}
		for i := 0; i <= len(tc.in); i++ {
			for j := i; j <= len(tc.in); j++ {
				if got := rtReadAll(t, rtSplitAt(tc.in, i, j), 4096); got != tc.want {
					t.Fatalf("%s split=%d,%d:\n got %q\nwant %q", tc.name, i, j, got, tc.want)
				}
			}
		}
	}
}

// TestRawTargetPseudoRandomStreams compares the streaming rewriting with the
// reference on generated streams made of request-ish fragments.
func TestRawTargetPseudoRandomStreams(t *testing.T) {
	frags := []string{"GET ", "HEAD ", "POST", " ", "%", "4", "1", "z", "F", "/", "\r", "\n", "\r\n", "x", "G", "E", "T", "%2", "%%", "\xff"}
	seed := uint64(1)
	next := func(n int) int {
		seed ^= seed << 13
		seed ^= seed >> 7
		seed ^= seed << 17
		return int(seed % uint64(n))
	}
	for iter := 0; iter < 3000; iter++ {
		var sb strings.Builder
		for k := next(40); k >= 0; k-- {
			sb.WriteString(frags[next(len(frags))])
		}
		in := sb.String()
		want := rtReference(in)
		chunk := 1 + next(5)
		bufSize := 1 + next(6)
		if got := rtReadAll(t, rtChunks(in, chunk), bufSize); got != want {
			t.Fatalf("in %q chunk=%d buf=%d:\n got %q\nwant %q", in, chunk, bufSize, got, want)
		}
	}
}

// TestRawTargetBodyUnchanged checks that a '%zz' in a body line (not a
// request line) passes through byte for byte, whatever the Read sizes.
func TestRawTargetBodyUnchanged(t *testing.T) {
	body := "q=%zz&r=%&s=%4\n%zz\r\n50%\n"
	in := fmt.Sprintf("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	for chunk := 1; chunk <= len(in); chunk++ {
		got := rtReadAll(t, rtChunks(in, chunk), 3)
		if got != in {
			t.Fatalf("chunk=%d: got %q, want it unchanged", chunk, got)
		}
	}
}

// TestRawTargetTimeoutKeepsHeldBytes checks that a timeout (which net/http
// provokes itself to abort its background read, then keeps using the
// connection) is returned unchanged and does not decide a held-back escape.
func TestRawTargetTimeoutKeepsHeldBytes(t *testing.T) {
	for _, bufSize := range []int{1, 2, 64} {
		c := newRawTargetConn(&rtSegConn{segs: []string{
			"GET /a%", rtTimeoutSeg, "4", rtTimeoutSeg, "1%", rtTimeoutSeg, "zz HTTP/1.1\r\n",
		}})
		var out []byte
		timeouts := 0
		buf := make([]byte, bufSize)
		for reads := 0; ; reads++ {
			if reads > 1000 {
				t.Fatalf("buf=%d: no progress", bufSize)
			}
			n, err := c.Read(buf)
			out = append(out, buf[:n]...)
			if err == io.EOF {
				break
			}
			if n == 0 && err == nil {
				t.Fatalf("buf=%d: Read returned 0, nil", bufSize)
			}
			if err != nil {
				if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
					t.Fatalf("buf=%d: error %v (%T) is not the underlying timeout", bufSize, err, err)
				}
				timeouts++
			}
		}
		if want := "GET /a%41\xffzz HTTP/1.1\r\n"; string(out) != want || timeouts != 3 {
			t.Errorf("buf=%d: got %q with %d timeouts, want %q with 3", bufSize, out, timeouts, want)
		}
	}
}

// rtCycleConn serves the same data over and over, in reads of at most
// chunk bytes.
type rtCycleConn struct {
	net.Conn
	data  []byte
	off   int
	chunk int
}

func (c *rtCycleConn) Read(p []byte) (int, error) {
	if len(p) > c.chunk {
		p = p[:c.chunk]
	}
	n := copy(p, c.data[c.off:])
	c.off = (c.off + n) % len(c.data)
	return n, nil
}

func TestRawTargetReadZeroAllocs(t *testing.T) {
	data := []byte(rtStreams[0].in + rtStreams[2].in + rtStreams[4].in)
	for _, chunk := range []int{1, 7, 4096} {
		for _, bufSize := range []int{1, 2, 4096} {
			c := newRawTargetConn(&rtCycleConn{data: data, chunk: chunk})
			buf := make([]byte, bufSize)
			allocs := testing.AllocsPerRun(1000, func() {
				if _, err := c.Read(buf); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("chunk=%d buf=%d: %v allocations per Read", chunk, bufSize, allocs)
			}
		}
	}
}

func TestRawTargetRestore(t *testing.T) {
	for in, want := range map[string]string{
		"":                            "",
		"/update/1/a%20b?x=%41":       "/update/1/a%20b?x=%41",
		"/\xffPRODUCT\xff/\xff4?\xff": "/%PRODUCT%/%4?%",
		"\xff\xff":                    "%%",
	} {
		if got := RestoreTarget(in); got != want {
			t.Errorf("RestoreTarget(%q) = %q, want %q", in, got, want)
		}
	}
	s := "/update/6/Firefox/120.0/20231113165053/WINNT_x86_64-msvc/en-US/release/update.xml"
	if allocs := testing.AllocsPerRun(100, func() { _ = RestoreTarget(s) }); allocs != 0 {
		t.Errorf("RestoreTarget allocates %v times without 0xFF", allocs)
	}
}

// rtServe starts an http.Server on a loopback listener, wrapped with
// WrapListener when wrap is set. The handler answers
// RestoreTarget(r.RequestURI) + "\n" + body.
func rtServe(t *testing.T, wrap bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if wrap {
		ln = WrapListener(ln)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			io.WriteString(w, RestoreTarget(r.RequestURI)+"\n"+string(body))
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return addr
}

// rtDial opens a raw TCP connection with a deadline.
func rtDial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	t.Cleanup(func() { c.Close() })
	return c
}

// rtResponse reads one response and returns its status code and body.
func rtResponse(t *testing.T, br *bufio.Reader) (int, string) {
	t.Helper()
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func rtGet(target string) string {
	return "GET " + target + " HTTP/1.1\r\nHost: balrog\r\nUser-Agent: test\r\n\r\n"
}

func TestWrapListenerEndToEnd(t *testing.T) {
	// Without the wrapper net/http rejects the request itself; this is the
	// problem WrapListener exists for.
	t.Run("unwrapped", func(t *testing.T) {
		c := rtDial(t, rtServe(t, false))
		io.WriteString(c, rtGet(rtPlaceholderTarget))
		if code, _ := rtResponse(t, bufio.NewReader(c)); code != http.StatusBadRequest {
			t.Fatalf("unwrapped server answered %d, expected net/http's 400", code)
		}
	})

	addr := rtServe(t, true)
	for _, target := range []string{
		rtPlaceholderTarget,
		rtPlaceholderTarget + "?force=%&x=%zz",
		"/update/6/Firefox/120.0/20231113165053/WINNT_x86_64-msvc/en-US/release/update.xml?a=b%20c",
		"/update/3/Firefox/a%20b/c%2Fd/%2f/%41/update.xml",
		"/%%41%4%",
	} {
		t.Run(target, func(t *testing.T) {
			c := rtDial(t, addr)
			io.WriteString(c, rtGet(target))
			code, body := rtResponse(t, bufio.NewReader(c))
			if code != http.StatusOK || body != target+"\n" {
				t.Fatalf("got %d %q, want 200 %q", code, body, target+"\n")
			}
		})
	}
}

func TestWrapListenerKeepAlive(t *testing.T) {
	addr := rtServe(t, true)
	post := "POST /%post% HTTP/1.1\r\nHost: balrog\r\nContent-Length: 12\r\n\r\nq=%zz\nx=50%\n"

	t.Run("sequential", func(t *testing.T) {
		c := rtDial(t, addr)
		br := bufio.NewReader(c)
		for _, target := range []string{rtPlaceholderTarget, "/a%20b", "/%X%"} {
			io.WriteString(c, rtGet(target))
			code, body := rtResponse(t, br)
			if code != http.StatusOK || body != target+"\n" {
				t.Fatalf("got %d %q, want 200 %q", code, body, target+"\n")
			}
		}
	})

	t.Run("pipelined", func(t *testing.T) {
		c := rtDial(t, addr)
		br := bufio.NewReader(c)
		io.WriteString(c, rtGet(rtPlaceholderTarget)+post+rtGet("/b%2F%"))
		for _, want := range []string{rtPlaceholderTarget + "\n", "/%post%\nq=%zz\nx=50%\n", "/b%2F%\n"} {
			code, body := rtResponse(t, br)
			if code != http.StatusOK || body != want {
				t.Fatalf("got %d %q, want 200 %q", code, body, want)
			}
		}
	})

	// Byte-at-a-time writes split every escape across TCP segments.
	t.Run("trickled", func(t *testing.T) {
		c := rtDial(t, addr)
		c.(*net.TCPConn).SetNoDelay(true)
		br := bufio.NewReader(c)
		req := rtGet("/x/%Ab%/%4") + post
		for i := 0; i < len(req); i++ {
			if _, err := c.Write([]byte{req[i]}); err != nil {
				t.Fatal(err)
			}
		}
		for _, want := range []string{"/x/%Ab%/%4\n", "/%post%\nq=%zz\nx=50%\n"} {
			code, body := rtResponse(t, br)
			if code != http.StatusOK || body != want {
				t.Fatalf("got %d %q, want 200 %q", code, body, want)
			}
		}
	})
}

// TestWrapListenerPassThrough checks that the wrapped connection still
// offers what net/http looks for on a *net.TCPConn, and that read errors
// come back unchanged.
func TestWrapListenerPassThrough(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	wl := WrapListener(ln)
	defer wl.Close()
	done := make(chan error, 1)
	go func() {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err == nil {
			_, err = io.WriteString(c, "GET /%")
			c.Close()
		}
		done <- err
	}()
	sc, err := wl.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, ok := sc.(interface{ CloseWrite() error }); !ok {
		t.Error("wrapped connection has no CloseWrite")
	}
	if _, ok := sc.(io.ReaderFrom); !ok {
		t.Error("wrapped connection has no ReadFrom")
	}
	if sc.LocalAddr().String() != ln.Addr().String() {
		t.Errorf("LocalAddr = %v, want %v", sc.LocalAddr(), ln.Addr())
	}
	sc.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(sc)
	if err != nil || string(got) != "GET /\xff" {
		t.Errorf("ReadAll = %q, %v; want %q, nil", got, err, "GET /\xff")
	}
	sc.SetReadDeadline(time.Now().Add(-time.Second))
	if _, err := sc.Read(make([]byte, 8)); err != io.EOF && !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Read after EOF = %v", err)
	}
}

func BenchmarkRawTargetRead(b *testing.B) {
	var body bytes.Buffer
	for body.Len() < 16<<10 {
		body.WriteString("key=value%20with%zz escapes&more=data\n")
	}
	for _, bc := range []struct{ name, data string }{
		{"requests", rtGet(rtPlaceholderTarget) + rtGet("/update/6/Firefox/120.0/20231113165053/WINNT_x86_64-msvc/en-US/release/update.xml?force=1")},
		{"body", fmt.Sprintf("POST /%%x HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", body.Len(), body.String())},
	} {
		for _, chunk := range []int{7, 4096} {
			b.Run(fmt.Sprintf("%s/chunk=%d", bc.name, chunk), func(b *testing.B) {
				c := newRawTargetConn(&rtCycleConn{data: []byte(bc.data), chunk: chunk})
				buf := make([]byte, 4096)
				b.ReportAllocs()
				b.SetBytes(int64(len(bc.data)))
				for b.Loop() {
					// Read exactly one copy of the data per iteration.
					for n := 0; n < len(bc.data); {
						m, err := c.Read(buf[:min(len(buf), len(bc.data)-n)])
						if err != nil {
							b.Fatal(err)
						}
						n += m
					}
				}
			})
		}
	}
}
