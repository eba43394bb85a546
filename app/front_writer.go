package app

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/balrog-go/balrog/public"
)

// frontMaxBuffered is the most of a body the front holds before it sends
// the head and streams the rest (chunked unless the handler set a
// Content-Length); update answers are a few kilobytes.
const frontMaxBuffered = 1 << 20

// frontWriter is the http.ResponseWriter of the requests the front serves.
// It answers as net/http does: the handler's headers, then Content-Type
// (sniffed when the handler set none), Connection, Date and Content-Length
// (when the handler set none and the body was written whole), one write per
// answer.
type frontWriter struct {
	c   *frontConn
	req frontRequest
	hdr http.Header // the handler's header map, emptied per request

	status    int
	wrote     bool   // WriteHeader ran
	block     []byte // the handler's header lines, taken at WriteHeader
	hasCT     bool   // the handler's map has Content-Type (even empty)
	hasDate   bool
	declared  int64 // the handler's Content-Length, -1: none
	body      []byte
	streaming bool // the head has been sent; the body follows as written
	chunked   bool
	close     bool // close the connection after this answer
	failed    bool // a write failed

	out     []byte
	keys    []string
	date    []byte
	dateSec int64
}

// reset prepares the writer for the request fr.
func (w *frontWriter) reset(fr *frontRequest) {
	w.req = *fr
	if w.hdr == nil {
		w.hdr = http.Header{}
	} else {
		clear(w.hdr)
	}
	w.status, w.wrote, w.block, w.hasCT, w.hasDate, w.declared = 0, false, w.block[:0], false, false, -1
	w.body, w.streaming, w.chunked, w.close, w.failed = w.body[:0], false, false, false, false
	if cap(w.body) > 64<<10 {
		w.body = nil // do not keep a large answer's buffer per connection
	}
}

// serve runs the handler and writes its answer; false when the connection
// must close.
func (w *frontWriter) serve(r *http.Request) bool {
	w.c.f.handler.ServeHTTP(w, r)
	w.finish()
	return w.keepAlive()
}

// keepAlive says whether the connection may serve another request: the
// answer went out whole, and neither the client, the handler nor a
// shutdown asked to close (appendHead decides that).
func (w *frontWriter) keepAlive() bool { return !w.failed && !w.close }

// Header is the response header map.
func (w *frontWriter) Header() http.Header { return w.hdr }

// WriteHeader takes the status and the handler's headers as they are now.
func (w *frontWriter) WriteHeader(code int) {
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if w.wrote || code >= 100 && code < 200 {
		return // informational answers are not sent; a second status is ignored, as net/http does
	}
	w.wrote, w.status = true, code
	w.keys = w.keys[:0]
	for k := range w.hdr {
		w.keys = append(w.keys, k)
	}
	slices.Sort(w.keys)
	for _, k := range w.keys {
		vs := w.hdr[k]
		switch k {
		case "Content-Type":
			w.hasCT = true
		case "Date":
			w.hasDate = true
		case "Transfer-Encoding":
			continue // the front frames the body itself
		case "Content-Length":
			if len(vs) > 0 {
				if n, err := strconv.ParseInt(strings.TrimSpace(vs[0]), 10, 64); err == nil && n >= 0 {
					w.declared = n
				} else {
					continue // net/http drops an invalid one too
				}
			}
		case "Connection":
			for _, v := range vs {
				if strings.Contains(strings.ToLower(v), "close") {
					w.close = true
				}
			}
		}
		if !validFieldName([]byte(k)) {
			continue
		}
		for _, v := range vs {
			w.block = append(w.block, k...)
			w.block = append(w.block, ": "...)
			w.block = appendFieldValue(w.block, v)
			w.block = append(w.block, "\r\n"...)
		}
	}
}

// appendFieldValue appends v with line breaks turned into spaces and
// surrounding space trimmed, as net/http writes header values.
func appendFieldValue(dst []byte, v string) []byte {
	if strings.ContainsAny(v, "\r\n") {
		v = strings.NewReplacer("\r", " ", "\n", " ").Replace(v)
	}
	return append(dst, strings.Trim(v, " \t")...)
}

// Write buffers body bytes, or streams them once the head is sent.
func (w *frontWriter) Write(p []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if !bodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	if w.declared >= 0 && int64(w.bodyLen()+len(p)) > w.declared {
		return 0, http.ErrContentLength
	}
	if !w.streaming && len(w.body)+len(p) > frontMaxBuffered {
		w.startStream()
	}
	if w.streaming {
		return w.writeChunk(p)
	}
	w.body = append(w.body, p...)
	return len(p), nil
}

// WriteString is Write for strings.
func (w *frontWriter) WriteString(s string) (int, error) {
	return w.Write([]byte(s))
}

// Flush sends the head and what the body has so far.
func (w *frontWriter) Flush() {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if !w.streaming {
		w.startStream()
	}
}

func (w *frontWriter) bodyLen() int {
	if w.streaming {
		return 0 // only checked against a declared length before streaming
	}
	return len(w.body)
}

