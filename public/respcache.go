package public

import (
	"encoding/binary"
	"hash/maphash"
	"strconv"
	"sync"

	"github.com/balrog-go/balrog/metrics"
	"github.com/balrog-go/balrog/rules"
)

// The response cache holds rendered answers of the update routes, keyed by
// every field of the update query (and the route that parsed it) and the
// decision of rule evaluation, which runs on every request (so throttled
// rules still roll each time; the key carries the outcome). It lives in the
// snapshot, so a snapshot swap drops it with everything else the answers
// were computed from; answers that depended on a superblob part's roll, a
// missing release or an error are never stored. Its size is bounded: a
// shard that outgrows its share of respCacheBytes is emptied and refilled.

// respCacheBytes bounds the bodies and keys the cache holds.
const respCacheBytes = 64 << 20

// respCacheMaxBody is the largest body the cache stores; bigger answers
// (a superblob with many parts) are rendered every time.
const respCacheMaxBody = 64 << 10

const respShards = 32

// cachedResponse is one rendered answer with its headers prebuilt. The
// header slices are shared by every response that serves it; net/http only
// reads them, and each has len == cap so an append elsewhere copies.
type cachedResponse struct {
	status        int
	contentType   []string
	contentLength []string
	ruleID        []string // nil: no Rule-ID / Rule-Data-Version headers
	ruleDV        []string
	// signature is the Content-Signature value, signed once when the
	// answer was rendered; nil: the answer is not signed.
	signature []string
	body      []byte
	// outcome, ruleNum (0: none) and release ("": none) are what the
	// answer served, for the metrics and the update log of cache hits.
	outcome metrics.Outcome
	ruleNum int
	release string
	// values backs the header slices above.
	values [4]string
}

// with records what the answer served.
func (c *cachedResponse) with(o metrics.Outcome, ruleID int, release string) *cachedResponse {
	c.outcome, c.ruleNum, c.release = o, ruleID, release
	return c
}

func newCachedResponse(status int, contentType string, body []byte, ruleID, ruleDV string, withRule bool, signature []string) *cachedResponse {
	c := &cachedResponse{
		status:    status,
		signature: signature,
		body:      append([]byte(nil), body...),
	}
	// The header values live in the response itself: one object for the
	// collector to visit instead of five.
	c.values = [4]string{contentType, strconv.Itoa(len(body)), ruleID, ruleDV}
	c.contentType, c.contentLength = c.values[0:1:1], c.values[1:2:2]
	if withRule {
		c.ruleID, c.ruleDV = c.values[2:3:3], c.values[3:4:4]
	}
	return c
}

// shardedCache is a map in shards, each under its own lock, whose size is
// bounded: a shard that outgrows its share of the budget is emptied and
// refilled.
type shardedCache[V any] struct {
	seed        maphash.Seed
	shardBudget int
	shards      [respShards]cacheShard[V]
}

type cacheShard[V any] struct {
	mu    sync.RWMutex
	m     map[string]V
	bytes int
}

func newShardedCache[V any](budget int) *shardedCache[V] {
	c := &shardedCache[V]{seed: maphash.MakeSeed(), shardBudget: budget / respShards}
	for i := range c.shards {
		c.shards[i].m = map[string]V{}
	}
	return c
}

func (c *shardedCache[V]) shard(key []byte) *cacheShard[V] {
	return &c.shards[maphash.Bytes(c.seed, key)%respShards]
}

// get returns the value of key, or the zero value. A nil cache is off.
func (c *shardedCache[V]) get(key []byte) V {
	var v V
	if c == nil {
		return v
	}
	s := c.shard(key)
	s.mu.RLock()
	v = s.m[string(key)]
	s.mu.RUnlock()
	return v
}

// put stores a value that takes size bytes, and returns the value the key
// now has: a key already present keeps its value. A shard over its share of
// the budget is emptied first.
func (c *shardedCache[V]) put(key []byte, v V, size int) V {
	if c == nil {
		return v
	}
	s := c.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bytes+size > c.shardBudget {
		clear(s.m)
		s.bytes = 0
	}
	if old, ok := s.m[string(key)]; ok {
		return old
	}
	s.m[string(key)] = v
	s.bytes += size
	return v
}

