package public

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/balrog-go/balrog/blobs"
	"github.com/balrog-go/balrog/metrics"
	"github.com/balrog-go/balrog/store"
)

// blobKey identifies one version of a release.
type blobKey struct {
	name        string
	dataVersion int
}

// blobEntry is a parsed blob, or the error parsing it gave (a blob that
// cannot be parsed is not parsed again until its data_version changes).
type blobEntry struct {
	blob blobs.Blob
	err  error
}

// blobCache holds parsed blobs by name and data_version. Concurrent misses
// for the same blob load and parse it once.
//
// A large app release is parsed in two steps (blobs.ParseDeferred): the
// request that missed waits only for the first, and the complete parse runs
// in the background, one at a time, and then replaces the first blob. While
// maxDeferred blobs wait for theirs, a miss parses in full at once: the
// first blobs hold a copy of their text, and a burst of misses must not
// hold many.
type blobCache struct {
	src     Source
	metrics metrics.Sink
	log     *slog.Logger
	mu      sync.RWMutex
	entries map[blobKey]*blobEntry
	group   singleflight.Group

	// deferred counts the blobs waiting for their complete parse;
	// completing admits one complete parse at a time; background tracks
	// the goroutines that run them.
	deferred   atomic.Int32
	completing chan struct{}
	background sync.WaitGroup
}

// maxDeferred bounds the blobs waiting for their complete parse.
const maxDeferred = 4

func newBlobCache(src Source, m metrics.Sink, log *slog.Logger) *blobCache {
	return &blobCache{src: src, metrics: m, log: log, entries: map[blobKey]*blobEntry{}, completing: make(chan struct{}, 1)}
}

// get returns the parsed blob of release name at dataVersion.
func (c *blobCache) get(ctx context.Context, name string, dataVersion int) (blobs.Blob, error) {
	key := blobKey{name, dataVersion}
	c.mu.RLock()
	e := c.entries[key]
	c.mu.RUnlock()
	if e != nil {
		_ = c.metrics.Incr(metrics.BlobCacheHits, nil, 1)
		return e.blob, e.err
	}
	_ = c.metrics.Incr(metrics.BlobCacheMisses, nil, 1)
	v, err, _ := c.group.Do(fmt.Sprintf("%d:%s", dataVersion, name), func() (any, error) {
		// The request that started the load may go away; the load is
		// shared, so it does not follow that request's cancellation.
		loadCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		// The blob is parsed from the database driver's buffer, which is
		// not copied: the parsed blob keeps no reference to it.
		var (
			entry    *blobEntry
			version  int
			complete func() (blobs.Blob, error)
		)
		start := time.Now()
		err := c.src.ReadRelease(loadCtx, name, func(rel store.Release) error {
			read := time.Now()
			var b blobs.Blob
			var perr error
			b, complete, perr = c.parse(rel.Data)
			readTime, parseTime := read.Sub(start), time.Since(read)
			_ = c.metrics.Timing(metrics.BlobLoadDuration, readTime, metrics.BlobLoadTags.Read, 1)
			_ = c.metrics.Timing(metrics.BlobLoadDuration, parseTime, metrics.BlobLoadTags.Parse, 1)
			c.log.LogAttrs(loadCtx, slog.LevelDebug, "public: release loaded", slog.String("release", name),
				slog.Int("data_version", rel.DataVersion), slog.Int("bytes", len(rel.Data)),
				slog.Float64("read_ms", ms(readTime)), slog.Float64("parse_ms", ms(parseTime)),
				slog.Bool("deferred", complete != nil))
			entry, version = newBlobEntry(name, b, perr), rel.DataVersion
			return nil
		})
		if err != nil {
			if complete != nil {
				c.deferred.Add(-1)
			}
			return nil, err // not cached: the database may answer later
		}
		// Cache under the version read, which may be newer than asked.
		keys := []blobKey{{name, version}, key}
		c.mu.Lock()
		for _, k := range keys {
			c.entries[k] = entry
		}
		c.mu.Unlock()
		if complete != nil {
			c.completeLater(keys, entry, complete)
		}
		return entry, nil
	})
	if err != nil {
		return nil, err
	}
	e = v.(*blobEntry)
	return e.blob, e.err
}

// newBlobEntry is the entry of release name's blob b, or of the error
// parsing it gave.
func newBlobEntry(name string, b blobs.Blob, err error) *blobEntry {
	if err != nil {
		return &blobEntry{err: fmt.Errorf("release %s: %w", name, err)}
	}
	return &blobEntry{blob: b}
}

// parse parses a blob in two steps where it can (complete is then
// non-nil), in full while maxDeferred blobs wait for their complete parse.
func (c *blobCache) parse(data []byte) (b blobs.Blob, complete func() (blobs.Blob, error), err error) {
	if c.deferred.Load() >= maxDeferred {
		b, err = blobs.Parse(data)
		return b, nil, err
	}
	b, complete, err = blobs.ParseDeferred(data)
	if complete != nil {
		c.deferred.Add(1)
	}
	return b, complete, err
}

// completeLater runs a blob's complete parse in the background, one at a
// time, and puts its result in place of first under keys, unless the
// entries have changed meanwhile (the release was dropped).
func (c *blobCache) completeLater(keys []blobKey, first *blobEntry, complete func() (blobs.Blob, error)) {
	c.background.Add(1)
	go func() {
		defer c.background.Done()
		defer c.deferred.Add(-1)
		c.completing <- struct{}{}
		defer func() { <-c.completing }()
		defer func() {
			// A bug in the parse must not end the process: the first blob
			// stays in the cache.
			if v := recover(); v != nil {
				c.log.Error("public: the complete parse of a release panicked", "release", keys[0].name, "panic", fmt.Sprint(v))
			}
		}()
		start := time.Now()
		b, err := complete()
		took := time.Since(start)
		_ = c.metrics.Timing(metrics.BlobLoadDuration, took, metrics.BlobLoadTags.Complete, 1)
		c.log.LogAttrs(context.Background(), slog.LevelDebug, "public: release completed", slog.String("release", keys[0].name),
			slog.Int("data_version", keys[0].dataVersion), slog.Float64("complete_ms", ms(took)))
		entry := newBlobEntry(keys[0].name, b, err)
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, k := range keys {
			if c.entries[k] == first {
				c.entries[k] = entry
			}
		}
	}()
}

// wait waits for the complete parses under way.
func (c *blobCache) wait() { c.background.Wait() }

// retain drops the blobs of releases that no longer exist or have changed.
func (c *blobCache) retain(current map[string]store.ReleaseInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.entries {
		if info, ok := current[k.name]; !ok || info.DataVersion != k.dataVersion {
			delete(c.entries, k)
		}
	}
}

// len reports how many blobs are cached.
func (c *blobCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}

// ms is d in milliseconds, to a tenth of a millisecond.
func ms(d time.Duration) float64 {
	return float64(d.Round(100*time.Microsecond)) / float64(time.Millisecond)
}
