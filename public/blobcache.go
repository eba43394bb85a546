package public

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
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
type blobCache struct {
	src     Source
	metrics metrics.Sink
	log     *slog.Logger
	mu      sync.RWMutex
	entries map[blobKey]*blobEntry
	group   singleflight.Group
}

func newBlobCache(src Source, m metrics.Sink, log *slog.Logger) *blobCache {
	return &blobCache{src: src, metrics: m, log: log, entries: map[blobKey]*blobEntry{}}
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
			entry   *blobEntry
			version int
		)
		start := time.Now()
		err := c.src.ReadRelease(loadCtx, name, func(rel store.Release) error {
			read := time.Now()
			b, perr := blobs.Parse(rel.Data)
			readTime, parseTime := read.Sub(start), time.Since(read)
			_ = c.metrics.Timing(metrics.BlobLoadDuration, readTime, metrics.BlobLoadTags.Read, 1)
			_ = c.metrics.Timing(metrics.BlobLoadDuration, parseTime, metrics.BlobLoadTags.Parse, 1)
			c.log.LogAttrs(loadCtx, slog.LevelDebug, "public: release loaded", slog.String("release", name),
				slog.Int("data_version", rel.DataVersion), slog.Int("bytes", len(rel.Data)),
				slog.Float64("read_ms", ms(readTime)), slog.Float64("parse_ms", ms(parseTime)))
			entry, version = &blobEntry{blob: b, err: perr}, rel.DataVersion
			if perr != nil {
				entry.err = fmt.Errorf("release %s: %w", name, perr)
			}
			return nil
		})
		if err != nil {
			return nil, err // not cached: the database may answer later
		}
		c.mu.Lock()
		// Cache under the version read, which may be newer than asked.
		c.entries[blobKey{name, version}] = entry
		c.entries[key] = entry
		c.mu.Unlock()
		return entry, nil
	})
	if err != nil {
		return nil, err
	}
	e = v.(*blobEntry)
	return e.blob, e.err
}

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
