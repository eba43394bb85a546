package blobs

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
)

// A large app release has ten thousand locale objects, and a request reads
// one. A platform keeps its locales as spans of the blob's packed text
// (packed.go), decoded and parsed on first use. Per locale that is two
// offsets, a sync.Once and a pointer to the parse — no object of its own, so
// the garbage collector has little to visit in a blob it keeps for hours.

// offHeapBytes counts the packed text held outside the Go heap
// (offheap_linux.go).
var offHeapBytes atomic.Int64

// OffHeapBytes returns the bytes of packed blob text held outside the Go
// heap, which the runtime's memory statistics leave out.
func OffHeapBytes() int64 { return offHeapBytes.Load() }

// mappedBuffers counts the pack buffers mapped and neither handed over to
// a blob nor released yet.
var mappedBuffers atomic.Int64

// platformLocales are the locales of one platform.
type platformLocales struct {
	// index maps a locale code to its position; platforms with the same
	// codes in the same order share one index.
	index map[string]int32
	// packed holds the blob's packed locales; locale i is
	// packed.text[spans[2i]:spans[2i+1]], and an empty span is a locale
	// parsed with the platform (it is not an object).
	packed *packedLocales
	spans  []uint32
	once   []sync.Once
	// parsed holds each locale's parse, set once.
	parsed []atomic.Pointer[Locale]
}

// newPlatformLocales builds the locales of a platform from its parsed
// "locales" object, whose object values are kindPackedObject nodes of
// packed (by builder id); indexes shares equal indexes within a blob.
func (r *AppRelease) newPlatformLocales(platform string, locales *node, packed []*packedLocales, indexes map[string]map[string]int32) *platformLocales {
	n := len(locales.keys)
	pl := &platformLocales{spans: make([]uint32, 2*n), once: make([]sync.Once, n), parsed: make([]atomic.Pointer[Locale], n)}
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
	for i, code := range locales.keys {
		e := &locales.elems[i]
		if e.kind != kindPackedObject {
			pl.parsed[i].Store(r.parseLocale(platform, code, e))
			continue
		}
		// A platform's locales are read by one goroutine (split.go), so
		// they are packed by one builder.
		pk, start, end := span(packed, e.ref)
		if pl.packed == nil {
			pl.packed = pk
		}
		if pk != pl.packed {
			panic("blobs: a platform's locales packed by two builders")
		}
		pl.spans[2*i], pl.spans[2*i+1] = start, end
	}
	return pl
}

// locale returns the data of locale code of platform p, parsing it on
// first use; the error is that of a deferred locale table that is not
// JSON (deferred.go).
func (r *AppRelease) locale(p *Platform, code string) (*Locale, bool, error) {
	pl, err := r.platformLocales(p)
	if pl == nil {
		return nil, false, err
	}
	i, ok := pl.index[code]
	if !ok {
		return nil, false, nil
	}
	pl.once[i].Do(func() {
		if pl.parsed[i].Load() != nil {
			return // parsed with the platform
		}
		n, err := unpack(pl.packed.text[pl.spans[2*i]:pl.spans[2*i+1]], pl.packed.table)
		// The packed text is released with pl.packed (offheap_linux.go).
		runtime.KeepAlive(pl.packed)
		if err != nil {
			pl.parsed[i].Store(&Locale{err: fmt.Errorf("blobs: %s: platforms.%s.locales.%s: %w", r.Name.text, p.key, code, err)})
			return
		}
		pl.parsed[i].Store(r.parseLocale(p.key, code, &n))
	})
	return pl.parsed[i].Load(), true, nil
}

// codes returns the platform's locale codes.
func (pl *platformLocales) codes() []string {
	out := make([]string, 0, len(pl.index))
	for code := range pl.index {
		out = append(out, code)
	}
	return out
}
