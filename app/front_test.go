package app

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/balrog-go/balrog/public"
)

// frontTestHandler answers with what it was asked, and with the shapes of
// answers net/http frames in particular ways.
func frontTestHandler(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	switch r.URL.Path {
	case "/nobody":
		return
	case "/sniff":
		_, _ = io.WriteString(w, "<html><body>hi</body></html>")
		return
	case "/204":
		w.WriteHeader(http.StatusNoContent)
		return
	case "/declared":
		h.Set("Content-Length", "5")
		_, _ = io.WriteString(w, "hello")
		return
	case "/big":
		h.Set("Content-Type", "application/octet-stream")
		_, _ = w.Write([]byte(strings.Repeat("0123456789abcdef", 150<<10/16*10)))
		return
	case "/mid":
		h.Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte(strings.Repeat("x", 3000)))
		return
	case "/flush":
		h.Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "first ")
		w.(http.Flusher).Flush()
		_, _ = io.WriteString(w, "second")
		return
	case "/close":
		h.Set("Connection", "close")
		_, _ = io.WriteString(w, "bye")
		return
	case "/teapot":
		h["X-Multi"] = []string{"a", "b"}
		h["X-Empty"] = nil
		h.Set("X-Newline", "one\r\ntwo")
		w.WriteHeader(http.StatusTeapot)
		_, _ = io.WriteString(w, "short and stout")
		return
	case "/body":
		b, err := io.ReadAll(r.Body)
		fmt.Fprintf(w, "read %q %v", b, err)
		return
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range r.Header {
			if !yield(k) {
				return
			}
		}
	})
	fmt.Fprintf(w, "%s %s %s uri=%q path=%q rawquery=%q host=%q close=%v\n", r.Method, r.Proto, strconv.Itoa(r.ProtoMinor), r.RequestURI, r.URL.Path, r.URL.RawQuery, r.Host, r.Close)
	for _, k := range keys {
		fmt.Fprintf(w, "%s=%q\n", k, r.Header[k])
	}
	fmt.Fprintf(w, "target=%q\n", public.RestoreTarget(r.RequestURI))
}

// frontPair starts the same handler behind net/http and behind the front,
// each on a listener wrapped as the public role wraps its own.
func frontPair(t *testing.T, h http.Handler) (plain, front *httpService) {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	var err error
	if plain, err = listen("plain", "127.0.0.1:0", h, log, public.WrapListener); err != nil {
		t.Fatal(err)
	}
	if front, err = listen("front", "127.0.0.1:0", h, log, public.WrapListener); err != nil {
		t.Fatal(err)
	}
	front.withFront(nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	for _, s := range []*httpService{plain, front} {
		s.drainBy = time.Second
		go func() { done <- s.Run(ctx) }()
	}
	t.Cleanup(func() {
		cancel()
		for range 2 {
			if err := <-done; err != nil {
				t.Errorf("run: %v", err)
			}
		}
	})
	return plain, front
}

// exchange writes raw to a new connection and reads n answers (methods
// gives each request's method), then whether the server closed the
// connection.
type exchanged struct {
	responses []*http.Response
	bodies    []string
	closed    bool
	err       error
}

func exchange(addr, raw string, methods ...string) exchanged {
	var ex exchanged
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return exchanged{err: err}
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, raw); err != nil {
		return exchanged{err: err}
	}
	br := bufio.NewReader(conn)
	for _, m := range methods {
		resp, err := http.ReadResponse(br, &http.Request{Method: m})
		if err != nil {
			ex.err = fmt.Errorf("answer %d: %w", len(ex.responses)+1, err)
			return ex
		}
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			ex.err = fmt.Errorf("answer %d body: %w", len(ex.responses)+1, err)
			return ex
		}
		ex.responses = append(ex.responses, resp)
		ex.bodies = append(ex.bodies, string(b))
	}
	_ = conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	_, err = br.ReadByte()
	var ne net.Error
	ex.closed = !(errors.As(err, &ne) && ne.Timeout())
	return ex
}

