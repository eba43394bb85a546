package blobs

import (
	"fmt"
	"sync"
	"unsafe"
)

// The first request for a large app release waits for its blob to be read
// from the database and parsed, and parsing packs all ten thousand locale
// objects (packed.go) where the request reads one or two. ParseDeferred
// splits that work: a first reading parses everything but the platforms'
// "locales" objects, which it only locates (finding where an object ends
// takes a fraction of the time of reading it), and keeps a copy of the
// text; a platform's locales are then parsed on first use, from the copy.
// The complete parse, which holds no text, runs afterwards (the caller
// decides when, usually in the background) and replaces the first blob.

// deferMin is the least text ParseDeferred reads in two steps; a variable
// for the tests.
var deferMin = 1 << 20

// ParseDeferred parses a blob as Parse does, in two steps when it is a
// large app release: first returns a blob that answers every request as
// Parse's would, with the platforms' locale tables parsed on first use
// from a copy of data it keeps; complete then returns Parse's result,
// parsed from that copy in one goroutine (it is meant to run beside the
// requests), and releases the copy: the first blob takes the tables it has
// not read yet from the complete one. For other blobs, and app releases
// smaller than deferMin, complete is nil and first is Parse's result. The
// first blob checks only the JSON outside the locale tables: text that is
// malformed inside one fails when that platform is first read (a server
// error), and complete reports it as Parse does.
func ParseDeferred(data []byte) (first Blob, complete func() (Blob, error), err error) {
	if len(data) < deferMin {
		first, err = Parse(data)
		return first, nil, err
	}
	p := jsonParser{s: unsafe.String(unsafe.SliceData(data), len(data)), skim: true, clone: true}
	p.skipSpace()
	root, err := p.valueRole(0, roleRoot)
	if err == nil {
		if p.skipSpace(); p.i != len(p.s) {
			err = p.errorf("extra data")
		}
	}
	if err != nil || len(p.deferred) == 0 || !isAppReleaseSchema(root) {
		// Malformed, or not an app release, or one without locale tables:
		// the complete parse says what Parse says.
		first, err = Parse(data)
		return first, nil, err
	}
	sv, _ := schemaVersion(root.get("schema_version")) // isAppReleaseSchema checked it
	c := Common{Name: valueOf(root.get("name")), SchemaVersion: sv, Product: valueOf(root.get("product"))}
	text := holdText(data)
	r, err := parseAppRelease(c, &root, nil, &deferredText{text: text, spans: p.deferred})
	if err != nil {
		return nil, nil, err
	}
	complete = func() (Blob, error) {
		b, err := parse(unsafe.Slice(unsafe.StringData(text.s), len(text.s)), false)
		final, _ := b.(*AppRelease)
		text.release(final)
		return b, err
	}
	return r, complete, nil
}

// heldText is a copy of a blob's text, outside the Go heap where it can be
// (holdText, offheap_linux.go), for a first blob's deferred locale tables
// and its complete parse. Once that parse is done the copy is released:
// a table not read by then is taken from the complete blob. The copy is
// also released, if it was not, when the heldText becomes unreachable.
type heldText struct {
	// mu is held by readers of s; release takes it to end them.
	mu sync.RWMutex
	s  string
	// final is the complete blob, once s is released.
	final *AppRelease
	// free returns the copy's memory; nil once done.
	free func()
}

// release ends the use of the copy; final, if not nil, is the complete
// blob that deferred tables are taken from from then on (when it is nil
// the copy stays until the heldText is unreachable).
func (t *heldText) release(final *AppRelease) {
	if final == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.final, t.s = final, ""
	if t.free != nil {
		t.free()
		t.free = nil
	}
}

// deferredText is the text the first reading located locale tables in,
// and their spans: table i is text.s[spans[2i]:spans[2i+1]].
type deferredText struct {
	text  *heldText
	spans []uint32
}

// deferredLocales is a platform's "locales" object that is parsed on first
// use.
type deferredLocales struct {
	text       *heldText
	start, end uint32
	once       sync.Once
	pl         *platformLocales
	err        error
}

// platformLocales returns the platform's locales, parsing them first when
// they were deferred; the error is that of text that is not JSON.
func (r *AppRelease) platformLocales(p *Platform) (*platformLocales, error) {
	d := p.deferred
	if d == nil {
		return p.locales, nil
	}
	d.once.Do(func() {
		d.pl, d.err = r.parseDeferredLocales(p.key, d)
	})
	return d.pl, d.err
}

// localesDepth is the depth of a "locales" object in an app-release blob:
// root, "platforms", a platform, its "locales".
const localesDepth = 3

// parseDeferredLocales reads a deferred "locales" object as Parse reads
// one: its locale objects packed, each parsed on first use.
func (r *AppRelease) parseDeferredLocales(platform string, d *deferredLocales) (*platformLocales, error) {
	t := d.text
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.final != nil {
		// Parsed in full since: the same table, packed.
		return t.final.Platforms[platform].locales, nil
	}
	b := newPackBuilder(0, int(d.end-d.start))
	p := jsonParser{s: t.s[:d.end], i: int(d.start), lazy: b, clone: true}
	n, err := p.valueRole(localesDepth, roleLocales)
	if err == nil && p.i != int(d.end) {
		err = p.errorf("locales object ends early") // the first reading found its end elsewhere
	}
	if err != nil {
		b.release()
		return nil, fmt.Errorf("blobs: %s: platforms.%s.locales: %w", r.Name.text, platform, err)
	}
	return r.newPlatformLocales(platform, &n, []*packedLocales{b.finish()}, map[string]map[string]int32{}), nil
}

// deferObject locates the object at p.i and returns a kindDeferredObject
// node for it.
func (p *jsonParser) deferObject() (node, error) {
	start := p.i
	if err := p.skipObject(); err != nil {
		return node{}, err
	}
	p.deferred = append(p.deferred, uint32(start), uint32(p.i))
	return node{kind: kindDeferredObject, ref: uint32(len(p.deferred)/2 - 1)}, nil
}

// skipObject moves p.i past the object or array at p.i, finding its end by
// its brackets and strings alone: what lies between is not checked (the
// complete parse checks it).
func (p *jsonParser) skipObject() error {
	s, i, depth := p.s, p.i, 0
	for i < len(s) {
		switch s[i] {
		case '"':
			// To the closing quote, eight bytes at a time: most of a
			// blob's text is strings, and long ones (hash values, URLs).
			for i++; ; {
				if i = specialByte(s, i); i >= len(s) {
					p.i = len(s)
					return p.errorf("unexpected end of input")
				}
				if s[i] == '"' {
					break
				}
				if s[i] == '\\' {
					i++ // and the byte it escapes
				}
				i++ // a control character is left to the complete parse
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				p.i = i + 1
				return nil
			}
		}
		i++
	}
	p.i = len(s)
	return p.errorf("unexpected end of input")
}
