package public

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/balrog-go/balrog/rules"
	"github.com/balrog-go/balrog/store"
)

// snapshot is an immutable view of everything update requests read, except
// the blobs themselves (those are parsed on first use and cached).
type snapshot struct {
	marker   string
	index    *rules.Index
	rules    []rules.Rule
	shutoffs []rules.Shutoff
	pins     []rules.Pin
	// releases are every release's metadata, by name.
	releases map[string]store.ReleaseInfo
	// releaseOrder lists release names in name order.
	releaseOrder []string
	// responses caches rendered update answers computed from this
	// snapshot (respcache.go); it goes with the snapshot.
	responses respCache
	// recalled remembers whole answers by request target and User-Agent
	// (recall.go); it goes with the snapshot too.
	recalled *shardedCache[*recallEntry]
	// releaseListing is the unfiltered /api/v1/releases body, made on
	// first use.
	releaseListing struct {
		once sync.Once
		body []byte
	}
	// checkedAt is when the database last confirmed this snapshot (Unix ns).
	checkedAt atomic.Int64
}

// loadSnapshot reads a new snapshot from src, as of one point in time: its
// marker is the marker of what it holds.
func loadSnapshot(ctx context.Context, src Source) (*snapshot, error) {
	read, err := src.ReadSnapshot(ctx)
	if err != nil {
		return nil, err
	}
	snap := &snapshot{
		marker:       read.Marker,
		index:        rules.NewIndex(read.Rules, read.Shutoffs, read.Pins),
		rules:        read.Rules,
		shutoffs:     read.Shutoffs,
		pins:         read.Pins,
		releases:     make(map[string]store.ReleaseInfo, len(read.Releases)),
		releaseOrder: make([]string, 0, len(read.Releases)),
		responses:    newRespCache(),
		recalled:     newShardedCache[*recallEntry](recallBytes),
	}
	for _, r := range read.Releases {
		snap.releases[r.Name] = r
		snap.releaseOrder = append(snap.releaseOrder, r.Name)
	}
	snap.checkedAt.Store(time.Now().UnixNano())
	return snap, nil
}