// sameAnswers returns how two exchanges differ, or "". Date values and the
// framing of a body net/http chunks but the front sends whole (with its
// length) are not differences.
func sameAnswers(plain, front exchanged) string {
	if (plain.err == nil) != (front.err == nil) {
		return fmt.Sprintf("errors: net/http %v, front %v", plain.err, front.err)
	}
	if len(plain.responses) != len(front.responses) {
		return fmt.Sprintf("%d answers from net/http, %d from the front", len(plain.responses), len(front.responses))
	}
	for i, p := range plain.responses {
		f := front.responses[i]
		if p.StatusCode != f.StatusCode || p.Proto != f.Proto || plain.bodies[i] != front.bodies[i] {
			return fmt.Sprintf("answer %d: net/http %s %q, front %s %q", i+1, p.Status, plain.bodies[i], f.Status, front.bodies[i])
		}
		ph, fh := p.Header.Clone(), f.Header.Clone()
		for _, h := range []http.Header{ph, fh} {
			if h.Get("Date") != "" {
				h.Set("Date", "(present)")
			}
		}
		pl, fl := p.ContentLength, f.ContentLength
		if slices.Equal(p.TransferEncoding, []string{"chunked"}) && len(f.TransferEncoding) == 0 && fl == int64(len(front.bodies[i])) {
			pl = fl // net/http chunked what the front sent whole
			fh.Del("Content-Length")
		}
		if pl != fl || fmt.Sprint(ph) != fmt.Sprint(fh) {
			return fmt.Sprintf("answer %d headers:\nnet/http %v length %d te %v\nfront    %v length %d te %v", i+1, ph, p.ContentLength, p.TransferEncoding, fh, f.ContentLength, f.TransferEncoding)
		}
	}
	if plain.closed != front.closed {
		return fmt.Sprintf("connection closed after the answers: net/http %v, front %v", plain.closed, front.closed)
	}
	return ""
}