// len reports how many values are cached.
func (c *shardedCache[V]) len() int {
	if c == nil {
		return 0
	}
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}

// respCache holds rendered answers by query and decision.
type respCache struct {
	*shardedCache[*cachedResponse]
}

func newRespCache() respCache {
	return respCache{newShardedCache[*cachedResponse](respCacheBytes)}
}

// put stores an answer unless its body is too big to keep.
func (c respCache) put(key []byte, r *cachedResponse) {
	if len(r.body) > respCacheMaxBody {
		return
	}
	c.shardedCache.put(key, r, r.size(len(key)))
}

// size is what an answer cached under a key of keyLen bytes takes.
func (r *cachedResponse) size(keyLen int) int {
	size := keyLen + len(r.body) + 160
	if r.signature != nil {
		size += len(r.signature[0])
	}
	return size
}

// appendCacheKey appends the response cache key of a query: every field of
// rules.Query, each tagged, length-prefixed and with absent (nil) distinct
// from empty, so two queries share a key only when they are equal.
// TestCacheKeyCoversQuery fails when Query gains a field this does not
// encode.
func appendCacheKey(dst []byte, routeName string, q *rules.Query) []byte {
	dst = appendStr(dst, routeName)
	dst = append(dst, byte(q.Route), byte(q.Force), boolByte(q.HasSystemCapabilities))
	dst = binary.AppendUvarint(dst, uint64(q.QueryVersion))
	dst = appendStr(dst, q.Product)
	dst = appendStr(dst, q.Version)
	dst = appendOptStr(dst, q.BuildID)
	dst = appendStr(dst, q.BuildTarget)
	dst = appendOptStr(dst, q.Locale)
	dst = appendStr(dst, q.Channel)
	dst = appendOptStr(dst, q.OSVersion)
	dst = appendOptStr(dst, q.Distribution)
	dst = appendOptStr(dst, q.DistVersion)
	dst = appendOptStr(dst, q.InstructionSet)
	dst = appendOptInt(dst, q.Memory)
	dst = appendOptBool(dst, q.Jaws)
	dst = appendStr(dst, q.HeaderArchitecture)
	dst = appendOptBool(dst, q.Mig64)
	dst = appendOptStr(dst, q.Pin)
	dst = appendOptInt(dst, q.Avast)
	dst = appendOptStr(dst, q.PlatformVersion)
	dst = appendOptStr(dst, q.IMEI)
	return dst
}

// appendDecisionKey appends what rule evaluation decided: the answer after
// it depends on the query and this only, so a throttled rule's answers are
// cached per outcome of the roll (main or fallback mapping).
func appendDecisionKey(dst []byte, d rules.Decision) []byte {
	dst = append(dst, boolByte(d.ShutOff), boolByte(d.Fallback))
	if d.Rule == nil {
		dst = append(dst, 0)
	} else {
		dst = append(dst, 1)
		dst = binary.AppendVarint(dst, int64(d.Rule.RuleID))
		dst = binary.AppendVarint(dst, int64(d.Rule.DataVersion))
	}
	dst = appendStr(dst, d.Mapping)
	return appendStr(dst, d.UpdateType)
}

func appendStr(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendOptStr(dst []byte, s *string) []byte {
	if s == nil {
		return append(dst, 0)
	}
	return appendStr(append(dst, 1), *s)
}

func appendOptInt(dst []byte, n *int) []byte {
	if n == nil {
		return append(dst, 0)
	}
	return binary.AppendVarint(append(dst, 1), int64(*n))
}

func appendOptBool(dst []byte, b *bool) []byte {
	switch {
	case b == nil:
		return append(dst, 0)
	case *b:
		return append(dst, 2)
	}
	return append(dst, 1)
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}