// startStream sends the head without a computed length, then the buffered
// body: chunked on HTTP/1.1 without a declared length, else as is (an
// HTTP/1.0 answer of unknown length ends with the connection).
func (w *frontWriter) startStream() {
	w.streaming = true
	switch {
	case w.declared >= 0 || !bodyAllowed(w.status):
	case w.req.minor == 1:
		w.chunked = true
	default:
		w.close = true
	}
	w.out = w.appendHead(w.out[:0], w.block, false)
	w.send(w.out)
	if len(w.body) > 0 {
		_, _ = w.writeChunk(w.body)
		w.body = w.body[:0]
	}
}

// writeChunk sends p as part of a streamed body.
func (w *frontWriter) writeChunk(p []byte) (int, error) {
	if w.req.head || len(p) == 0 {
		return len(p), nil
	}
	if w.failed {
		return 0, net.ErrClosed
	}
	if !w.chunked {
		w.send(p)
	} else {
		var size [20]byte
		bufs := net.Buffers{append(strconv.AppendInt(size[:0], int64(len(p)), 16), "\r\n"...), p, []byte("\r\n")}
		w.c.setWriteDeadline(time.Now())
		if _, err := bufs.WriteTo(w.c.nc); err != nil {
			w.failed = true
		}
	}
	if w.failed {
		return 0, net.ErrClosed
	}
	return len(p), nil
}

// finish sends the answer, or ends a streamed one.
func (w *frontWriter) finish() {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if w.streaming {
		if w.chunked && !w.req.head {
			w.send([]byte("0\r\n\r\n"))
		}
		return
	}
	if w.declared >= 0 && int64(len(w.body)) != w.declared && !w.req.head && bodyAllowed(w.status) {
		w.close = true // the declared framing is broken
	}
	w.sendWhole(w.block, w.body)
}

// sendWhole sends the head, with the header lines block, and body.
func (w *frontWriter) sendWhole(block, body []byte) {
	w.out = w.appendHead(w.out[:0], block, true)
	if !w.req.head && bodyAllowed(w.status) {
		w.out = append(w.out, body...)
	}
	w.send(w.out)
	if cap(w.out) > 64<<10 {
		w.out = nil
	}
}

// sendRecalled sends an answer the handler remembered: its header lines
// hold Content-Type and Content-Length.
func (w *frontWriter) sendRecalled(rc *public.Recalled) bool {
	w.wrote, w.status, w.hasCT, w.declared = true, rc.Status, true, int64(len(rc.Body))
	w.sendWhole(rc.Lines, rc.Body)
	return w.keepAlive()
}

// appendHead appends the status line and the headers, the handler's as
// block; whole says the body is complete in w.body (its length may be
// sent).
func (w *frontWriter) appendHead(dst, block []byte, whole bool) []byte {
	if w.req.minor == 0 {
		dst = append(dst, "HTTP/1.0 "...)
	} else {
		dst = append(dst, "HTTP/1.1 "...)
	}
	dst = strconv.AppendInt(dst, int64(w.status), 10)
	if text := http.StatusText(w.status); text != "" {
		dst = append(append(dst, ' '), text...)
	} else {
		dst = append(dst, " status code "...)
		dst = strconv.AppendInt(dst, int64(w.status), 10)
	}
	dst = append(dst, "\r\n"...)
	dst = append(dst, block...)
	allowed := bodyAllowed(w.status)
	if !w.hasCT && allowed && len(w.body) > 0 {
		dst = append(append(append(dst, "Content-Type: "...), http.DetectContentType(w.body)...), "\r\n"...)
	}
	if w.req.close || w.close || w.c.f.shutting.Load() || w.req.minor == 0 && !w.req.keep10 {
		w.close = true
		if w.req.minor == 1 && !bytes.Contains(block, []byte("Connection: ")) {
			dst = append(dst, "Connection: close\r\n"...)
		}
	} else if w.req.minor == 0 {
		dst = append(dst, "Connection: keep-alive\r\n"...)
	}
	if w.chunked {
		dst = append(dst, "Transfer-Encoding: chunked\r\n"...)
	}
	if !w.hasDate {
		dst = append(append(append(dst, "Date: "...), w.dateNow()...), "\r\n"...)
	}
	if whole && w.declared < 0 && allowed && (!w.req.head || len(w.body) > 0) {
		dst = append(dst, "Content-Length: "...)
		dst = strconv.AppendInt(dst, int64(len(w.body)), 10)
		dst = append(dst, "\r\n"...)
	}
	return append(dst, "\r\n"...)
}

// dateNow is the Date value, formatted once a second.
func (w *frontWriter) dateNow() []byte {
	now := time.Now()
	if s := now.Unix(); s != w.dateSec || w.date == nil {
		w.dateSec = s
		w.date = now.UTC().AppendFormat(w.date[:0], http.TimeFormat)
	}
	return w.date
}

// send writes b to the connection.
func (w *frontWriter) send(b []byte) {
	if w.failed {
		return
	}
	w.c.setWriteDeadline(time.Now())
	if _, err := w.c.nc.Write(b); err != nil {
		w.failed = true
	}
}

// bodyAllowed reports whether a status may have a body (RFC 7230 3.3).
func bodyAllowed(status int) bool {
	return !(status >= 100 && status <= 199 || status == http.StatusNoContent || status == http.StatusNotModified)
}