// TestFrontAnswersAsNetHTTP sends the same bytes to the handler behind
// net/http and behind the front: statuses, headers, bodies and whether the
// connection stays open agree, for what the front serves itself and for
// what it hands over.
func TestFrontAnswersAsNetHTTP(t *testing.T) {
	plain, front := frontPair(t, http.HandlerFunc(frontTestHandler))
	ua := "User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
	long := "X-Long: " + strings.Repeat("l", 6000) + "\r\n"
	cases := []struct {
		name    string
		raw     string
		methods []string
	}{
		{"get", "GET /update/6/Firefox/128.0/2024/WINNT_x86_64-msvc/en-US/release/Windows_NT%2010.0.0.0/default/default/update.xml?force=1 HTTP/1.1\r\nHost: aus5.mozilla.org\r\n" + ua + "Accept: */*\r\n\r\n", []string{"GET"}},
		{"keep-alive twice", "GET /a?x=1 HTTP/1.1\r\nHost: h\r\n\r\n", nil},
		{"pipelined", "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n" + ua + "\r\nHEAD /c HTTP/1.1\r\nHost: h\r\n\r\n", []string{"GET", "GET", "HEAD"}},
		{"head", "HEAD /x HTTP/1.1\r\nHost: h\r\n\r\n", []string{"HEAD"}},
		{"head nobody", "HEAD /nobody HTTP/1.1\r\nHost: h\r\n\r\n", []string{"HEAD"}},
		{"http/1.0", "GET /x HTTP/1.0\r\n\r\n", []string{"GET"}},
		{"http/1.0 keep-alive", "GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", []string{"GET"}},
		{"connection close", "GET /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", []string{"GET"}},
		{"connection close token", "GET /x HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Close\r\n\r\n", []string{"GET"}},
		{"lower-case names", "GET /x HTTP/1.1\r\nhost: h\r\nuser-agent: lower\r\nx-custom-thing: 1\r\n\r\n", []string{"GET"}},
		{"repeated header", "GET /x HTTP/1.1\r\nHost: h\r\nAccept: a\r\nAccept: b\r\n\r\n", []string{"GET"}},
		{"empty value", "GET /x HTTP/1.1\r\nHost: h\r\nX-Empty:\r\nX-Spaces:   padded  \r\n\r\n", []string{"GET"}},
		{"bare LF", "GET /x HTTP/1.1\nHost: h\n\n", []string{"GET"}},
		{"invalid percent", "GET /update/1/%PRODUCT%/%VERSION%/%BUILD_ID%/%BUILD_TARGET%/%LOCALE%/%CHANNEL%/update.xml HTTP/1.1\r\nHost: h\r\n\r\n", []string{"GET"}},
		{"escapes", "GET /a%20b/%2Fc?q=%zz&r=1 HTTP/1.1\r\nHost: h\r\n\r\n", []string{"GET"}},
		{"no body", "GET /nobody HTTP/1.1\r\nHost: h\r\n\r\n", []string{"GET"}},
		{"sniffed type", "GET /sniff HTTP/1.1\r\nHost: h\r\n\r\n", []string{"GET"}},
		{"204", "GET /204 HTTP/1.1\r\nHost: h\r\n\r\n", []string{"GET"}},
		{"declared length", "GET /declared HTTP/1.1\r\nHost: h\r\n\r\n", []string{"GET"}},
		{"3000 bytes", "GET /mid HTTP/1.1\r\nHost: h\r\n\r\nGET /a HTTP/1.1\r\nHost: h\r\n\r\n", []string{"GET", "GET"}},
		{"1.5 MB", "GET /big HTTP/1.1\r\nHost: h\r\n\r\nGET /a HTTP/1.1\r\nHost: h\r\n\r\n", []string{"GET", "GET"}},
		{"1.5 MB over 1.0", "GET /big HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", []string{"GET"}},
		{"flush", "GET /flush HTTP/1.1\r\nHost: h\r\n\r\nGET /a HTTP/1.1\r\nHost: h\r\n\r\n", []string{"GET", "GET"}},
		{"handler closes", "GET /close HTTP/1.1\r\nHost: h\r\n\r\n", []string{"GET"}},
		{"teapot headers", "GET /teapot HTTP/1.1\r\nHost: h\r\n\r\n", []string{"GET"}},
		{"post with body, then get", "POST /body HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nabcdGET /a HTTP/1.1\r\nHost: h\r\n\r\n", []string{"POST", "GET"}},
		{"get, then chunked post", "GET /a HTTP/1.1\r\nHost: h\r\n\r\nPOST /body HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\n", []string{"GET", "POST"}},
		{"get with length 0", "GET /a HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n", []string{"GET"}},
		{"options", "OPTIONS /a HTTP/1.1\r\nHost: h\r\n\r\n", []string{"OPTIONS"}},
		{"long header", "GET /a HTTP/1.1\r\nHost: h\r\n" + long + "\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n", []string{"GET", "GET"}},
		{"headers over the limit", "GET /a HTTP/1.1\r\nHost: h\r\nX-Big: " + strings.Repeat("b", maxHeaderBytes+8192) + "\r\n\r\n", []string{"GET"}},
		{"url over the limit", "GET /" + strings.Repeat("u", maxURLBytes) + " HTTP/1.1\r\nHost: h\r\n\r\n", []string{"GET"}},
		{"missing host", "GET /a HTTP/1.1\r\nUser-Agent: x\r\n\r\n", []string{"GET"}},
		{"two hosts", "GET /a HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", []string{"GET"}},
		{"bad host", "GET /a HTTP/1.1\r\nHost: a b\r\n\r\n", []string{"GET"}},
		{"bad header name", "GET /a HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n", []string{"GET"}},
		{"control byte in value", "GET /a HTTP/1.1\r\nHost: h\r\nX-Ctl: a\x01b\r\n\r\n", []string{"GET"}},
		{"folded header", "GET /a HTTP/1.1\r\nHost: h\r\nX-Fold: a\r\n b\r\n\r\n", []string{"GET"}},
		{"absolute form", "GET http://h/abs?x=1 HTTP/1.1\r\nHost: h\r\n\r\n", []string{"GET"}},
		{"asterisk", "GET * HTTP/1.1\r\nHost: h\r\n\r\n", []string{"GET"}},
		{"http/2 version", "GET /a HTTP/2.0\r\nHost: h\r\n\r\n", []string{"GET"}},
		{"unknown version", "GET /a HTTP/1.2\r\nHost: h\r\n\r\n", []string{"GET"}},
		{"garbage", "hello\r\n\r\n", []string{"GET"}},
		{"upgrade", "GET /a HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n", []string{"GET"}},
		{"expect", "GET /a HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n", []string{"GET"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			raw, methods := c.raw, c.methods
			if methods == nil { // the same request twice on one connection
				raw, methods = raw+raw, []string{"GET", "GET"}
			}
			p := exchange(plain.Addr(), raw, methods...)
			f := exchange(front.Addr(), raw, methods...)
			if p.err != nil && len(p.responses) == 0 && f.err != nil && len(f.responses) == 0 {
				return // neither answered (both closed the connection)
			}
			if diff := sameAnswers(p, f); diff != "" {
				t.Errorf("%.2000s", diff)
			}
		})
	}
}

