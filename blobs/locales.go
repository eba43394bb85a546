package blobs

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// A large app release has ten thousand locale objects, and a request reads
// one. A platform keeps its locales as spans of one text, parsed on first
// use: at first the blob's own JSON text, then, once the blob is compacted,
// one packed string per platform (packed.go). Per locale that is two
// offsets, a sync.Once and a pointer to the parse — no object of its own, so
// the garbage collector has little to visit in a blob it keeps for hours.

// platformLocales are the locales of one platform.
type platformLocales struct {
	// index maps a locale code to its position; platforms with the same
	// codes in the same order share one index.
	index map[string]int32
	// texts holds the unparsed locales; it is swapped whole when the blob
	// is compacted.
	texts atomic.Pointer[localeTexts]
	once  []sync.Once
	// parsed holds each locale's parse, set once.
	parsed []atomic.Pointer[Locale]
}

// localeTexts are the unparsed locale objects of a platform: locale i is
// text[spans[2i]:spans[2i+1]], JSON when table is nil, else packed with
// table; an empty span is a locale parsed when the platform was (it is not
// an object) or before the texts were packed.
type localeTexts struct {
	text  string
	spans []uint32
	table *packTable
}

// newPlatformLocales builds the locales of a platform from its parsed
// "locales" object, whose object values are kindRawObject nodes (slices of
// the blob's text, in document order); indexes shares equal indexes within
// a blob.
func (r *AppRelease) newPlatformLocales(platform string, locales *node, indexes map[string]map[string]int32) *platformLocales {
	n := len(locales.keys)
	pl := &platformLocales{once: make([]sync.Once, n), parsed: make([]atomic.Pointer[Locale], n)}
	sig := strings.Join(locales.keys, "\x00")
	if pl.index = indexes[sig]; pl.index == nil {
		pl.index = make(map[string]int32, n)
		for i, code := range locales.keys {
			if _, dup := pl.index[code]; !dup {
				pl.index[code] = int32(i)
			}
		}
		indexes[sig] = pl.index
	}
	texts := &localeTexts{spans: make([]uint32, 2*n)}
	var base *byte
	end := 0
	for i, code := range locales.keys {
		e := &locales.elems[i]
		if e.kind != kindRawObject {
			pl.parsed[i].Store(r.parseLocale(platform, code, e))
			continue
		}
		if base == nil {
			base = unsafe.StringData(e.str)
		}
		// The raw objects are slices of one text, in order: their
		// offsets from the first are their spans.
		start := int(uintptr(unsafe.Pointer(unsafe.StringData(e.str))) - uintptr(unsafe.Pointer(base)))
		end = start + len(e.str)
		texts.spans[2*i], texts.spans[2*i+1] = uint32(start), uint32(end)
	}
	if base != nil {
		texts.text = unsafe.String(base, end)
	}
	pl.texts.Store(texts)
	return pl
}

// locale returns the data of locale code of platform p, parsing it on
// first use.
func (r *AppRelease) locale(p *Platform, code string) (*Locale, bool) {
	pl := p.locales
	if pl == nil {
		return nil, false
	}
	i, ok := pl.index[code]
	if !ok {
		return nil, false
	}
	pl.once[i].Do(func() {
		if pl.parsed[i].Load() != nil {
			return // parsed with the platform
		}
		t := pl.texts.Load()
		s := t.text[t.spans[2*i]:t.spans[2*i+1]]
		var n node
		var err error
		if t.table != nil {
			n, err = unpack(s, t.table)
		} else {
			// The object sat at depth 4 (root, platforms, platform,
			// locales) and was validated there.
			n, err = parseRawObject(s, 4)
		}
		if err != nil {
			pl.parsed[i].Store(&Locale{err: fmt.Errorf("blobs: %s: platforms.%s.locales.%s: %w", r.Name.text, p.key, code, err)})
			return
		}
		pl.parsed[i].Store(r.parseLocale(p.key, code, &n))
	})
	return pl.parsed[i].Load(), true
}

// codes returns the platform's locale codes.
func (pl *platformLocales) codes() []string {
	out := make([]string, 0, len(pl.index))
	for code := range pl.index {
		out = append(out, code)
	}
	return out
}

// pack returns the platform's locale texts packed with table, leaving out
// the locales already parsed; nil when they are packed already or there is
// nothing to pack. It reports the bytes of JSON text and of packed form.
func (pl *platformLocales) pack(table *packTable, scratch []byte) (next *localeTexts, old *localeTexts, textBytes, packedBytes int, buf []byte) {
	old = pl.texts.Load()
	if old == nil || old.table != nil || old.text == "" {
		return nil, old, 0, 0, scratch
	}
	next = &localeTexts{spans: make([]uint32, len(old.spans)), table: table}
	buf = scratch[:0]
	for i := range pl.parsed {
		s, e := old.spans[2*i], old.spans[2*i+1]
		if s == e || pl.parsed[i].Load() != nil {
			continue
		}
		jp := jsonParser{s: old.text[s:e]}
		start := len(buf)
		var err error
		if buf, err = jp.packValue(buf, 4, table); err != nil || jp.i != int(e-s) {
			return nil, old, 0, 0, buf[:0] // cannot happen: the text was validated
		}
		next.spans[2*i], next.spans[2*i+1] = uint32(start), uint32(len(buf))
		textBytes += int(e - s)
	}
	packedBytes = len(buf)
	next.text = string(buf)
	return next, old, textBytes, packedBytes, buf
}
