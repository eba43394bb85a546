package blobs

import (
	"bytes"
	"errors"
	"slices"

	"github.com/balrog-go/balrog/rules"
)

// EmptyXML is the update document without any update (public.md §2.4 E1).
const EmptyXML = "<?xml version=\"1.0\"?>\n<updates>\n</updates>"

// AppendEmptyXML appends EmptyXML to dst.
func AppendEmptyXML(dst []byte) []byte { return append(dst, EmptyXML...) }

// Part is one part of an XML response (public.md §7.1, §4.3): a blob with
// the query and update type it is rendered with.
type Part struct {
	Blob       Blob
	Query      *rules.Query
	UpdateType string
}

// xmlBlob is implemented by the blob types that can be rendered as XML
// (all but Guardian). Each method appends to dst: the header and footer
// append one line without its newline (possibly empty), appendLines appends
// zero or more lines, each followed by "\n".
type xmlBlob interface {
	Blob
	appendHeader(dst []byte, r *renderer) ([]byte, error)
	appendLines(dst []byte, r *renderer) ([]byte, error)
	appendFooter(dst []byte, r *renderer) ([]byte, error)
}

// IsXML reports whether b can be served on the XML routes; for any other
// blob (Guardian) AppendXML fails with the client error "Wrong blob type".
func IsXML(b Blob) bool {
	_, ok := b.(xmlBlob)
	return ok
}

// ErrNoFanOut is returned by AppendXML for a Superblob that has neither a
// non-empty "products" nor a non-empty "blobs" list (the reference cannot
// render it: HTTP 500).
var ErrNoFanOut = errors.New("blobs: superblob lists neither products nor blobs")

// AppendXML appends the update.xml document for the release b chosen for
// query q by a rule with update type updateType (public.md §7.1) and
// returns the extended buffer.
//
// For a Superblob whose FanOut is FanOutProducts or FanOutBlobs, parts are
// the results of the fan-out done by the caller (public.md §4.3), in list
// order, possibly none; only their inner lines are used. For every other
// blob parts is ignored and the document has the single part (b, q,
// updateType).
//
// The result has exactly the reference's bytes: the inner header, lines and
// footer joined with "\n", every "&" that does not start "&amp;" written as
// "&amp;", no trailing newline, and the compact form for the two broken
// nightlies of bug 1517743. On error dst is returned unchanged; a
// *rules.BadInputError (for example "Wrong blob type" for a Guardian blob,
// or "No such locale …") is a client error, any other error a server error.
func AppendXML(dst []byte, b Blob, q *rules.Query, updateType string, parts []Part, env *Env) ([]byte, error) {
	top, ok := b.(xmlBlob)
	if !ok {
		return dst, badInput("Wrong blob type")
	}
	start := len(dst)
	sb, isSuper := b.(*Superblob)
	var single [1]Part
	if !isSuper || sb.FanOut() == FanOutNone {
		single[0] = Part{Blob: b, Query: q, UpdateType: updateType}
		parts = single[:]
	}
	if !isSuper && !b.Meta().Name.Present() {
		// The reference reads the blob's name for the nightly check and
		// fails without one.
		return dst, errors.New("blobs: blob has no name")
	}
	r := newRenderer(env)
	out, err := appendDocument(dst, top, q, updateType, parts, r)
	if err != nil {
		return dst[:start], err
	}
	out = escapeAmpersands(out, start)
	if !isSuper && isBrokenNightly(b, q) {
		out = compact(out, start)
	}
	return out, nil
}

func appendDocument(dst []byte, top xmlBlob, q *rules.Query, ut string, parts []Part, r *renderer) ([]byte, error) {
	dst = append(dst, "<?xml version=\"1.0\"?>\n<updates>\n"...)
	r.reset(q, ut)
	dst, err := top.appendHeader(dst, r)
	if err != nil {
		return dst, err
	}
	dst = append(dst, '\n')
	for _, p := range parts {
		pb, ok := p.Blob.(xmlBlob)
		if !ok || p.Query == nil {
			return dst, errors.New("blobs: superblob part is not an XML blob")
		}
		r.reset(p.Query, p.UpdateType)
		if dst, err = pb.appendLines(dst, r); err != nil {
			return dst, err
		}
	}
	r.reset(q, ut)
	if dst, err = top.appendFooter(dst, r); err != nil {
		return dst, err
	}
	return append(dst, "\n</updates>"...), nil
}

// isBrokenNightly reports whether the response must be compacted (bug
// 1517743): the blob is the nightly "latest" blob and the client is one of
// two builds that cannot parse newlines and indentation.
func isBrokenNightly(b Blob, q *rules.Query) bool {
	name := b.Meta().Name
	if name.kind != KindString || name.text != "Firefox-mozilla-central-nightly-latest" || q.BuildID == nil {
		return false
	}
	return *q.BuildID == "20190103220533" || *q.BuildID == "20190104093221"
}

// escapeAmpersands rewrites dst[start:] in place, replacing every "&" that
// is not followed by "amp;" with "&amp;" (the reference's
// re.sub("&(?!amp;)", "&amp;", xml)).
func escapeAmpersands(dst []byte, start int) []byte {
	n := 0
	for i := start; ; i++ {
		j := bytes.IndexByte(dst[i:], '&')
		if j < 0 {
			break
		}
		i += j
		if !ampAt(dst, i) {
			n++
		}
	}
	if n == 0 {
		return dst
	}
	old := len(dst)
	dst = slices.Grow(dst, 4*n)[:old+4*n]
	// Move the text right, from the end, one run between escaped "&" at a
	// time. The bytes that ampAt reads after position i are still the
	// original ones: bytes before the first escaped "&" stay in place, and
	// everything after it moves right by at least four.
	w, end := len(dst), old
	for end > start {
		i := bytes.LastIndexByte(dst[start:end], '&')
		if i < 0 {
			break
		}
		i += start
		if ampAt(dst[:old], i) {
			// Not escaped: move it with the run before it.
			w -= end - i
			copy(dst[w:], dst[i:end])
			end = i
			continue
		}
		w -= end - (i + 1)
		copy(dst[w:], dst[i+1:end])
		w -= 5
		copy(dst[w:], "&amp;")
		end = i
	}
	copy(dst[w-(end-start):], dst[start:end])
	return dst
}

// ampAt reports whether b[i:] starts with "&amp;".
func ampAt(b []byte, i int) bool {
	return len(b)-i >= 5 && b[i+1] == 'a' && b[i+2] == 'm' && b[i+3] == 'p' && b[i+4] == ';'
}

// compact removes every "\n" from dst[start:] and then every run of four
// spaces, left to right (the reference's
// xml.replace("\n", "").replace("    ", "")).
func compact(dst []byte, start int) []byte {
	w := start
	for i := start; i < len(dst); i++ {
		if dst[i] != '\n' {
			dst[w] = dst[i]
			w++
		}
	}
	dst = dst[:w]
	w = start
	for i := start; i < len(dst); {
		if len(dst)-i >= 4 && dst[i] == ' ' && dst[i+1] == ' ' && dst[i+2] == ' ' && dst[i+3] == ' ' {
			i += 4
			continue
		}
		dst[w] = dst[i]
		w++
		i++
	}
	return dst[:w]
}