// BenchmarkListener measures one request and answer over a kept-alive
// loopback connection (client included), a fixed 860-byte answer, served by
// net/http and by the front: go test -run '^$' -bench BenchmarkListener ./app
func BenchmarkListener(b *testing.B) {
	body := []byte(strings.Repeat("<update/>", 95))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr := w.Header()
		hdr["Content-Type"] = []string{"text/xml; charset=utf-8"}
		hdr["Cache-Control"] = []string{"public, max-age=90"}
		_, _ = w.Write(body)
	})
	req := "GET /update/6/Firefox/128.0/20240101000000/WINNT_x86_64-msvc/en-US/release/Windows_NT%2010.0.0.0/default/default/update.xml HTTP/1.1\r\nHost: aus5.mozilla.org\r\nUser-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0\r\nAccept: */*\r\n\r\n"
	for _, front := range []bool{false, true} {
		name := "net/http"
		if front {
			name = "front"
		}
		b.Run(name, func(b *testing.B) {
			l, err := listen("bench", "127.0.0.1:0", h, slog.New(slog.DiscardHandler), public.WrapListener)
			if err != nil {
				b.Fatal(err)
			}
			if front {
				l.withFront(nil)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- l.Run(ctx) }()
			defer func() { cancel(); <-done }()
			b.SetParallelism(4)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				conn, err := net.Dial("tcp", l.Addr())
				if err != nil {
					b.Error(err)
					return
				}
				defer conn.Close()
				br := bufio.NewReader(conn)
				for pb.Next() {
					if _, err := io.WriteString(conn, req); err != nil {
						b.Error(err)
						return
					}
					resp, err := http.ReadResponse(br, nil)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			})
		})
	}
}

// TestFrontShutdownBeforeServe checks a stop that comes before the front
// serves (a SIGTERM right at start): serve returns at once and the
// listener is closed, as net/http's Serve does after Shutdown.
func TestFrontShutdownBeforeServe(t *testing.T) {
	s, err := listen("front", "127.0.0.1:0", http.NotFoundHandler(), slog.New(slog.DiscardHandler), public.WrapListener)
	if err != nil {
		t.Fatal(err)
	}
	s.withFront(nil)
	if err := s.front.shutdown(context.Background()); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- s.front.serve(s.ln) }()
	select {
	case err := <-done:
		if !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve after shutdown: %v, want http.ErrServerClosed", err)
		}
	case <-time.After(5 * time.Second):
		_ = s.ln.Close()
		t.Fatal("serve after shutdown did not return")
	}
	if c, err := net.DialTimeout("tcp", s.Addr(), time.Second); err == nil {
		c.Close()
		t.Error("the listener still accepts connections")
	}
}
