package public

import (
	"context"
	"fmt"
	"runtime/debug"
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
type blobCache struct {
	src     Source
	metrics metrics.Sink
	mu      sync.RWMutex
	entries map[blobKey]*blobEntry
	group   singleflight.Group
	// compacting lets one blob at a time be compacted in the background;
	// pending counts the compactions queued or running.
	compacting chan struct{}
	pending    atomic.Int32
	// lastLoad is when a blob was last read from the database (Unix ns):
	// compaction waits for a quiet moment, so that a burst of cold
	// requests (a start, a new release) is not slowed by it.
	lastLoad atomic.Int64
}

// compactQuiet is how long no blob must have been loaded before one is
// compacted.
const compactQuiet = 300 * time.Millisecond

func newBlobCache(src Source, m metrics.Sink) *blobCache {
	return &blobCache{src: src, metrics: m, entries: map[blobKey]*blobEntry{}, compacting: make(chan struct{}, 1)}
}

// compactor is a blob that can shrink its memory once parsed
// (blobs.AppRelease: its unparsed locales are packed).
type compactor interface{ Compact() (text, packed int) }

// compact shrinks b in the background, after the request that loaded it
// has been answered from the freshly parsed blob and no other blob has been
// loaded for compactQuiet, one blob at a time so that compaction takes at
// most one core.
func (c *blobCache) compact(b blobs.Blob) {
	cb, ok := b.(compactor)
	if !ok {
		return
	}
	c.pending.Add(1)
	go func() {
		c.compacting <- struct{}{}
		for {
			idle := time.Since(time.Unix(0, c.lastLoad.Load()))
			if idle >= compactQuiet {
				break
			}
			time.Sleep(compactQuiet - idle)
		}
		cb.Compact()
		<-c.compacting
		// When a burst of loads has been compacted, the blobs' texts are
		// garbage (tens of MB each): return them to the OS now rather
		// than when the heap next grows.
		if c.pending.Add(-1) == 0 {
			debug.FreeOSMemory()
		}
	}()
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
		c.lastLoad.Store(time.Now().UnixNano())
		defer func() { c.lastLoad.Store(time.Now().UnixNano()) }()
		rel, err := c.src.Release(loadCtx, name)
		if err != nil {
			return nil, err // not cached: the database may answer later
		}
		b, perr := blobs.Parse(rel.Data)
		entry := &blobEntry{blob: b, err: perr}
		if perr != nil {
			entry.err = fmt.Errorf("release %s: %w", name, perr)
		} else {
			c.compact(b)
		}
		c.mu.Lock()
		// Cache under the version read, which may be newer than asked.
		c.entries[blobKey{name, rel.DataVersion}] = entry
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
